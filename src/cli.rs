//! The command-line interface as clap definitions: the arguments, their help, an example for
//! every command. Shell completions and the man page are generated from these.

use std::path::PathBuf;

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "deployc",
    version,
    about = "Compile a typed .deploy file into Kubernetes manifests",
    long_about = "deployc compiles one small, typed .deploy file (the target cluster, the platform stack, \
your services, secrets by reference and success criteria) into reviewed, checked-in Kubernetes manifests. \
It makes no cloud calls.",
    after_help = "Examples:\n  deployc init --provider k3d shop\n  deployc check shop.deploy\n  deployc build shop.deploy -o out\n  deployc diff shop.deploy out --check\n\nExit codes: 0 ok, 1 errors in the input (or drift, or unformatted files with --check), 2 usage or I/O error."
)]
pub struct Cli {
    /// When to use colours: `auto` uses them on a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// How `cost` prints the estimate.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CostFormat {
    /// A table on standard output.
    Human,
    /// One JSON object on standard output.
    Json,
}

/// How `check` and `build` print diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source excerpts with labels and help, on standard error.
    Human,
    /// One JSON object per diagnostic and line, on standard output.
    Json,
    /// One SARIF 2.1.0 log, on standard output (for GitHub code scanning).
    Sarif,
}

/// How `explain` prints.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// The explain page as Markdown.
    Human,
    /// `{code, title, phase, severity, explanation}`; with --list, an array without the pages.
    Json,
}

