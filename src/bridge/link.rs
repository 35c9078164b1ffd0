//! The messages between the bridge's workers and whoever owns the vault
//! and the screen: the window's UI thread, or `bridge serve`'s vault
//! thread and terminal. Workers never touch the vault themselves; they ask
//! over a channel and wait for the reply with a timeout.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use crate::core::bridge::origin::PageOrigin;
use crate::core::secret::SecretString;

/// One login handed to the extension.
#[derive(Clone)]
pub struct Credential {
    /// The entry's short id.
    pub entry_id: String,
    /// Its title.
    pub title: String,
    /// Its username.
    pub username: String,
    /// Its password.
    pub password: SecretString,
    /// The current TOTP code, when the entry has a usable secret.
    pub totp: Option<String>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("entry_id", &self.entry_id)
            .finish_non_exhaustive()
    }
}

/// A login the extension asks to save.
pub struct StoreItem {
    /// The page the login belongs to.
    pub page: PageOrigin,
    /// A title; the host when absent.
    pub title: Option<String>,
    /// The username.
    pub username: String,
    /// The password.
    pub password: SecretString,
    /// Notes.
    pub notes: Option<String>,
    /// Replace the password of an existing entry with the same username on
    /// the same host (the old one goes to the history).
    pub update: bool,
}

impl std::fmt::Debug for StoreItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreItem")
            .field("origin", &self.page.as_str())
            .field("update", &self.update)
            .finish_non_exhaustive()
    }
}

/// What a save did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// A new entry.
    Added {
        /// Its short id.
        entry_id: String,
    },
    /// An existing entry's password was replaced.
    Updated {
        /// Its short id.
        entry_id: String,
    },
    /// An entry with the same username on the same host exists and
    /// `update` was not asked for.
    Conflict {
        /// Its short id.
        entry_id: String,
    },
}

/// The vault owner's answer.
#[derive(Debug)]
pub enum VaultReply<T> {
    /// The vault is locked; nothing was read.
    Locked,
    /// Done.
    Done(T),
    /// The request was refused (400) or failed (500), with a message that
    /// holds no secret.
    Failed {
        /// HTTP status.
        status: u16,
        /// Error code.
        code: &'static str,
        /// What went wrong.
        message: String,
    },
}

/// What a worker asks of the vault owner.
#[derive(Debug)]
pub enum VaultCall {
    /// How many live entries match an origin.
    Count {
        /// The page.
        origin: PageOrigin,
        /// Where the answer goes.
        reply: SyncSender<VaultReply<usize>>,
    },
    /// The matching entries, exact host matches first.
    Query {
        /// The page.
        origin: PageOrigin,
        /// Where the answer goes.
        reply: SyncSender<VaultReply<Vec<Credential>>>,
    },
    /// Save a login.
    Store {
        /// What to save.
        item: StoreItem,
        /// Where the answer goes.
        reply: SyncSender<VaultReply<Stored>>,
    },
}

/// What the extension wants to do, for the approval prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Fill: read the matching logins.
    Fill,
    /// Save a login.
    Save,
}

/// The four answers of an approval prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approval {
    /// Approve this request only.
    Once,
    /// Approve and remember for the origin.
    Remember,
    /// Deny this request only.
    DenyOnce,
    /// Deny and remember for the origin.
    RememberDeny,
}

impl Approval {
    /// Whether the request goes ahead.
    pub fn allows(self) -> bool {
        matches!(self, Approval::Once | Approval::Remember)
    }

    /// Whether the decision is remembered.
    pub fn remembered(self) -> bool {
        matches!(self, Approval::Remember | Approval::RememberDeny)
    }
}

/// A question for the user: may this origin do this?
#[derive(Debug)]
pub struct ApprovalPrompt {
    /// The canonical page origin.
    pub origin: String,
    /// The browser the token was issued to.
    pub browser: String,
    /// How many entries match the origin.
    pub matches: usize,
    /// Fill or save.
    pub action: Action,
    /// Where the answer goes; dropping it without an answer denies.
    pub reply: SyncSender<Approval>,
}

/// Everything that crosses from the workers to the owner.
#[derive(Debug)]
pub enum BridgeMessage {
    /// A vault operation.
    Vault(VaultCall),
    /// An approval prompt.
    Approve(ApprovalPrompt),
    /// Clear the clipboard if it still holds a value this program put
    /// there; the reply says whether it did.
    ClearClipboard {
        /// Where the answer goes.
        reply: SyncSender<bool>,
    },
}

/// Why a worker got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unanswered {
    /// The owner is gone (the window closed) or its queue is full.
    Unavailable,
    /// No answer within the time allowed.
    TimedOut,
}

/// The workers' end: sends a message and wakes the owner.
#[derive(Clone)]
pub struct Link {
    sender: SyncSender<BridgeMessage>,
    wake: std::sync::Arc<dyn Fn() + Send + Sync>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Link")
    }
}

/// Messages waiting for the owner at most; beyond, workers get 503.
const QUEUE: usize = 256;

impl Link {
    /// A link and the owner's receiving end. `wake` is called after each
    /// message (the window asks egui for a frame).
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> (Self, Receiver<BridgeMessage>) {
        let (sender, receiver) = sync_channel(QUEUE);
        let link = Self {
            sender,
            wake: std::sync::Arc::new(wake),
        };
        (link, receiver)
    }

    /// Sends `message` built around a fresh reply channel and waits up to
    /// `patience` for the answer.
    pub fn ask<T>(
        &self,
        patience: Duration,
        message: impl FnOnce(SyncSender<T>) -> BridgeMessage,
    ) -> Result<T, Unanswered> {
        let (reply, answer) = sync_channel(1);
        match self.sender.try_send(message(reply)) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                return Err(Unanswered::Unavailable);
            }
        }
        (self.wake)();
        match answer.recv_timeout(patience) {
            Ok(value) => Ok(value),
            Err(RecvTimeoutError::Timeout) => Err(Unanswered::TimedOut),
            Err(RecvTimeoutError::Disconnected) => Err(Unanswered::Unavailable),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_comes_back_and_silence_times_out() {
        let (link, receiver) = Link::new(|| {});
        let owner = std::thread::spawn(move || {
            if let Ok(BridgeMessage::ClearClipboard { reply }) = receiver.recv() {
                let _ = reply.send(true);
            }
            // The second message is dropped unanswered.
            let _ = receiver.recv();
        });
        let cleared = link.ask(Duration::from_secs(10), |reply| {
            BridgeMessage::ClearClipboard { reply }
        });
        assert_eq!(cleared, Ok(true));
        let dropped = link.ask(Duration::from_secs(10), |reply| {
            BridgeMessage::ClearClipboard { reply }
        });
        assert_eq!(dropped, Err(Unanswered::Unavailable));
        owner.join().unwrap();
        let gone = link.ask(Duration::from_millis(10), |reply| {
            BridgeMessage::ClearClipboard { reply }
        });
        assert_eq!(gone, Err(Unanswered::Unavailable));
    }
}
