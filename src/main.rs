use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

// Rendering a large site is thousands of small strings on every core; glibc's allocator
// spent a sixth of a build in malloc and free (perf), mimalloc much less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "dars", version, about = "Builds the bilingual (French / Arabic) programme website and handouts")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into output/ (updated only when the whole build succeeds).
    Build {
        #[command(flatten)]
        site: SiteArgs,
        /// Output folder (default: ROOT/output).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Make the handouts as HTML only, without typesetting PDFs (faster).
        #[arg(long)]
        no_pdf: bool,
        /// Build even if output/ was made from exactly the same files, and into a folder dars
        /// did not make (dars then replaces the files it makes and leaves every other file alone).
        #[arg(long)]
        force: bool,
    },
    /// Find every mistake in content and theme without writing anything.
    Check {
        #[command(flatten)]
        site: SiteArgs,
        /// Fail on warnings too.
        #[arg(long)]
        strict: bool,
        /// Typeset every PDF handout too, as a build does (slower; without it, what the PDFs
        /// need of each lesson is checked without typesetting).
        #[arg(long)]
        pdf: bool,
    },
    /// Record in translations which version of their source they follow.
    MarkTranslated {
        /// Translated lesson files, e.g. content/day-1/01-intro.ar.md.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Language of the source lessons.
        #[arg(long, default_value = "fr")]
        source: String,
    },
    /// Serve the site with live reload while you edit content/ and themes/.
    Serve {
        #[command(flatten)]
        site: SiteArgs,
        /// Make the handouts as HTML only, without typesetting PDFs (faster reloads).
        #[arg(long)]
        no_pdf: bool,
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8000)]
        port: u16,
        /// Address to listen on; loopback unless you want other machines to see it.
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// Take the browser to the page of the lesson just edited.
        #[arg(long)]
        follow: bool,
        /// Show draft lessons too, each with a banner saying it is not published.
        #[arg(long)]
        drafts: bool,
    },
    /// Write a synthetic programme for benchmarks.
    #[command(hide = true)]
    Corpus {
        /// Content folder to write.
        #[arg(long)]
        out: PathBuf,
        /// Lessons per language.
        #[arg(long, default_value_t = 1000)]
        lessons: usize,
        /// Lessons per day.
        #[arg(long, default_value_t = 20)]
        per_day: usize,
    },
}

#[derive(Args)]
struct SiteArgs {
    /// Project folder holding content/ and themes/.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Content folder (default: ROOT/content).
    #[arg(long)]
    content: Option<PathBuf>,
    /// Theme folder (default: ROOT/themes/default).
    #[arg(long)]
    theme: Option<PathBuf>,
}

impl SiteArgs {
    fn options(self, pdf: bool) -> dars::BuildOptions {
        let mut opts = dars::BuildOptions::in_project(&self.root);
        if let Some(c) = self.content {
            opts.content_dir = c;
        }
        if let Some(t) = self.theme {
            opts.theme_dir = t;
        }
        opts.pdf = pdf;
        opts
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Build { site, output, no_pdf, force } => {
            let mut opts = site.options(!no_pdf);
            if let Some(o) = output {
                opts.output_dir = o;
            }
            opts.force = force;
            build(&opts)
        }
        Command::Check { site, strict, pdf } => check(&site.options(pdf), strict),
        Command::MarkTranslated { files, source } => {
            let mut failed = false;
            for f in &files {
                match dars::translation::mark_translated(f, &source) {
                    Ok(hash) => println!("{}: source_hash {hash}", f.display()),
                    Err(d) => {
                        eprintln!("{d}");
                        failed = true;
                    }
                }
            }
            if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
        }
        Command::Corpus { out, lessons, per_day } => match dars::corpus::generate(&out, lessons, per_day) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{}: error: {e}", out.display());
                ExitCode::FAILURE
            }
        },
        Command::Serve { site, no_pdf, port, bind, follow, drafts } => {
            let session = dars::session::Session::new(site.options(!no_pdf)).with_drafts(drafts);
            let options = dars::serve::ServeOptions { addr: SocketAddr::new(bind, port), follow };
            match dars::serve::serve(session, options) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn check(opts: &dars::BuildOptions, strict: bool) -> ExitCode {
    let diags = dars::Builder::new().check(opts).sorted();
    let files: std::collections::BTreeSet<_> = diags.0.iter().map(|d| &d.file).collect();
    for d in &diags.0 {
        println!("{d}");
    }
    let errors = diags.0.iter().filter(|d| d.is_error()).count();
    let warnings = diags.0.len() - errors;
    println!("{errors} error(s), {warnings} warning(s) in {} file(s)", files.len());
    if errors > 0 || (strict && warnings > 0) { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn millis(d: std::time::Duration) -> String {
    format!("{} ms", d.as_millis())
}

fn build(opts: &dars::BuildOptions) -> ExitCode {
    let builder = dars::Builder::new();
    match builder.build(opts) {
        Ok(report) if report.up_to_date => {
            println!("{} is up to date: nothing changed since it was built ({:.0?}; --force builds anyway)", opts.output_dir.display(), report.total());
            ExitCode::SUCCESS
        }
        Ok(report) => {
            for w in &report.warnings.0 {
                eprintln!("{w}");
            }
            let stages: Vec<String> = report
                .stages
                .iter()
                .chain(&report.renderers)
                .map(|(s, d)| format!("{s} {}", millis(*d)))
                .chain(report.cpu.iter().map(|(s, d)| format!("{s} {} of CPU over all threads", millis(*d))))
                .collect();
            println!(
                "built {} lessons: {} pages, {} files into {} in {} ({})",
                report.lessons,
                report.pages,
                report.files,
                opts.output_dir.display(),
                millis(report.total()),
                stages.join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("{failure}");
            let out = opts.output_dir.display();
            match failure.output {
                dars::write::OutputState::Unchanged => eprintln!("build failed: {out} was left as it was"),
                dars::write::OutputState::PartlyUpdated { replaced, changed } => eprintln!(
                    "build failed while replacing files: {out} is partly updated ({replaced} of {changed} changed files are new, the others still the previous build's; each file is whole). Fix the cause and build again: the next build finishes it"
                ),
            }
            ExitCode::FAILURE
        }
    }
}
