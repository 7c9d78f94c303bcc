//! A plain HTTP/1 client for the scenario tests (hyper-util's legacy client), and helpers to
//! read answers.

use std::time::Duration;

use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jobrunner_github_sim::{GitHubSim, SimHandle, SimState};
use serde_json::{Value, json};

/// The repository of the default state.
pub(crate) const REPO: &str = "octo/app";

/// An answer, fully read.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    /// The body as JSON; panics with the body when it is not.
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// A header as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A numeric header.
    pub(crate) fn number(&self, name: &str) -> u64 {
        self.header(name).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no numeric {name} header"))
    }
}

/// A client of one simulator, with a token.
pub(crate) struct Api {
    client: Client<HttpConnector, Full<Bytes>>,
    base: String,
    token: Option<String>,
}

impl Api {
    /// A client sending `token tok`.
    pub(crate) fn new(sim: &SimHandle) -> Self {
        Self::with_token(sim, Some("tok"))
    }

    /// A client sending `token` (or no `Authorization` header).
    pub(crate) fn with_token(sim: &SimHandle, token: Option<&str>) -> Self {
        let client = Client::builder(TokioExecutor::new()).build_http();
        Self { client, base: sim.base_url(), token: token.map(str::to_owned) }
    }

    /// Sends a request; transport errors (resets, closed connections) come back as `Err`.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply, hyper_util::client::legacy::Error> {
        let mut request = Request::builder().method(method).uri(format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("token {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let bytes = body.map(|b| Bytes::from(serde_json::to_vec(b).unwrap())).unwrap_or_default();
        let response = self.client.request(request.body(Full::new(bytes)).unwrap()).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("a complete body").to_bytes();
        Ok(Reply { status: parts.status, headers: parts.headers, body })
    }

    /// Like [`Api::send`] but gives up after `limit`: `None` when it timed out.
    pub(crate) async fn send_within(&self, limit: Duration, method: Method, path: &str) -> Option<Reply> {
        tokio::time::timeout(limit, self.send(method, path, &[], None))
            .await
            .ok()
            .map(|r| r.expect("an answer"))
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, &[], None).await.expect("an answer")
    }

    pub(crate) async fn get_if_none_match(&self, path: &str, etag: &str) -> Reply {
        self.send(Method::GET, path, &[("if-none-match", etag)], None).await.expect("an answer")
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, &[], Some(body)).await.expect("an answer")
    }

    pub(crate) async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PATCH, path, &[], Some(body)).await.expect("an answer")
    }

    /// `POST /graphql`, answering the whole JSON body.
    pub(crate) async fn graphql(&self, query: &str, variables: Value) -> Value {
        let reply = self.post("/graphql", &json!({ "query": query, "variables": variables })).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", String::from_utf8_lossy(&reply.body));
        reply.json()
    }

    /// `POST /graphql` expecting no errors, answering `data`.
    pub(crate) async fn query(&self, query: &str, variables: Value) -> Value {
        let answer = self.graphql(query, variables).await;
        assert!(answer.get("errors").is_none(), "GraphQL errors: {answer}");
        answer["data"].clone()
    }
}

/// Starts a simulator over `state` with a client for it.
pub(crate) async fn start(state: SimState) -> (SimHandle, Api) {
    let sim = GitHubSim::start(state).await.expect("the simulator starts on loopback");
    let api = Api::new(&sim);
    (sim, api)
}

/// The node id of PR `number` of the default repository.
pub(crate) async fn pr_id(api: &Api, number: u64) -> String {
    let data = api
        .query("query($n: Int!) { repository(owner: \"octo\", name: \"app\") { pullRequest(number: $n) { id } } }", json!({ "n": number }))
        .await;
    data["repository"]["pullRequest"]["id"].as_str().expect("a node id").to_owned()
}
