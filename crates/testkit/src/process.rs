//! A server process started by a test: [`spawn_listening`] spawns a prepared
//! [`Command`] (`holdfast serve …`) with its stdout piped, reads the first line — `Holdfast
//! listening on http://ADDRESS`, which `serve` prints once it accepts connections — and returns
//! the running [`Listening`] process and its base URL. The process is killed (and reaped) when
//! the [`Listening`] is dropped, so a failing test leaves no server behind.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

/// What `holdfast serve` prints first, before `http://ADDRESS`.
pub const LISTENING: &str = "Holdfast listening on ";

/// A running server process that has said where it listens. Killed and reaped on drop.
#[derive(Debug)]
pub struct Listening {
    /// The process (send it signals, wait for it; it is killed on drop whatever its state).
    pub child: Child,
    /// The rest of its stdout, kept open so that the process never writes into a closed pipe.
    pub stdout: BufReader<ChildStdout>,
    /// `http://ADDRESS`, as the process printed it.
    pub base_url: String,
}

impl Listening {
    /// `ADDRESS` (`127.0.0.1:PORT`): the base URL without its `http://`.
    pub fn address(&self) -> &str {
        self.base_url
            .strip_prefix("http://")
            .unwrap_or(&self.base_url)
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A process whose first line of stdout was not the listening line (it may have exited).
#[derive(Debug)]
pub struct NotListening {
    /// The process (not killed: the caller decides).
    pub child: Child,
    /// The line it printed first (empty if it closed stdout, e.g. by exiting).
    pub line: String,
}

/// Spawns `command` with stdout piped and reads its first line; the process once it says it
/// listens, else the process and the line it printed. Panics only if it cannot be spawned.
pub fn try_spawn_listening(command: &mut Command) -> Result<Listening, NotListening> {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot spawn {:?}: {e}", command.get_program()));
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    let mut line = String::new();
    let _ = stdout.read_line(&mut line);
    match line
        .trim()
        .strip_prefix(LISTENING)
        .filter(|url| url.starts_with("http://"))
    {
        Some(url) => Ok(Listening {
            base_url: url.to_owned(),
            child,
            stdout,
        }),
        None => Err(NotListening { child, line }),
    }
}

/// [`try_spawn_listening`], panicking with the first line the process printed when it is not
/// the listening line (the process is killed first).
pub fn spawn_listening(command: &mut Command) -> Listening {
    match try_spawn_listening(command) {
        Ok(listening) => listening,
        Err(NotListening { mut child, line }) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("unexpected first line: {line:?}")
        }
    }
}
