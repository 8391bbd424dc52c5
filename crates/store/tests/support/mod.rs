//! Test harness: scan results made to order, and a real PostgreSQL server (Debian's
//! `postgresql`) started on a free port in a temporary directory and stopped on drop.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A scan result document: `verdicts` as (service, criterion, status) of model `m`,
/// `levels` as (service, attained). Pretty-printed with a trailing newline, as
/// `evident scan --format json` writes it, so exact-bytes checks mean something.
pub fn result_json(
    id: &str,
    started_at: &str,
    verdicts: &[(&str, &str, &str)],
    levels: &[(&str, Option<u8>)],
) -> String {
    let mut services: Vec<&str> = verdicts
        .iter()
        .map(|v| v.0)
        .chain(levels.iter().map(|l| l.0))
        .collect();
    services.sort_unstable();
    services.dedup();
    let doc = serde_json::json!({
        "schema": "evident/scan-result/v2",
        "scan": {
            "id": id, "started_at": started_at, "finished_at": plus_seconds(started_at, 3),
            "tool": {"name": "evident", "version": "0.1.0"}, "targets": ["."], "strict": false
        },
        "sources": [],
        "services": services.iter().map(|s| serde_json::json!({
            "id": s, "team": "t1", "resolved_from": "repository", "found_in": []
        })).collect::<Vec<_>>(),
        "criteria": {},
        "results": verdicts.iter().map(|(service, criterion, status)| serde_json::json!({
            "model": "m", "criterion": criterion, "service": service, "status": status,
            "reason": if *status == "unknown" { Some("not_configured") } else { None },
            "summary": format!("{criterion} is {status} for {service}"), "evidence": []
        })).collect::<Vec<_>>(),
        "scoped_results": [],
        "levels": levels.iter().map(|(service, attained)| serde_json::json!({
            "model": "m", "service": service, "attained": attained,
            "next_undetermined": false, "blocked_by": {"not_met": [], "unknown": []}, "shares": []
        })).collect::<Vec<_>>(),
        "evidence": {},
        "unreadable": []
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// `time` (RFC 3339) plus `seconds`, or `time` itself when it does not parse.
fn plus_seconds(time: &str, seconds: i64) -> String {
    chrono::DateTime::parse_from_rfc3339(time)
        .map(|t| (t + chrono::Duration::seconds(seconds)).to_rfc3339())
        .unwrap_or_else(|_| time.to_owned())
}

/// The directory of Debian's PostgreSQL server binaries (the newest installed), or a
/// failure naming the package: a missing server is never a skipped test.
pub fn pg_bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("EVIDENT_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL is missing: install the Debian package `postgresql` \
             (apt-get install -y postgresql; scripts/test does this) to run the store's \
             PostgreSQL tests"
        ),
    }
}

/// A running PostgreSQL server with trust authentication for user `evident`, stopped
/// (and its directory removed) on drop, a failed test included.
pub struct PgServer {
    pub port: u16,
    bin: PathBuf,
    data: PathBuf,
    as_postgres: bool,
    _dir: tempfile::TempDir,
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn id_of(flag: &str) -> u32 {
    let out = Command::new("id")
        .args([flag, "postgres"])
        .output()
        .expect("id postgres (the postgresql package creates the user)");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| {
            panic!("no user postgres (is the Debian package postgresql installed?)")
        })
}

impl PgServer {
    /// initdb + pg_ctl start on a free 127.0.0.1 port, the unix socket in the temp dir.
    /// initdb refuses to run as root, so as root the server runs as user `postgres`.
    pub fn start() -> PgServer {
        let bin = pg_bin_dir();
        let as_postgres = is_root();
        let dir = tempfile::tempdir().expect("tempdir");
        let sock = dir.path().join("sock");
        std::fs::create_dir(&sock).expect("socket dir");
        if as_postgres {
            let (uid, gid) = (id_of("-u"), id_of("-g"));
            for p in [dir.path(), sock.as_path()] {
                std::os::unix::fs::chown(p, Some(uid), Some(gid)).expect("chown to postgres");
            }
        }
        let data = dir.path().join("data");
        let port = free_port();
        let server = PgServer {
            port,
            bin,
            data,
            as_postgres,
            _dir: dir,
        };
        let data_arg = server.data.display().to_string();
        server.run(
            "initdb",
            &[
                "-D",
                &data_arg,
                "-U",
                "evident",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        let log = server
            ._dir
            .path()
            .join("postgres.log")
            .display()
            .to_string();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
            sock.display()
        );
        let started = server.try_run(
            "pg_ctl",
            &[
                "-D", &data_arg, "-l", &log, "-o", &options, "-w", "-t", "60", "start",
            ],
        );
        if let Err(e) = started {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("{e}; log: {log}");
        }
        server
    }

    /// The URL of a fresh, empty database `name` on this server.
    pub fn database(&self, name: &str) -> String {
        let port = self.port.to_string();
        let out = Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "evident", name])
            .output()
            .expect("run createdb");
        assert!(
            out.status.success(),
            "createdb {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("postgres://evident@127.0.0.1:{port}/{name}")
    }

    fn command(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        cmd.current_dir(self._dir.path());
        cmd
    }

    fn try_run(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let out = self
            .command(tool)
            .args(args)
            .output()
            .map_err(|e| format!("cannot run {tool}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{tool} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        if let Err(e) = self.try_run(tool, args) {
            panic!("{e}");
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        if let Err(e) = self.try_run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]) {
            eprintln!("stopping PostgreSQL: {e}");
        }
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// A SQLite location in `dir`, in a subdirectory that does not exist yet.
pub fn sqlite_location(dir: &Path) -> String {
    dir.join("nested").join("evident.db").display().to_string()
}
