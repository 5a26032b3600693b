use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "dars", version, about = "Builds the bilingual (French / Arabic) programme website and handouts")]
struct Cli {
    /// Project folder holding content/ and themes/.
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the site into output/ (replaced only when the whole build succeeds).
    Build {
        /// Content folder (default: ROOT/content).
        #[arg(long)]
        content: Option<PathBuf>,
        /// Theme folder (default: ROOT/themes/default).
        #[arg(long)]
        theme: Option<PathBuf>,
        /// Output folder (default: ROOT/output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Build { content, theme, output } => {
            let mut opts = dars::BuildOptions::in_project(&cli.root);
            if let Some(c) = content {
                opts.content_dir = c;
            }
            if let Some(t) = theme {
                opts.theme_dir = t;
            }
            if let Some(o) = output {
                opts.output_dir = o;
            }
            build(&opts)
        }
    }
}

fn build(opts: &dars::BuildOptions) -> ExitCode {
    let builder = dars::Builder::new();
    match builder.build(opts) {
        Ok(report) => {
            let stages: Vec<String> = report.stages.iter().chain(&report.renderers).map(|(s, d)| format!("{s} {:.0?}", d)).collect();
            println!(
                "built {} lessons: {} pages, {} files into {} in {:.0?} ({})",
                report.lessons,
                report.pages,
                report.files,
                opts.output_dir.display(),
                report.total(),
                stages.join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(diags) => {
            eprintln!("{diags}");
            eprintln!("build failed: {} was left as it was", opts.output_dir.display());
            ExitCode::FAILURE
        }
    }
}
