//! The state file behind `--state`: the chain is loaded from it at start (when it exists) and
//! written back by a saver thread every interval while the chain changes, and once more when
//! the node stops. Writes are atomic (temporary file, then rename), so a crash mid-save
//! leaves the previous file intact.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use devnet_chain::Chain;

/// Intervals between comparisons of the whole state when the head has not moved.
const FULL_CHECK_EVERY: u64 = 6;

/// Saves the chain to its state file in the background.
#[derive(Debug)]
pub struct Saver {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Saver {
    /// Starts saving `chain` to `path` every `interval` (when it changed since the last save).
    pub fn start(chain: Chain, path: PathBuf, interval: Duration) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("devnet-state".into())
            .spawn(move || {
                let mut saved = None;
                let mut head = None;
                for tick in 1u64.. {
                    let last = matches!(
                        stopped.recv_timeout(interval),
                        Ok(()) | Err(RecvTimeoutError::Disconnected)
                    );
                    // A new head means a change; edits between blocks (anvil_set*) are caught
                    // by a full comparison every few intervals and at the end.
                    let now = chain.latest_block().ok().map(|b| b.hash);
                    if last || now != head || tick % FULL_CHECK_EVERY == 0 {
                        head = now;
                        save_if_changed(&chain, &path, &mut saved);
                    }
                    if last {
                        return;
                    }
                }
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Saves one last time and stops.
    pub fn finish(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Saver {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Writes the chain unless it is byte-for-byte what was written last.
fn save_if_changed(chain: &Chain, path: &Path, saved: &mut Option<Vec<u8>>) {
    let bytes = match chain.dump_state() {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("devnet: cannot save the state: {e}");
            return;
        }
    };
    if saved.as_ref() == Some(&bytes) {
        return;
    }
    match devnet_chain::chain::write_atomic(path, &bytes) {
        Ok(()) => *saved = Some(bytes),
        Err(e) => eprintln!("devnet: cannot save the state to {}: {e}", path.display()),
    }
}
