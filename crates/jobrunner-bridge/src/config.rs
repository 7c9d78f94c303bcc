//! Where the bridge listens and who may call it.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

/// The bridge's address unless configured: loopback, so only this machine can reach it.
pub const DEFAULT_BIND: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9877);

/// One result of `core-status`'s checks, as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusLine {
    /// The check's stable id, such as `env.W003`.
    pub id: String,
    /// `ok`, `info`, `warn` or `error`.
    pub level: String,
    /// What was found.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

/// Runs `core-status`'s checks for the panel: the binary supplies it, as only the binary knows
/// how the service's settings are found (flags, env file, unit).
pub type StatusChecks = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Vec<StatusLine>> + Send>> + Send + Sync>;

/// How the bridge is served.
#[derive(Clone)]
pub struct BridgeConfig {
    /// The address to listen on; port 0 picks a free one.
    pub bind: SocketAddr,
    /// Offer only the tools that change nothing.
    pub read_only: bool,
    /// The bearer token every request must carry; required to bind anything but loopback.
    pub token: Option<String>,
    /// `core-status`'s checks, shown on the panel when given.
    pub checks: Option<StatusChecks>,
}

impl std::fmt::Debug for BridgeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeConfig")
            .field("bind", &self.bind)
            .field("read_only", &self.read_only)
            .field("token", &self.token.as_ref().map(|_| "(redacted)"))
            .field("checks", &self.checks.is_some())
            .finish()
    }
}

impl Default for BridgeConfig {
    fn default() -> Self {
        Self { bind: DEFAULT_BIND, read_only: false, token: None, checks: None }
    }
}

/// The `Host` values a request may carry when the bridge listens on `addr` (the port it got).
pub(crate) fn allowed_hosts(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    let mut hosts: Vec<String> =
        ["localhost", "127.0.0.1", "[::1]"].iter().map(|h| format!("{h}:{port}")).collect();
    if !addr.ip().is_loopback() && !addr.ip().is_unspecified() {
        hosts.push(format!("{}:{port}", host_of(addr.ip())));
    }
    hosts
}

/// The browser origins allowed to call the bridge: its own pages (the panel) only.
pub(crate) fn allowed_origins(addr: SocketAddr) -> Vec<String> {
    let port = addr.port();
    let mut origins: Vec<String> =
        ["localhost", "127.0.0.1", "[::1]"].iter().map(|h| format!("http://{h}:{port}")).collect();
    if !addr.ip().is_loopback() && !addr.ip().is_unspecified() {
        origins.push(format!("http://{}:{port}", host_of(addr.ip())));
    }
    origins
}

fn host_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_bridge_allows_only_loopback_hosts_and_its_own_origins() {
        let addr: SocketAddr = "127.0.0.1:9877".parse().unwrap();
        assert_eq!(allowed_hosts(addr), ["localhost:9877", "127.0.0.1:9877", "[::1]:9877"]);
        assert_eq!(
            allowed_origins(addr),
            ["http://localhost:9877", "http://127.0.0.1:9877", "http://[::1]:9877"]
        );
    }
}
