//! Project automation (the cargo-xtask pattern): `cargo xtask test | run-scenarios | bench`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context};

mod system_packages;

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  test            install missing system packages (as root) and run the whole test suite
  run-scenarios   build and start the reference target (the scenario runner lands with issue 5)
  bench           measure SCIM user creates per second against the reference target
";

/// Exit code for a usage error or a missing prerequisite the user must install.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        eprint!("{USAGE}");
        return ExitCode::from(EXIT_USAGE);
    };
    let rest: Vec<String> = args.collect();
    let result = match command.as_str() {
        "test" => test(&rest),
        "run-scenarios" => run_scenarios(&rest),
        "bench" => bench(&rest),
        "-h" | "--help" | "help" => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        other => {
            eprintln!("error: unknown xtask command `{other}`\n\n{USAGE}");
            Ok(ExitCode::from(EXIT_USAGE))
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives one level below it).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}

/// Runs a command to completion; a non-zero status is an error naming the command.
fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("starting {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// `cargo xtask test`: system packages first, then every test in the workspace.
fn test(args: &[String]) -> anyhow::Result<ExitCode> {
    if let Some(code) = system_packages::ensure()? {
        return Ok(code);
    }
    let mut cmd = cargo();
    cmd.args(["test", "--workspace", "--locked"])
        .args(args)
        // Snapshots are reviewed by people; a test run never writes them.
        .env("INSTA_UPDATE", "no");
    run(&mut cmd)?;
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask run-scenarios`: until the scenario runner exists (issue 5) this builds
/// the harness and serves the reference target on a temporary SQLite file.
fn run_scenarios(args: &[String]) -> anyhow::Result<ExitCode> {
    if !args.is_empty() {
        eprintln!("error: run-scenarios takes no arguments yet (the scenario runner is not built)");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    if let Some(code) = system_packages::ensure()? {
        return Ok(code);
    }
    run(cargo().args(["build", "--locked", "--release", "--package", "cli"]))?;
    let root = workspace_root();
    let out = root.join("target").join("scim-harness");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let db = out.join("reference.db");
    for stale in ["reference.db", "reference.db-wal", "reference.db-shm"] {
        let _ = std::fs::remove_file(out.join(stale));
    }
    let token = match std::env::var("SCIM_HARNESS_TOKEN") {
        Ok(token) if !token.is_empty() => token,
        _ => {
            let token = random_token()?;
            let path = out.join("token");
            write_private(&path, &token)?;
            println!(
                "bearer token written to {} (SCIM_HARNESS_TOKEN overrides)",
                path.display()
            );
            token
        }
    };
    println!("the scenario runner is not built yet (issue 5); serving the reference target, Ctrl-C stops it");
    let binary = root.join("target/release/scim-harness");
    run(Command::new(binary)
        .args(["target", "serve", "--listen", "127.0.0.1:3000", "--db"])
        .arg(&db)
        .arg("--config")
        .arg(root.join("fixtures/target/reference.ini"))
        .env("SCIM_HARNESS_TOKEN", token))?;
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask bench`: a whole-process load of user creates over loopback keep-alive.
fn bench(args: &[String]) -> anyhow::Result<ExitCode> {
    if let Some(code) = system_packages::ensure()? {
        return Ok(code);
    }
    let mut cmd = cargo();
    cmd.args([
        "bench",
        "--locked",
        "--package",
        "cli",
        "--bench",
        "scim_creates",
        "--",
    ])
    .args(args);
    match python_baseline() {
        Ok(exe) => {
            cmd.env("SCIM_BENCH_PYTHON_SERVER", exe);
        }
        Err(err) => eprintln!("note: the Python baseline is not measured: {err:#}"),
    }
    run(&mut cmd)?;
    Ok(ExitCode::SUCCESS)
}

/// The baseline server for `bench`: PyPI's `scim2-server` (an interpreted, in-memory SCIM
/// server) in a virtualenv under `target/`, installed on first use.
fn python_baseline() -> anyhow::Result<PathBuf> {
    const PACKAGE: &str = "scim2-server==0.8.3";
    let venv = workspace_root().join("target/bench-python");
    let exe = venv.join("bin/scim2-server");
    if !exe.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
            .context("creating a Python virtualenv (python3 with venv needed)")?;
        run(Command::new(venv.join("bin/pip")).args(["install", "--quiet", PACKAGE]))
            .with_context(|| format!("installing {PACKAGE} from PyPI"))?;
    }
    Ok(exe)
}

/// 32 random bytes from the kernel, hex-encoded.
fn random_token() -> anyhow::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("reading /dev/urandom for a bearer token")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes a secret readable by the owner only.
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}
