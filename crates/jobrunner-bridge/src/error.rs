//! Why the bridge could not start.

use std::net::SocketAddr;

/// A bridge that cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    /// Anything but loopback without a token would let the network drive the node.
    #[error(
        "the MCP bridge may listen on {bind} only with a bearer token: export CORE_MCP_TOKEN, or bind 127.0.0.1"
    )]
    TokenRequired {
        /// The address asked for.
        bind: SocketAddr,
    },
    /// The address cannot be bound (taken, or not this machine's).
    #[error(
        "cannot listen on {bind} for the MCP bridge ({source}): choose another with --mcp-bind, or --no-mcp"
    )]
    Bind {
        /// The address asked for.
        bind: SocketAddr,
        /// What the system said.
        source: std::io::Error,
    },
}
