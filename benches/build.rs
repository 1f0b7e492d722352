//! The `deployc build` benchmark (issue 7): the whole process, start-up and writing files
//! included, for N generated services.
//!
//! ```text
//! cargo bench --bench build                      # N = 10, 100, 1000, 5000; 7 runs each
//! cargo bench --bench build -- 1000 --runs 11    # one size, more runs
//! cargo bench --bench build -- --command check   # `deployc check FILE` instead of build
//! cargo bench --bench build -- --reuse-output    # build over the previous output directory
//! cargo bench --bench build -- --out-dir /dev/shm/deployc-bench   # write to a tmpfs
//! cargo bench --bench build -- --deployc PATH    # time another binary (a before/after)
//! cargo bench --bench build -- --generate 1000 > bench.deploy   # only print the input
//! ```
//!
//! For each N it writes the input to `OUT/N/bench.deploy` (`OUT` is `target/bench` unless
//! `--out-dir` says otherwise), runs the binary once to warm the page cache, then times `--runs`
//! runs (wall clock from spawn to exit) and reads each run's peak resident set size from
//! `wait4`'s `ru_maxrss`. It prints the median, the fastest and the slowest run and the largest
//! peak RSS, as a Markdown table for BENCHMARKS.md.
//!
//! Each run builds into a directory of its own, and nothing is deleted while runs are timed:
//! on an ext4 file system without a journal (this machine's), the kernel skips recently
//! deleted inodes when it allocates one, so creating thousands of files soon after deleting
//! thousands costs seconds (see BENCHMARKS.md). Outputs of the previous invocation are deleted
//! first, then the benchmark waits `--settle` seconds (65 by default) until those inodes no
//! longer count as recent (60 s after they are written back).

#[path = "support/generate.rs"]
mod generate;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Options {
    sizes: Vec<usize>,
    runs: usize,
    deployc: PathBuf,
    command: String,
    reuse_output: bool,
    out_dir: PathBuf,
    settle: u64,
}

fn usage() -> ! {
    eprintln!(
        "usage: cargo bench --bench build -- [N…] [--runs R] [--command build|check] [--reuse-output] \
         [--out-dir DIR] [--settle SECONDS] [--deployc PATH] | --generate N"
    );
    std::process::exit(2)
}

fn parse_args() -> Options {
    let mut options = Options {
        sizes: Vec::new(),
        runs: 7,
        deployc: PathBuf::from(env!("CARGO_BIN_EXE_deployc")),
        command: "build".into(),
        reuse_output: false,
        out_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("bench"),
        settle: 65,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // `cargo bench` passes `--bench` to every bench target.
            "--bench" => {}
            "--runs" => {
                options.runs = args.next().and_then(|r| r.parse().ok()).filter(|r| *r > 0).unwrap_or_else(|| usage())
            }
            "--deployc" => options.deployc = args.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--command" => {
                options.command = args.next().filter(|c| c == "build" || c == "check").unwrap_or_else(|| usage())
            }
            "--reuse-output" => options.reuse_output = true,
            "--out-dir" => options.out_dir = args.next().map(PathBuf::from).unwrap_or_else(|| usage()),
            "--settle" => options.settle = args.next().and_then(|s| s.parse().ok()).unwrap_or_else(|| usage()),
            "--generate" => {
                let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| usage());
                print!("{}", generate::generate(n));
                std::process::exit(0);
            }
            _ => match arg.parse() {
                Ok(n) => options.sizes.push(n),
                Err(_) => usage(),
            },
        }
    }
    if options.sizes.is_empty() {
        options.sizes = vec![10, 100, 1000, 5000];
    }
    options
}

/// One run: wall time and peak RSS in KiB.
struct Run {
    wall: Duration,
    max_rss_kib: u64,
}

/// Run `command` to completion, timing it and reading its rusage.
// The child is reaped by `wait4` (which `Child::wait` cannot do: it returns no rusage).
#[allow(clippy::zombie_processes)]
fn run(command: &mut Command) -> Run {
    let start = Instant::now();
    let child = command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn();
    let child = child.unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is valid; `wait4` fills it for the child we started.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child and has not been waited for; the pointers are valid.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    assert_eq!(waited, pid, "wait4 failed: {}", std::io::Error::last_os_error());
    // The child has been reaped, so `Child::wait` must not be called; its stderr is still ours.
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr {
        use std::io::Read;
        let _ = pipe.read_to_string(&mut stderr);
    }
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "{command:?} failed:\n{stderr}");
    Run { wall, max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0) }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn main() {
    let options = parse_args();
    let root = &options.out_dir;
    if root.exists() {
        // Delete the previous invocation's outputs, then let the deletions stop counting as
        // recent (60 s once the inode table is written back) before anything is created.
        let _ = std::fs::remove_dir_all(root);
        let _ = Command::new("sync").status();
        if options.settle > 0 {
            eprintln!("deleted the previous outputs; waiting {} s for the file system to settle", options.settle);
            std::thread::sleep(Duration::from_secs(options.settle));
        }
    }
    println!(
        "deployc {} benchmark: {} runs per size after one warm-up, {}",
        options.command,
        options.runs,
        if options.reuse_output { "building over the previous output" } else { "each into a new directory" }
    );
    println!("binary: {}", options.deployc.display());
    println!("output under: {}", root.display());
    println!("load average before: {}\n", load_average());
    println!("| N | input | files | median | fastest | slowest | peak RSS |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let mut medians: Vec<(usize, f64)> = Vec::new();
    for &n in &options.sizes {
        let dir = root.join(n.to_string());
        std::fs::create_dir_all(&dir).expect("create the benchmark directory");
        let input = dir.join("bench.deploy");
        let text = generate::generate(n);
        std::fs::write(&input, &text).expect("write the input");
        let mut times = Vec::new();
        let mut rss = 0u64;
        let mut last_output = dir.join("out");
        for index in 0..=options.runs {
            let output = if options.reuse_output { dir.join("out") } else { dir.join(format!("out-{index}")) };
            let mut command = Command::new(&options.deployc);
            command.arg(&options.command).arg(&input);
            if options.command == "build" {
                command.arg("-o").arg(&output);
            }
            let result = run(&mut command);
            // The first run warms the page cache and is not counted.
            if index > 0 {
                times.push(result.wall);
                rss = rss.max(result.max_rss_kib);
            }
            last_output = output;
        }
        times.sort();
        let median = times[times.len() / 2];
        let files = if options.command == "build" { count_files(&last_output) } else { 0 };
        println!(
            "| {n} | {} KiB | {files} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} MiB |",
            text.len().div_ceil(1024),
            millis(median),
            millis(times[0]),
            millis(times[times.len() - 1]),
            rss as f64 / 1024.0,
        );
        medians.push((n, millis(median)));
    }
    println!("\nload average after: {}", load_average());
    for pair in medians.windows(2) {
        let ((n0, t0), (n1, t1)) = (pair[0], pair[1]);
        println!("{n1}/{n0} = {:.1}x the services: {:.2}x the time", n1 as f64 / n0 as f64, t1 / t0);
    }
}

fn count_files(dir: &Path) -> usize {
    let mut count = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                count += 1;
            }
        }
    }
    count
}
