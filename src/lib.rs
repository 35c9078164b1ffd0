//! Secure Password Manager: a local-first password manager.
//!
//! [`core`] is the synchronous vault everything stands on; [`cli`] is the
//! command line over it.

#![forbid(unsafe_op_in_unsafe_fn)]

pub mod cli;
pub mod core;
