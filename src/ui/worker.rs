//! Work too slow for a frame (the KDF at unlock and at vault creation,
//! reading and applying imports, writing exports) runs here, on a named
//! thread; the result comes back over a channel and the window is asked to
//! repaint, so it stays responsive throughout.

use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};

use crate::core::lock::VaultLock;
use crate::core::paths::Paths;
use crate::core::secret::SecretString;
use crate::core::vault::{
    CreateOptions, Credentials, HistoryPolicy, SecondFactor, Vault, VaultError,
};

/// A job for the worker thread.
pub enum Job {
    /// Check the credentials and open the vault.
    Unlock {
        credentials: Credentials,
        /// The two-factor code, on the second step of a two-factor unlock.
        code: Option<SecretString>,
        lock: VaultLock,
        policy: HistoryPolicy,
    },
    /// Create a new vault.
    Create {
        password: SecretString,
        options: CreateOptions,
        lock: VaultLock,
    },
}

/// What a general job hands back: a step that runs on the UI thread with
/// the app, to take in the result.
pub type Finish = Box<dyn FnOnce(&mut crate::ui::app::App) + Send>;

/// What a job produced. One crosses the channel per job, so the size of
/// the open vault in one variant costs nothing worth boxing.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    /// The vault is open (or why not).
    Opened(Result<Vault, VaultError>),
    /// A general job ended; run this to take in its result.
    Finished(Finish),
}

/// Runs jobs off the UI thread. Several may run at once (a background
/// backup beside an audit, say); each sends one outcome.
pub struct Worker {
    sender: SyncSender<Outcome>,
    receiver: Receiver<Outcome>,
    /// Jobs started whose outcome has not been taken yet.
    running: usize,
}

impl Default for Worker {
    fn default() -> Self {
        let (sender, receiver) = sync_channel(1);
        Self {
            sender,
            receiver,
            running: 0,
        }
    }
}

impl Worker {
    /// Whether a job is running.
    pub fn busy(&self) -> bool {
        self.running > 0
    }

    /// Starts `job` on a named thread; the window repaints when it ends.
    pub fn start(&mut self, ctx: &egui::Context, paths: Paths, job: Job) {
        let sender = self.sender.clone();
        let ctx = ctx.clone();
        let name = match job {
            Job::Unlock { .. } => "unlock",
            Job::Create { .. } => "create-vault",
        };
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let outcome = match job {
                    Job::Unlock {
                        credentials,
                        code,
                        lock,
                        policy,
                    } => {
                        let factor = code
                            .as_ref()
                            .map_or(SecondFactor::Absent, SecondFactor::Code);
                        Vault::unlock_with(&paths, &credentials, factor, Some(lock), policy)
                    }
                    Job::Create {
                        password,
                        options,
                        lock,
                    } => Vault::create(&paths, &password, &options, Some(lock)),
                };
                // The receiver lives as long as the window; if it is gone, so is
                // anyone who could use the result.
                let _ = sender.send(Outcome::Opened(outcome));
                ctx.request_repaint();
            });
        if let Err(e) = spawned {
            let error = VaultError::Invalid(format!("could not start the {name} worker: {e}"));
            self.send_now(Outcome::Opened(Err(error)));
        } else {
            self.running += 1;
        }
    }

    /// Runs `work` on a thread called `name`; what it returns runs on the UI
    /// thread once it is done. `failed` is what to run instead if no thread
    /// could be started.
    pub fn run(
        &mut self,
        ctx: &egui::Context,
        name: &'static str,
        work: impl FnOnce() -> Finish + Send + 'static,
        failed: Finish,
    ) {
        let sender = self.sender.clone();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let _ = sender.send(Outcome::Finished(work()));
                ctx.request_repaint();
            });
        if spawned.is_err() {
            self.send_now(Outcome::Finished(failed));
        } else {
            self.running += 1;
        }
    }

    /// Queues an outcome from the UI thread itself (a job that could not
    /// start); it counts as running until it is taken.
    fn send_now(&mut self, outcome: Outcome) {
        if self.sender.try_send(outcome).is_ok() {
            self.running += 1;
        }
    }

    /// The finished job's outcome, if one has finished.
    pub fn poll(&mut self) -> Option<Outcome> {
        match self.receiver.try_recv() {
            Ok(outcome) => {
                self.running = self.running.saturating_sub(1);
                Some(outcome)
            }
            Err(TryRecvError::Empty | TryRecvError::Disconnected) => None,
        }
    }
}
