//! The `deployc` command line: parse arguments, read files, call the library, render
//! diagnostics, set the exit code (0 ok, 1 errors in the input, 2 usage or I/O).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use deployc::diagnostics::render::{self, Style};
use deployc::diagnostics::{Diagnostics, codes};
use deployc::source::SourceMap;
use deployc::{CompileOptions, output};

#[derive(Parser)]
#[command(name = "deployc", version, about = "Compile a typed .deploy file into Kubernetes manifests", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Human,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Parse and check files; print diagnostics only.
    #[command(after_help = "Example:\n  deployc check examples/task-api-doks.deploy")]
    Check {
        /// The .deploy files to check.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Which deployment to check when a file holds several.
        #[arg(long)]
        name: Option<String>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Check a file and write its manifests to a directory, atomically.
    #[command(after_help = "Example:\n  deployc build examples/task-api-doks.deploy -o out")]
    Build {
        /// The .deploy file to build.
        file: PathBuf,
        /// The output directory (replaced whole; left untouched when the build fails).
        #[arg(short, long)]
        output: PathBuf,
        /// Which deployment to build when the file holds several.
        #[arg(long)]
        name: Option<String>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value = "human")]
        format: Format,
    },
    /// Explain a diagnostic code, with an example and the fix.
    #[command(after_help = "Examples:\n  deployc explain E0301\n  deployc explain --list")]
    Explain {
        /// The code, such as E0301.
        #[arg(required_unless_present = "list")]
        code: Option<String>,
        /// List every code with its title.
        #[arg(long)]
        list: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files, name, format } => {
            let mut worst = 0u8;
            for file in files {
                let options = CompileOptions { deployment: name.clone() };
                let Some((diagnostics, sources, _)) = compile_file(&file, &options, false) else {
                    worst = 2;
                    continue;
                };
                print_diagnostics(&diagnostics, &sources, format);
                worst = worst.max(exit_code(&diagnostics));
            }
            ExitCode::from(worst)
        }
        Command::Build { file, output, name, format } => {
            let options = CompileOptions { deployment: name };
            let Some((diagnostics, sources, tree)) = compile_file(&file, &options, true) else {
                return ExitCode::from(2);
            };
            print_diagnostics(&diagnostics, &sources, format);
            let Some(tree) = tree else { return ExitCode::from(exit_code(&diagnostics).max(1)) };
            match output::write_atomically(&tree, &output) {
                Ok(()) => {
                    if matches!(format, Format::Human) {
                        eprintln!("wrote {} files to {}", tree.len(), output.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: cannot write {}: {error}", output.display());
                    ExitCode::from(2)
                }
            }
        }
        Command::Explain { code, list } => {
            if list {
                for info in codes::CODES {
                    println!("{}  {:<8} {}", info.code, info.phase, info.title);
                }
                return ExitCode::SUCCESS;
            }
            let code = code.unwrap_or_default();
            match codes::lookup(&code) {
                Some(info) => {
                    print!("{}", info.explanation);
                    ExitCode::SUCCESS
                }
                None => {
                    eprintln!("error: no diagnostic code `{code}`; `deployc explain --list` shows them all");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// 1 for errors in the input, 0 otherwise (I/O problems exit 2 where they happen).
fn exit_code(diagnostics: &Diagnostics) -> u8 {
    if diagnostics.has_errors() { 1 } else { 0 }
}

fn print_diagnostics(diagnostics: &Diagnostics, sources: &SourceMap, format: Format) {
    match format {
        Format::Json => print!("{}", render::render_json(diagnostics, sources)),
        Format::Human => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let style = if colour { Style::Colour } else { Style::Plain };
            eprint!("{}", render::render_all(diagnostics, sources, style));
        }
    }
}

/// The result of checking or compiling one file.
type FileResult = (Diagnostics, SourceMap, Option<output::OutputTree>);

/// Read, check and (when `build`) compile one file; `None` (after printing why) when the file
/// cannot be read.
fn compile_file(path: &Path, options: &CompileOptions, build: bool) -> Option<FileResult> {
    let mut sources = SourceMap::new();
    let mut diagnostics = Diagnostics::new();
    let display = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("error: cannot read {display}: {error}");
            return None;
        }
    };
    let text = match deployc::source::decode(&display, bytes, &mut diagnostics) {
        Some(text) => text,
        None => return Some((diagnostics, sources, None)),
    };
    let root = sources.add(display, text);
    let loader = |importer: &str, relative: &str| -> Result<(String, String), String> {
        let base = Path::new(importer).parent().unwrap_or(Path::new(""));
        let path = base.join(relative);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Ok((path.display().to_string(), text))
    };
    if build {
        let compilation = deployc::compile(&mut sources, root, &loader, options);
        diagnostics.extend(compilation.diagnostics);
        Some((diagnostics, sources, compilation.output))
    } else {
        diagnostics.extend(deployc::check_only(&mut sources, root, &loader, options));
        Some((diagnostics, sources, None))
    }
}