#[derive(Subcommand)]
pub enum Command {
    /// Parse and check files; print every diagnostic, write nothing.
    #[command(
        after_help = "Examples:\n  deployc check examples/task-api-doks.deploy\n  deployc check --format sarif *.deploy > deployc.sarif"
    )]
    Check {
        /// The .deploy files to check.
        #[arg(required = true, value_hint = clap::ValueHint::FilePath)]
        files: Vec<PathBuf>,
        /// Which deployment to check when a file holds several.
        #[arg(long)]
        name: Option<String>,
        /// Only this environment, when the deployment declares environments (default: all of them).
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Check a file and write its manifests to a directory, atomically.
    #[command(
        after_help = "Example:\n  deployc build examples/task-api-doks.deploy -o out\n  out/scripts/provision.sh && out/scripts/deploy.sh   # deploy.sh installs the stack (and its CRDs) before the manifests"
    )]
    Build {
        /// The .deploy file to build.
        #[arg(value_hint = clap::ValueHint::FilePath)]
        file: PathBuf,
        /// The output directory (replaced whole; left untouched when the build fails).
        #[arg(short, long, value_hint = clap::ValueHint::DirPath)]
        output: PathBuf,
        /// Which deployment to build when the file holds several.
        #[arg(long)]
        name: Option<String>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Replace the output directory even when it holds files deployc does not write.
        #[arg(long)]
        force: bool,
    },
    /// Show what a build would change in an output directory: resources, then a unified diff.
    #[command(
        after_help = "Examples:\n  deployc diff app.deploy out\n  deployc diff app.deploy out --check   # in CI: exit 1 when out/ is stale\n  deployc diff app.deploy --env staging --against prod   # what differs between two environments"
    )]
    Diff {
        /// The .deploy file to compile (in memory; nothing is written).
        #[arg(value_hint = clap::ValueHint::FilePath)]
        file: PathBuf,
        /// The output directory to compare with, as `deployc build -o DIR` wrote it.
        #[arg(value_hint = clap::ValueHint::DirPath, required_unless_present = "against", conflicts_with = "against")]
        dir: Option<PathBuf>,
        /// Compare two environments of the file instead: this one's output ...
        #[arg(long, value_name = "NAME", requires = "against")]
        env: Option<String>,
        /// ... against this one's (`--env staging --against prod`: what staging changes from prod).
        #[arg(long, value_name = "NAME", requires = "env")]
        against: Option<String>,
        /// Exit 1 when anything differs.
        #[arg(long)]
        check: bool,
        /// Which deployment to compile when the file holds several.
        #[arg(long)]
        name: Option<String>,
    },
    /// Move image versions (or named values) from one environment to another by rewriting the file.
    #[command(
        after_help = "Examples:\n  deployc promote app.deploy out --from dev --to staging\n  deployc promote app.deploy out --from staging --to prod --value service.api.replicas\n  deployc promote app.deploy out --from dev --to staging --check   # in CI: exit 1 when a promotion is pending\n\nThe changes land in the target environment's block only: an override it writes is replaced, a value it inherits gets an override of its own. An image moves by its version (tag and digest), keeping the target's registry."
    )]
    Promote {
        /// The .deploy file to rewrite.
        #[arg(value_hint = clap::ValueHint::FilePath)]
        file: PathBuf,
        /// The output directory `deployc build -o DIR` wrote: promote refuses when the source environment's files in it are stale.
        #[arg(value_hint = clap::ValueHint::DirPath)]
        dir: PathBuf,
        /// The environment whose versions move (it has been built, deployed and verified).
        #[arg(long, value_name = "NAME")]
        from: String,
        /// The environment that takes them.
        #[arg(long, value_name = "NAME")]
        to: String,
        /// Promote this value instead of the images: a dotted path such as `service.api.replicas` (repeatable).
        #[arg(long = "value", value_name = "PATH")]
        values: Vec<String>,
        /// Change nothing: print the change and exit 1 when there is one.
        #[arg(long)]
        check: bool,
        /// Which deployment to promote in when the file holds several.
        #[arg(long)]
        name: Option<String>,
    },
    /// Format .deploy files in place: aligned `=`, two-space indent, comments kept.
    #[command(
        after_help = "Examples:\n  deployc fmt app.deploy\n  deployc fmt --check .            # in CI: list unformatted files, exit 1\n  deployc fmt - < app.deploy       # standard input to standard output"
    )]
    Fmt {
        /// Files, or directories to search for .deploy files; `-` reads standard input.
        #[arg(required = true, value_hint = clap::ValueHint::AnyPath)]
        files: Vec<PathBuf>,
        /// Change nothing: list the files that are not formatted and exit 1 if there are any.
        #[arg(long)]
        check: bool,
    },
    /// Explain a diagnostic code, with an example and the fix.
    #[command(
        after_help = "Examples:\n  deployc explain E0301\n  deployc explain --list\n  deployc explain E0301 --format json"
    )]
    Explain {
        /// The code, such as E0301.
        #[arg(required_unless_present = "list")]
        code: Option<String>,
        /// List every code with its phase and title.
        #[arg(long, conflicts_with = "code")]
        list: bool,
        /// How to print.
        #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
        format: ExplainFormat,
    },
    /// Print the monthly cost estimate, line by line, against the budget.
    #[command(
        after_help = "Examples:\n  deployc cost examples/task-api-doks.deploy\n  deployc cost examples/task-api-doks.deploy --format json"
    )]
    Cost {
        /// The .deploy file.
        #[arg(value_hint = clap::ValueHint::FilePath)]
        file: PathBuf,
        /// Which deployment to price when the file holds several.
        #[arg(long)]
        name: Option<String>,
        /// Only this environment, when the deployment declares environments (default: all of them).
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
        /// How to print.
        #[arg(long, value_enum, default_value_t = CostFormat::Human)]
        format: CostFormat,
    },
    /// Print the architecture as a Mermaid flowchart: stack stages, services, routes, `uses`.
    #[command(after_help = "Example:\n  deployc graph examples/todo-app-doks.deploy > architecture.mmd")]
    Graph {
        /// The .deploy file.
        #[arg(value_hint = clap::ValueHint::FilePath)]
        file: PathBuf,
        /// Which deployment to draw when the file holds several.
        #[arg(long)]
        name: Option<String>,
        /// Only this environment, when the deployment declares environments (default: all of them, the first for `graph`).
        #[arg(long, value_name = "NAME")]
        env: Option<String>,
    },
    /// Write a commented starter file, NAME.deploy, that checks clean.
    #[command(
        after_help = "Examples:\n  deployc init                      # app.deploy for a local k3d cluster\n  deployc init --provider hetzner shop"
    )]
    Init {
        /// The deployment's name (a lowercase DNS label); the file is NAME.deploy.
        #[arg(default_value = "app")]
        name: String,
        /// The cluster provider.
        #[arg(long, value_parser = providers(), default_value = deployc::init::DEFAULT_PROVIDER)]
        provider: String,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  deployc completions bash > ~/.local/share/bash-completion/completions/deployc\n  deployc completions zsh > ~/.zfunc/_deployc\n  deployc completions fish > ~/.config/fish/completions/deployc.fish"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man pages (roff): deployc(1), then one page per command.
    #[command(
        after_help = "Examples:\n  deployc man > deployc.1 && man ./deployc.1\n  deployc man --dir share/man/man1   # deployc.1, deployc-check.1, …"
    )]
    Man {
        /// Write one file per page into this directory instead.
        #[arg(long, value_hint = clap::ValueHint::DirPath)]
        dir: Option<PathBuf>,
    },
}

/// The `--provider` values of `init`: the providers with a starter, which are the stdlib's
/// (`tests/tidy.rs`), each with its title from its stdlib file.
fn providers() -> PossibleValuesParser {
    PossibleValuesParser::new(deployc::init::PROVIDERS.iter().map(|name| {
        let title = deployc::stdlib::PROVIDER_TITLES.iter().find(|(p, _)| p == name).map(|(_, t)| *t);
        PossibleValue::new(*name).help(title.unwrap_or(""))
    }))
}
