//! Copying secrets: the clipboard is cleared after a while, but only if it
//! still holds what we put there, and the copy is marked so clipboard
//! managers that honour the hint do not keep it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::core::crypto::sha256;
use crate::core::secret::SecretString;

/// Where copied text goes.
pub trait ClipboardBackend {
    /// Puts `text` on the clipboard, marked as sensitive where possible.
    fn set(&mut self, text: &str) -> Result<(), String>;
    /// What the clipboard holds now, if it can be read.
    fn get(&mut self) -> Option<String>;
    /// Empties the clipboard.
    fn clear(&mut self);
}

/// The system clipboard (arboard), opened on first use.
#[derive(Default)]
pub struct SystemClipboard {
    inner: Option<arboard::Clipboard>,
}

impl SystemClipboard {
    fn open(&mut self) -> Result<&mut arboard::Clipboard, String> {
        if self.inner.is_none() {
            let opened = arboard::Clipboard::new()
                .map_err(|e| format!("the clipboard is not available ({e})"))?;
            self.inner = Some(opened);
        }
        self.inner
            .as_mut()
            .ok_or_else(|| "the clipboard is not available".to_owned())
    }
}

impl ClipboardBackend for SystemClipboard {
    fn set(&mut self, text: &str) -> Result<(), String> {
        let clipboard = self.open()?;
        #[cfg(target_os = "linux")]
        let result = {
            use arboard::SetExtLinux;
            clipboard.set().exclude_from_history().text(text.to_owned())
        };
        #[cfg(not(target_os = "linux"))]
        let result = clipboard.set_text(text.to_owned());
        result.map_err(|e| format!("could not copy ({e})"))
    }

    fn get(&mut self) -> Option<String> {
        self.open().ok()?.get_text().ok()
    }

    fn clear(&mut self) {
        if let Ok(clipboard) = self.open() {
            let _ = clipboard.clear();
        }
    }
}

/// An in-memory clipboard, for tests.
#[derive(Clone, Default)]
pub struct MemoryClipboard(pub Arc<Mutex<Option<String>>>);

impl ClipboardBackend for MemoryClipboard {
    fn set(&mut self, text: &str) -> Result<(), String> {
        *self.0.lock().map_err(|_| "poisoned".to_owned())? = Some(text.to_owned());
        Ok(())
    }

    fn get(&mut self) -> Option<String> {
        self.0.lock().ok()?.clone()
    }

    fn clear(&mut self) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = None;
        }
    }
}

/// The system clipboard, boxed for the app.
pub fn system() -> Box<dyn ClipboardBackend> {
    Box::new(SystemClipboard::default())
}

struct Pending {
    what: &'static str,
    fingerprint: [u8; 32],
    clear_at: Instant,
}

/// Copies secrets and clears them again.
pub struct Clipboard {
    backend: Box<dyn ClipboardBackend>,
    pending: Option<Pending>,
}

impl Clipboard {
    /// Wraps a backend.
    pub fn new(backend: Box<dyn ClipboardBackend>) -> Self {
        Self {
            backend,
            pending: None,
        }
    }

    /// Copies `text` and schedules its removal after `keep`.
    pub fn copy(
        &mut self,
        what: &'static str,
        text: &SecretString,
        keep: Duration,
    ) -> Result<(), String> {
        self.backend.set(text.expose())?;
        self.pending = Some(Pending {
            what,
            fingerprint: sha256(text.expose().as_bytes()),
            clear_at: Instant::now() + keep,
        });
        Ok(())
    }

    /// What is on the clipboard and how long until it is cleared.
    pub fn countdown(&self) -> Option<(&'static str, Duration)> {
        let pending = self.pending.as_ref()?;
        Some((
            pending.what,
            pending.clear_at.saturating_duration_since(Instant::now()),
        ))
    }

    /// Clears the clipboard if its time is up.
    pub fn tick(&mut self) {
        if self
            .pending
            .as_ref()
            .is_some_and(|p| Instant::now() >= p.clear_at)
        {
            self.clear_now();
        }
    }

    /// Clears the clipboard now if it still holds what we copied (locking,
    /// quitting and the browser extension call this); true when it did.
    pub fn clear_now(&mut self) -> bool {
        let Some(pending) = self.pending.take() else {
            return false;
        };
        let ours = self
            .backend
            .get()
            .is_some_and(|now| sha256(now.as_bytes()) == pending.fingerprint);
        if ours {
            self.backend.clear();
        }
        ours
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_leaves_what_someone_else_copied() {
        let memory = MemoryClipboard::default();
        let mut clipboard = Clipboard::new(Box::new(memory.clone()));
        clipboard
            .copy("password", &"s3cret".into(), Duration::ZERO)
            .unwrap();
        clipboard.tick();
        assert_eq!(*memory.0.lock().unwrap(), None);

        clipboard
            .copy("password", &"s3cret".into(), Duration::ZERO)
            .unwrap();
        *memory.0.lock().unwrap() = Some("copied later by the user".into());
        clipboard.tick();
        assert_eq!(
            memory.0.lock().unwrap().as_deref(),
            Some("copied later by the user")
        );
    }
}
