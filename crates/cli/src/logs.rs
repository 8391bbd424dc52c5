//! Logs that pass through the scan's redaction.
//!
//! Everything written through `tracing` (at every level, including the HTTP and
//! Kubernetes clients' own trace lines) and every error message goes to stderr, which
//! CI systems keep and publish. A line is redacted whole, after formatting, with the
//! secrets of the plan once it is known and the generic token shapes before.

use evident_core::Redactor;
use std::io::Write;
use std::sync::{Arc, OnceLock, RwLock};
use tracing_subscriber::fmt::MakeWriter;

fn shared() -> &'static RwLock<Arc<Redactor>> {
    static REDACTOR: OnceLock<RwLock<Arc<Redactor>>> = OnceLock::new();
    REDACTOR.get_or_init(|| RwLock::new(Arc::new(Redactor::new())))
}

/// Makes every later log line and error message redact the secrets `redactor` knows.
pub fn use_redactor(redactor: Redactor) {
    if let Ok(mut current) = shared().write() {
        *current = Arc::new(redactor);
    }
}

/// `text` redacted as log lines are.
pub fn redact(text: &str) -> String {
    let redactor = shared()
        .read()
        .map(|r| Arc::clone(&r))
        .unwrap_or_else(|_| Arc::new(Redactor::new()));
    redactor.redact(text)
}

/// The `MakeWriter` of the log subscriber: one buffer per event, redacted and written to
/// stderr when the event is complete (so a secret split across writes is still seen).
#[derive(Debug, Clone, Copy, Default)]
pub struct RedactingStderr;

/// One event's bytes, written on drop.
#[derive(Debug, Default)]
pub struct EventBuffer {
    bytes: Vec<u8>,
}

impl Write for EventBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventBuffer {
    fn drop(&mut self) {
        if self.bytes.is_empty() {
            return;
        }
        let text = redact(&String::from_utf8_lossy(&self.bytes));
        // A log line that cannot be written has nowhere else to go.
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
}

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = EventBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        EventBuffer::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_secret_never_reaches_a_log_line() {
        use_redactor(Redactor::new().with_secret("log-canary-3141"));
        assert_eq!(
            redact("GET /x said log-canary-3141"),
            "GET /x said [redacted]"
        );
        assert_eq!(
            redact("Authorization: Bearer abcdefghijk"),
            "Authorization: [redacted]"
        );
    }
}
