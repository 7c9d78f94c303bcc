//! What the adapter does with an `api_url` that is not GitHub: a body without end.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use jobrunner_core::{FailureClass, Forge, RepoSlug};
use jobrunner_github::{GitHubClient, GitHubForge};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::world::test_config;

/// A loopback server answering every request with a chunked body that never ends; counts the
/// bytes it managed to send.
async fn endless_server() -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let head =
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, " ".repeat(64 * 1024));
                while socket.write_all(chunk.as_bytes()).await.is_ok() {
                    counter.fetch_add(64 * 1024, Ordering::Relaxed);
                }
            });
        }
    });
    (url, sent)
}

#[tokio::test]
async fn an_endless_response_body_fails_its_request_at_the_limit() {
    let (url, sent) = endless_server().await;
    let mut config = test_config(url);
    config.max_response_bytes = 1024 * 1024;
    let forge = GitHubForge::new(Arc::new(GitHubClient::new(config).unwrap()));
    let repo = RepoSlug::parse("octo/app").unwrap();
    let read = tokio::time::timeout(Duration::from_secs(30), forge.issue_body(&repo, 1)).await;
    let error = read.expect("the read stops at the limit instead of reading forever").unwrap_err();
    assert_eq!(error.class, FailureClass::Transient);
    assert!(error.detail.contains("over 1048576 bytes"), "{error}");
    // Four attempts (the read is retried as a transient failure), each stopped near 1 MiB; the
    // socket buffers hold a few MiB more.
    let total = sent.load(Ordering::Relaxed);
    assert!(total < 64 * 1024 * 1024, "{total} bytes sent: the client kept reading");
}
