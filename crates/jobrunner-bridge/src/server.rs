//! Serving the tools: rmcp's streamable HTTP service mounted in axum at `/mcp`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use jobrunner_node::NodeHandle;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{allowed_hosts, allowed_origins};
use crate::panel::{self, Panel, csrf_token};
use crate::{BridgeConfig, BridgeError, CoreTools};

/// A bridge being served; [`Bridge::shutdown`] stops it.
#[derive(Debug)]
pub struct Bridge {
    addr: SocketAddr,
    cancel: CancellationToken,
    task: JoinHandle<()>,
}

impl Bridge {
    /// The address it listens on (the port it got, when asked for port 0).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The web panel's URL.
    #[must_use]
    pub fn panel_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The MCP endpoint's URL.
    #[must_use]
    pub fn mcp_url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// Stops accepting, ends every session, and waits for the server task.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        let _ = self.task.await;
    }
}

/// Binds the bridge for `node`, whose journal is in `journal_dir`, and serves it on the
/// current runtime until [`Bridge::shutdown`].
pub async fn serve(
    config: BridgeConfig,
    node: NodeHandle,
    journal_dir: PathBuf,
) -> Result<Bridge, BridgeError> {
    if !config.bind.ip().is_loopback() && config.token.is_none() {
        return Err(BridgeError::TokenRequired { bind: config.bind });
    }
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| BridgeError::Bind { bind: config.bind, source })?;
    let addr = listener.local_addr().map_err(|source| BridgeError::Bind { bind: config.bind, source })?;
    let cancel = CancellationToken::new();
    // Origin is checked only with an allow-list set, and the MCP specification requires
    // servers to refuse a foreign one: a web page must not drive the node through the browser.
    let transport = StreamableHttpServerConfig::default()
        .with_allowed_hosts(allowed_hosts(addr))
        .with_allowed_origins(allowed_origins(addr))
        .with_cancellation_token(cancel.child_token());
    let panel = Panel {
        node: node.clone(),
        journal_dir: Arc::new(journal_dir.clone()),
        csrf: csrf_token().map_err(|source| BridgeError::Bind { bind: config.bind, source })?,
        hosts: allowed_hosts(addr),
        origins: allowed_origins(addr),
        checks: config.checks.clone(),
    };
    let tools = CoreTools::new(node, journal_dir, config.read_only);
    let service = StreamableHttpService::new(
        move || Ok(tools.clone()),
        Arc::new(LocalSessionManager::default()),
        transport,
    );
    let mut router = axum::Router::new().nest_service("/mcp", service).merge(panel::router(panel));
    if let Some(token) = config.token {
        let token = Arc::new(token);
        router =
            router.layer(middleware::from_fn(move |request, next| bearer(Arc::clone(&token), request, next)));
    }
    let stop = cancel.clone();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router).with_graceful_shutdown(stop.cancelled_owned()).await;
        if let Err(error) = served {
            tracing::error!(error = %error, "the MCP bridge stopped serving");
        }
    });
    tracing::info!(url = %format!("http://{addr}/mcp"), panel = %format!("http://{addr}/"), "MCP bridge and panel listening");
    Ok(Bridge { addr, cancel, task })
}

/// Lets a request through only with `Authorization: Bearer <token>`.
async fn bearer(token: Arc<String>, request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    if presented.is_some_and(|presented| same(presented.as_bytes(), token.as_bytes())) {
        return next.run(request).await;
    }
    (
        http::StatusCode::UNAUTHORIZED,
        [(http::header::WWW_AUTHENTICATE, "Bearer")],
        "a bearer token is required",
    )
        .into_response()
}

/// Compares in time that depends on the lengths only, so the token cannot be guessed byte by
/// byte from response times.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
