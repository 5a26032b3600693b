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
    /// Start a new programme in DIR: programme.yaml, one day, an example lesson per language.
    #[command(after_help = "Example:\n  dars init mon-programme\n  cd mon-programme && dars build")]
    Init {
        /// The new project's folder (made if missing; it must be empty).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Add something to the programme: `dars new lesson`.
    #[command(subcommand)]
    New(NewCommand),
    /// Copy a file of the built-in theme into themes/default/, where it overrides the built-in one.
    #[command(after_help = "Example:\n  dars override static/style.css     # then edit themes/default/static/style.css\n  dars override --list")]
    Override {
        /// Paths in the theme, e.g. static/style.css, templates/base.html, i18n/fr.yaml.
        #[arg(required_unless_present = "list")]
        files: Vec<PathBuf>,
        /// List the built-in theme's files.
        #[arg(long)]
        list: bool,
        /// Project folder holding content/ and themes/.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Theme folder to copy into (default: ROOT/themes/default).
        #[arg(long)]
        theme: Option<PathBuf>,
    },
    /// Build the site into output/ (updated only when the whole build succeeds).
    #[command(after_help = "Example:\n  dars build                  # content/ into output/\n  dars build --no-pdf --quiet")]
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
        /// Also print the time of each stage of the build.
        #[arg(long, short, conflicts_with = "quiet")]
        verbose: bool,
        /// Print only warnings and errors.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Find every mistake in content and theme without writing anything.
    #[command(after_help = "Example:\n  dars check\n  dars check --strict        # warnings fail too (for CI)")]
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
    #[command(after_help = "Example:\n  dars mark-translated content/day-1/01-intro.ar.md")]
    MarkTranslated {
        /// Translated lesson files, e.g. content/day-1/01-intro.ar.md.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Language of the source lessons.
        #[arg(long, default_value = "fr")]
        source: String,
    },
    /// Serve the site with live reload while you edit content/ and themes/.
    #[command(after_help = "Example:\n  dars serve                  # then open http://127.0.0.1:8000/")]
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

#[derive(Subcommand)]
enum NewCommand {
    /// A lesson at the next order of its day, with a translation stub per other language.
    #[command(after_help = "Example:\n  dars new lesson --day 1 \"Les réseaux\"\n  dars new lesson --day 2 \"الحلقات\" --slug loops")]
    Lesson {
        /// Its title, in the language of the lesson (Arabic letters: the right-to-left language).
        title: String,
        /// The day of programme.yaml it belongs to.
        #[arg(long)]
        day: u32,
        /// The language of the title (default: guessed from its letters).
        #[arg(long)]
        lang: Option<String>,
        /// Its address, e.g. `loops` (default: from a Latin title, else lesson-N).
        #[arg(long)]
        slug: Option<String>,
        /// Project folder holding content/.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Content folder (default: ROOT/content).
        #[arg(long)]
        content: Option<PathBuf>,
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
    /// Theme folder whose files override the built-in theme's (default: ROOT/themes/default).
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
            // Without a folder of its own a site uses the built-in theme; a folder named
            // on the command line must be there.
            if !t.is_dir() {
                eprintln!("{}: error: theme folder not found (without --theme, dars uses its built-in theme and ROOT/themes/default/ when it exists)", t.display());
                std::process::exit(1);
            }
            opts.theme_dir = t;
        }
        opts.pdf = pdf;
        opts
    }
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Init { dir } => init(&dir),
        Command::New(NewCommand::Lesson { title, day, lang, slug, root, content }) => {
            let content = content.unwrap_or_else(|| dars::BuildOptions::in_project(&root).content_dir);
            new_lesson(&content, &dars::scaffold::LessonRequest { day, title: &title, lang: lang.as_deref(), slug: slug.as_deref() })
        }
        Command::Override { files, list, root, theme } => {
            let theme = theme.unwrap_or_else(|| dars::BuildOptions::in_project(&root).theme_dir);
            override_files(&theme, &files, list)
        }
        Command::Build { site, output, no_pdf, force, verbose, quiet } => {
            let mut opts = site.options(!no_pdf);
            if let Some(o) = output {
                opts.output_dir = o;
            }
            opts.force = force;
            let verbosity = if quiet { Verbosity::Quiet } else if verbose { Verbosity::Verbose } else { Verbosity::Normal };
            build(&opts, verbosity)
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

fn init(dir: &std::path::Path) -> ExitCode {
    match dars::scaffold::init(dir) {
        Ok(files) => {
            println!("made a new programme in {} ({}):", dir.display(), plural(files.len(), "file"));
            for f in &files {
                println!("  {}", f.display());
            }
            let cd = if dir == std::path::Path::new(".") { String::new() } else { format!("cd {} && ", dir.display()) };
            println!("next: {cd}dars build, then open output/index.html; add a lesson with dars new lesson --day 1 \"Titre\"");
            ExitCode::SUCCESS
        }
        Err(d) => {
            eprintln!("{d}");
            ExitCode::FAILURE
        }
    }
}

fn new_lesson(content: &std::path::Path, request: &dars::scaffold::LessonRequest) -> ExitCode {
    match dars::scaffold::new_lesson(content, request) {
        Ok(made) => {
            println!("{}: new lesson in `{}`, day {}, order {}", made.source.display(), made.lang, request.day, made.order);
            for stub in &made.stubs {
                println!("{}: translation stub (draft: true until translated; dars check lists it)", stub.display());
            }
            println!("slug `{}`: {}; the lesson's address is LANG/day-{}/{}/", made.slug, made.slug_note, request.day, made.slug);
            ExitCode::SUCCESS
        }
        Err(diags) => {
            for d in &diags.0 {
                eprintln!("{d}");
            }
            ExitCode::FAILURE
        }
    }
}

fn override_files(theme: &std::path::Path, files: &[PathBuf], list: bool) -> ExitCode {
    if list {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for (rel, _) in dars::theme::BUILTIN {
            let overridden = theme.join(rel).is_file();
            // A closed pipe (`| head`) ends the list.
            if writeln!(out, "{rel}{}", if overridden { "   (overridden by your copy)" } else { "" }).is_err() {
                break;
            }
        }
        return ExitCode::SUCCESS;
    }
    let mut failed = false;
    for f in files {
        match dars::scaffold::override_file(theme, &f.to_string_lossy()) {
            Ok(dest) => println!("{}: copy of the built-in file; edit it, dars uses it instead", dest.display()),
            Err(d) => {
                eprintln!("{d}");
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

/// `1 lesson`, `2 lessons`: the terminal speaks English.
fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

fn seconds(d: std::time::Duration) -> String {
    if d.as_millis() < 1000 { format!("{} ms", d.as_millis()) } else { format!("{:.1} s", d.as_secs_f64()) }
}

/// While a build runs longer than a second, a line on the terminal that says it goes on
/// (only on a terminal: a log or a pipe gets the summary alone).
struct Progress {
    stop: std::sync::Arc<(std::sync::Mutex<bool>, std::sync::Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    fn start(verbosity: Verbosity) -> Progress {
        use std::io::IsTerminal;
        let stop = std::sync::Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let thread = (verbosity != Verbosity::Quiet && std::io::stderr().is_terminal()).then(|| {
            let stop = std::sync::Arc::clone(&stop);
            std::thread::spawn(move || {
                let start = std::time::Instant::now();
                let (lock, wake) = &*stop;
                let mut done = lock.lock().unwrap_or_else(|p| p.into_inner());
                let mut shown = false;
                loop {
                    let wait = if shown { std::time::Duration::from_millis(500) } else { std::time::Duration::from_secs(1) };
                    done = wake.wait_timeout(done, wait).unwrap_or_else(|p| p.into_inner()).0;
                    if *done {
                        break;
                    }
                    eprint!("\rbuilding… {} s", start.elapsed().as_secs());
                    shown = true;
                }
                if shown {
                    // Clears the line for the summary.
                    eprint!("\r\x1b[K");
                }
            })
        });
        Progress { stop, thread }
    }

    fn finish(mut self) {
        *self.stop.0.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.stop.1.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn build(opts: &dars::BuildOptions, verbosity: Verbosity) -> ExitCode {
    let builder = dars::Builder::new();
    let progress = Progress::start(verbosity);
    let result = builder.build(opts);
    progress.finish();
    match result {
        Ok(report) if report.up_to_date => {
            if verbosity != Verbosity::Quiet {
                println!("{} is up to date: nothing changed since it was built ({}; --force builds anyway)", opts.output_dir.display(), seconds(report.total()));
            }
            ExitCode::SUCCESS
        }
        Ok(report) => {
            for w in &report.warnings.0 {
                eprintln!("{w}");
            }
            if verbosity != Verbosity::Quiet {
                let pdfs = if opts.pdf { format!(", {}", plural(report.pdfs, "PDF")) } else { String::new() };
                println!(
                    "built {}: {}{pdfs} into {} in {}",
                    plural(report.lessons, "lesson"),
                    plural(report.pages, "page"),
                    opts.output_dir.display(),
                    seconds(report.total())
                );
            }
            if verbosity == Verbosity::Verbose {
                let stages: Vec<String> = report
                    .stages
                    .iter()
                    .chain(&report.renderers)
                    .map(|(s, d)| format!("{s} {}", seconds(*d)))
                    .chain(report.cpu.iter().map(|(s, d)| format!("{s} {} of CPU over all threads", seconds(*d))))
                    .collect();
                println!("{} written; stages: {}", plural(report.files, "file"), stages.join(", "));
            }
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
