//! A throwaway PostgreSQL for the test suite: a new cluster in `target/`, on 127.0.0.1 and a
//! free port, fsync off (its data is thrown away), stopped and removed when the guard drops.
//! Debian keeps `initdb` and `pg_ctl` in its versioned folder, off PATH.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::run::{output, status};

/// Where Debian's PostgreSQL packages put their programs: `/usr/lib/postgresql/<version>/bin`.
const DEBIAN_POSTGRESQL: &str = "/usr/lib/postgresql";

/// The newest installed PostgreSQL's program folder, if any.
pub fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(DEBIAN_POSTGRESQL)
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// A running throwaway cluster; dropping it stops the server and removes its folder.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    as_root: bool,
    /// `postgres://postgres@127.0.0.1:PORT`, without a database name.
    pub url: String,
}

impl Cluster {
    pub fn start() -> Result<Cluster> {
        let bin =
            bin_dir().context("PostgreSQL is not installed (cargo xtask setup installs it)")?;
        let dir =
            std::env::current_dir()?.join(format!("target/postgres-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        // PostgreSQL refuses to run as root: the cluster then belongs to the postgres user.
        let as_root = output(Command::new("id").arg("-u")).is_ok_and(|uid| uid.trim() == "0");
        if as_root {
            status(Command::new("chown").args(["postgres:postgres"]).arg(&dir))?;
        }
        let port = free_port()?;
        let cluster = Cluster {
            url: format!("postgres://postgres@127.0.0.1:{port}"),
            bin,
            dir,
            as_root,
        };
        let data = cluster.dir.join("data");
        cluster.run(
            "initdb",
            &[
                "-D",
                path(&data)?,
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "--no-instructions",
            ],
        )?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c fsync=off -c max_connections=300",
            path(&cluster.dir)?
        );
        let log = cluster.dir.join("server.log");
        cluster.run(
            "pg_ctl",
            &[
                "-D",
                path(&data)?,
                "-w",
                "-l",
                path(&log)?,
                "-o",
                &options,
                "start",
            ],
        )?;
        Ok(cluster)
    }

    fn run(&self, program: &str, args: &[&str]) -> Result<()> {
        let program = self.bin.join(program);
        let mut command = if self.as_root {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        command.args(args).stdout(std::process::Stdio::null());
        status(&mut command)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Ok(data) = path(&self.dir.join("data")) {
            let _ = self.run("pg_ctl", &["-D", data, "-m", "immediate", "stop"]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn path(path: &Path) -> Result<&str> {
    match path.to_str() {
        Some(text) => Ok(text),
        None => bail!("{} is not UTF-8", path.display()),
    }
}

/// A port nothing listens on now, from the system.
fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
