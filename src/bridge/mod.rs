//! The Browser Bridge: a small HTTP service on a loopback address that
//! paired browser extensions call to fill and save logins.
//!
//! Layers, outermost first:
//! - [`server`]: tiny_http on a loopback address, a fixed pool of workers,
//!   a read timeout on every connection and a 64 KiB body limit;
//! - [`api`]: requests and answers as plain values, and the routing that
//!   runs the [`guard`]s (Host header, Origin header, CORS) before any
//!   endpoint;
//! - the endpoints, which reach the vault and the window only through
//!   channels.
//!
//! This module lives outside `src/core/` because it names an HTTP crate.

pub mod api;
pub mod endpoints;
pub mod guard;
pub mod limit;
pub mod link;
pub mod owner;
pub mod server;

use std::net::{IpAddr, SocketAddr};

/// The service could not start.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// The configured host is not a loopback address.
    #[error(
        "the browser bridge only listens on loopback addresses, and {host} is not one; set \
         browser_bridge.host to 127.0.0.1 or ::1"
    )]
    NotLoopback {
        /// The refused address.
        host: IpAddr,
    },
    /// Another program holds the port.
    #[error(
        "port {} on {} is already in use, so the browser bridge did not start; stop the other \
         program or choose another port with `password-manager settings set \
         browser_bridge.port N`",
        addr.port(),
        addr.ip()
    )]
    PortInUse {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// Binding failed for another reason.
    #[error("the browser bridge could not listen on {addr}: {detail}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the system said.
        detail: String,
    },
}
