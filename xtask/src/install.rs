//! Installs what the project needs on a Debian 12 machine, idempotently: system packages
//! (apt), the UI's npm packages, and tauri-driver. Each missing piece is named before it
//! is installed; nothing is installed twice.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::util::{cargo, have, path_with_cargo_bin, root, run, step};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Run,
    Test,
    Bench,
}

/// Packages to build and run the app (Tauri 2 on WebKitGTK 4.1) and show Chinese text.
const BUILD: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libsoup-3.0-dev",
    // Fonts for the UI and for GB/T 9704 typesetting (see assets/fonts.toml). The Fandol
    // faces (仿宋, 楷体, 黑体, 宋体) come from texlive-lang-chinese: see `fandol_fonts`.
    "fonts-noto-cjk",
    "fonts-lxgw-wenkai",
    "fonts-arphic-ukai",
    "fonts-arphic-gkai00mp",
    // A private X server and D-Bus session, also used by `run --headless`.
    "xvfb",
    "dbus-daemon", // dbus-run-session
    "dbus-x11",
    // The OS keyring (Secret Service over D-Bus) where the app keeps its exchange login
    // token; `run --headless` and `test` start one, unlocked, inside their D-Bus session.
    "gnome-keyring",
    "imagemagick",
    // Places `run`'s two windows side by side.
    "xdotool",
];

/// Extra packages for the test suite: WebDriver for the real window, PDF inspection, and
/// PostgreSQL 15 (Debian 12's `postgresql`), whose binaries the exchange server's tests
/// run in a temporary folder on a loopback port: the system service is not used.
const TEST: &[&str] = &[
    "webkit2gtk-driver",
    "poppler-utils",
    // The window tests paste file paths into GTK file dialogs through the clipboard.
    "xclip",
    "ripgrep",
    "postgresql",
    // `cargo xtask window --load`: the window tests beside a CPU load, as on a busy CI box.
    "stress-ng",
    // 四性检测 tests: a real virus scanner (with a local EICAR-only signature file) and
    // an encrypted PDF made by qpdf; unzip reads the 归档文件目录 workbook back.
    "clamav",
    "qpdf",
    "unzip",
];

/// Extra packages for benchmarks: ripgrep and LibreOffice as the comparison baselines.
const BENCH: &[&str] = &["libreoffice-writer-nogui"];

pub fn all(purpose: Purpose) -> Result<()> {
    let mut wanted: Vec<&str> = BUILD.to_vec();
    if purpose != Purpose::Run {
        wanted.extend(TEST);
    }
    if purpose == Purpose::Bench {
        wanted.extend(BENCH);
    }
    if !have("node") || !have("npm") {
        wanted.extend(["nodejs", "npm"]);
    }
    let sudo = Sudo::detect();
    apt(&sudo, &wanted)?;
    fandol_fonts(&sudo)?;
    npm()?;
    if purpose != Purpose::Run {
        tauri_driver()?;
    }
    Ok(())
}

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${db:Status-Abbrev}", pkg])
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).starts_with("ii"))
        .unwrap_or(false)
}

/// Runs a command as root: directly when we are root, else through sudo.
struct Sudo {
    is_root: bool,
}

impl Sudo {
    fn detect() -> Sudo {
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        Sudo { is_root }
    }

    fn command(&self, args: &[&str]) -> Result<Command> {
        if !self.is_root && !have("sudo") {
            bail!("not root and no sudo: as root, run `{}`", args.join(" "));
        }
        let mut c = if self.is_root {
            Command::new(args[0])
        } else {
            let mut c = Command::new("sudo");
            c.arg(args[0]);
            c
        };
        c.args(&args[1..]).env("DEBIAN_FRONTEND", "noninteractive");
        Ok(c)
    }
}

fn apt(sudo: &Sudo, wanted: &[&str]) -> Result<()> {
    let missing: Vec<&str> = wanted.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        println!("System packages: all {} present.", wanted.len());
        return Ok(());
    }
    step(&format!(
        "Installing missing system packages with apt: {}",
        missing.join(" ")
    ));
    if !have("apt-get") {
        bail!(
            "apt-get not found: this setup targets Debian 12; install by hand: {}",
            missing.join(" ")
        );
    }
    let mut args = vec!["apt-get", "install", "-y", "-qq", "--no-install-recommends"];
    args.extend(&missing);
    // Built first, so a machine with neither root nor sudo is told the install to run.
    let mut install = sudo.command(&args)?;
    run(&mut sudo.command(&["apt-get", "update", "-qq"])?)?;
    run(&mut install)
}

