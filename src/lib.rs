//! Secure Password Manager: a local-first password manager.
//!
//! [`core`] is the synchronous vault everything stands on; [`cli`] is the
//! command line over it. [`breach`] checks password hashes against Have I
//! Been Pwned (range API or offline file) for the audit.
//!
//! Secrets print only their type name, so a stray `{:?}` cannot leak them:
//!
//! ```
//! use spm::core::secret::SecretString;
//!
//! let password = SecretString::from("hunter2");
//! assert_eq!(format!("{password:?}"), "SecretString(..)");
//! assert_eq!(password.expose(), "hunter2");
//! ```

#![forbid(unsafe_op_in_unsafe_fn)]

pub mod breach;
pub mod bridge;
pub mod cli;
pub mod core;
pub mod ui;
