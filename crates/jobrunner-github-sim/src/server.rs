//! Serving on loopback: [`GitHubSim::start`] binds `127.0.0.1:0` and serves each accepted TCP
//! stream with hyper itself (rather than `axum::serve`), so a `ConnectionReset` fault can drop
//! exactly the connection of the faulted request with a TCP reset.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::accounting::Counters;
use crate::faults::FaultRule;
use crate::reply::DropConnection;
use crate::routes::router;
use crate::shared::Shared;
use crate::state::SimState;

/// The simulator. Start one per test; each listens on its own loopback port.
#[derive(Debug, Clone, Copy)]
pub struct GitHubSim;

impl GitHubSim {
    /// Serves `state` on `127.0.0.1` at a free port. REST lives at `/repos/...` and
    /// `/rate_limit`, GraphQL at `POST /graphql`, like `api.github.com`.
    pub async fn start(state: SimState) -> io::Result<SimHandle> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(state, format!("http://{addr}")));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, router(Arc::clone(&shared)), stopped));
        Ok(SimHandle { shared, addr, stop: Some(stop), task: Some(task) })
    }
}

/// A running simulator. Dropping it stops the server too (without waiting).
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`, the API base URL (like `https://api.github.com`).
    #[must_use]
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The socket address the simulator listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Runs `f` on the live state: scenario steps and assertions. Requests wait meanwhile.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut SimState) -> R) -> R {
        f(&mut self.shared.state())
    }

    /// A snapshot of the counters.
    #[must_use]
    pub fn counters(&self) -> Counters {
        self.shared.ledger().counters.clone()
    }

    /// Zeroes the counters and the mutation log (budgets keep running; see
    /// [`SimHandle::reset_budgets`]).
    pub fn reset_counters(&self) {
        self.shared.ledger().counters = Counters::default();
    }

    /// Gives every token a fresh primary hour and secondary minute.
    pub fn reset_budgets(&self) {
        self.shared.ledger().reset_budgets();
    }

    /// Adds a fault rule (rules apply in the order added).
    pub fn inject(&self, rule: FaultRule) {
        self.shared.faults().inject(rule);
    }

    /// Adds a hook: another party's move made right before a matching request is served.
    pub fn before_request(&self, hook: crate::hooks::StateHook) {
        self.shared.hooks().add(hook);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.shared.faults().clear();
    }

    /// Waits until `done` holds for the counters, re-checking after each answered request (and
    /// each fired fault):
    /// how a test waits for the runner's traffic without sleeping.
    pub async fn wait_until(&self, mut done: impl FnMut(&Counters) -> bool) {
        let mut activity = self.shared.watch_activity();
        loop {
            if done(&self.counters()) {
                return;
            }
            if activity.changed().await.is_err() {
                return;
            }
        }
    }

    /// Stops accepting, closes every connection, and waits until the server task is gone.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, router: Router, mut stop: oneshot::Receiver<()>) {
    // Dropping the set (on return or abort) aborts every connection task.
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, router.clone()));
                }
                Err(error) => tracing::warn!(%error, "simulator accept failed"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

async fn serve_connection(stream: TcpStream, router: Router) {
    let _ = stream.set_nodelay(true);
    let reset = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(ResettableStream { inner: stream, reset: Arc::clone(&reset) });
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        answer(router.clone(), Arc::clone(&reset), request)
    });
    if let Err(error) = http1::Builder::new().serve_connection(io, service).await {
        tracing::debug!(%error, "simulator connection ended");
    }
}

/// Why a connection was dropped without an answer.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
struct ConnectionDropped;

async fn answer(
    router: Router,
    reset: Arc<AtomicBool>,
    request: hyper::Request<Incoming>,
) -> Result<http::Response<Body>, ConnectionDropped> {
    let response = router.oneshot(request).await.unwrap_or_else(|never| match never {});
    if response.extensions().get::<DropConnection>().is_some() {
        // hyper closes the connection when the service fails; the flag turns that close into
        // a reset.
        reset.store(true, Ordering::SeqCst);
        return Err(ConnectionDropped);
    }
    Ok(response)
}

/// A TCP stream that closes with a reset (RST) instead of a FIN when its flag is set.
struct ResettableStream {
    inner: TcpStream,
    reset: Arc<AtomicBool>,
}

impl Drop for ResettableStream {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.inner.set_zero_linger();
        }
    }
}

impl AsyncRead for ResettableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResettableStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_can_move_between_threads_and_tasks() {
        fn send_sync<T: Send + Sync>() {}
        send_sync::<SimHandle>();
    }
}