/// Where the Fandol faces are installed, system-wide so every account's app finds them.
const FANDOL_DIR: &str = "/usr/local/share/fonts/fandol";
/// The faces assets/fonts.toml names: each covers the 6,763 hanzi of GB2312. Not their
/// Bold faces, which no role uses.
const FANDOL_FACES: &[&str] = &[
    "FandolFang-Regular.otf",
    "FandolKai-Regular.otf",
    "FandolHei-Regular.otf",
    "FandolSong-Regular.otf",
];

/// The Fandol fonts: the only open 仿宋 (and a 楷体, 黑体, 宋体) that covers all of GB2312.
/// Debian ships them only inside texlive-lang-chinese, which installs ~260 MB with its TeX
/// dependencies; so the package is downloaded and only its font files (GPL with the font
/// exception, which allows embedding in PDFs) and its README are copied out.
fn fandol_fonts(sudo: &Sudo) -> Result<()> {
    let dir = std::path::Path::new(FANDOL_DIR);
    if FANDOL_FACES.iter().all(|f| dir.join(f).is_file()) {
        println!("Fandol fonts: present in {FANDOL_DIR}.");
        return Ok(());
    }
    step(&format!(
        "Installing the Fandol fonts (仿宋, 楷体, 黑体, 宋体 covering GB2312) into {FANDOL_DIR}: \
         downloading texlive-lang-chinese and copying out only its font files"
    ));
    let work = std::env::temp_dir().join(format!("gongwen-fandol-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;
    // apt downloads as its own user (_apt), which needs to write here.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o777))?;
    }
    let result = (|| -> Result<()> {
        let download = |c: &mut Command| {
            run(c
                .args(["download", "texlive-lang-chinese"])
                .current_dir(&work))
        };
        if download(&mut Command::new("apt-get")).is_err() {
            // A fresh machine may not have the package lists yet.
            run(&mut sudo.command(&["apt-get", "update", "-qq"])?)?;
            download(&mut Command::new("apt-get"))?;
        }
        let deb = std::fs::read_dir(&work)?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "deb"))
            .context("apt-get download left no .deb")?;
        let unpacked = work.join("unpacked");
        run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&unpacked))?;
        let source = unpacked.join("usr/share/texlive/texmf-dist/fonts/opentype/public/fandol");
        let readme = unpacked.join("usr/share/doc/texlive-doc/fonts/fandol/README");
        let mut files: Vec<PathBuf> = FANDOL_FACES.iter().map(|f| source.join(f)).collect();
        files.push(readme);
        if let Some(gone) = files.iter().find(|f| !f.is_file()) {
            bail!("texlive-lang-chinese no longer holds {}", gone.display());
        }
        let mut install = sudo.command(&["install", "-D", "-m", "644", "-t", FANDOL_DIR])?;
        install.args(&files);
        run(&mut install)?;
        run(&mut sudo.command(&["fc-cache", "-f", FANDOL_DIR])?)
    })();
    let _ = std::fs::remove_dir_all(&work);
    result.context("installing the Fandol fonts")
}

/// `npm ci` when node_modules is missing or older than the lock file.
fn npm() -> Result<()> {
    let ui = root().join("ui");
    let lock = ui.join("package-lock.json");
    if !lock.exists() {
        bail!("ui/package-lock.json is missing");
    }
    let stamp = ui.join("node_modules/.package-lock.json");
    let fresh = match (stamp.metadata(), lock.metadata()) {
        (Ok(s), Ok(l)) => s.modified()? >= l.modified()?,
        _ => false,
    };
    if fresh {
        println!("npm packages: up to date.");
        return Ok(());
    }
    step("Installing the UI's npm packages (npm ci)");
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&ui))
}

fn cargo_bin(name: &str) -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let p = home.join("bin").join(name);
    p.exists().then_some(p)
}

/// tauri-driver bridges WebDriver clients to WebKitWebDriver for the window tests.
fn tauri_driver() -> Result<()> {
    if have("tauri-driver") || cargo_bin("tauri-driver").is_some() {
        println!("tauri-driver: present.");
        return Ok(());
    }
    step("Installing tauri-driver (cargo install --locked tauri-driver)");
    run(cargo()
        .args(["install", "--locked", "tauri-driver"])
        .env("PATH", path_with_cargo_bin()))
    .context("installing tauri-driver")
}
