//! A real SMTP server on 127.0.0.1 for the mail tests: `tests/smtp/mail_server.py` on
//! Python's aiosmtpd, which `cargo xtask setup` installs into `target/python`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One message the server accepted.
#[derive(Debug, serde::Deserialize)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent: headers, a blank line, the body.
    pub data: String,
    /// Decoded by Python's email parser.
    pub subject: String,
    pub content_type: String,
    pub body: String,
}

pub struct MailServer {
    child: Child,
    folder: tempfile::TempDir,
}

/// A port nothing listens on now, for a mail server started later (or never).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn packages() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python")
}

impl MailServer {
    /// Starts the server on `port` and waits until it listens.
    pub fn start(port: u16) -> MailServer {
        assert!(
            packages().join("aiosmtpd").exists(),
            "aiosmtpd is not in target/python: run `cargo xtask setup`"
        );
        let folder = tempfile::tempdir().unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/mail_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(folder.path())
            .env("PYTHONPATH", packages())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        assert_eq!(line.trim(), "listening", "the SMTP server did not start");
        MailServer { child, folder }
    }

    /// Everything received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.folder.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    /// Waits until `count` messages have arrived (for at most a minute: the sender's first
    /// retries come after 5 and 15 seconds) and returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        for _ in 0..600 {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{count} mails did not arrive; got {}",
            self.received().len()
        );
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
