//! The web panel: the node at a glance for a person, on the bridge's port at `/`.
//!
//! Server-rendered HTML; `/events` streams the live part again on every state change (SSE),
//! and a few lines of `/panel.js` swap it in. The buttons POST a form carrying the panel's
//! CSRF token, so they also work without script. Every route checks `Host`, and a POST its
//! `Origin`, against the bridge's allow-lists: a page elsewhere cannot read or press anything.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Form, Path, Request, State};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use jobrunner_journal::{JournalRecord, ReadFilter, read_journal};
use jobrunner_node::{CycleVerdict, NodeHandle, NodeState, Phase};
use serde::Deserialize;

/// Journal records the panel shows, the newest.
const RECENT_RECORDS: usize = 20;

const SCRIPT: &str = r#"const live = document.getElementById("live");
const events = new EventSource("/events");
events.addEventListener("state", (event) => { live.innerHTML = event.data; });
"#;

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}\
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}\
th{background:#f3f3f3}.state{font-weight:bold}form{display:inline}button{margin-right:.5rem}";

/// What the panel's routes share.
pub(crate) struct Panel {
    pub(crate) node: NodeHandle,
    pub(crate) journal_dir: Arc<PathBuf>,
    pub(crate) csrf: String,
    pub(crate) hosts: Vec<String>,
    pub(crate) origins: Vec<String>,
    pub(crate) checks: Option<crate::StatusChecks>,
}

/// The panel's routes, guarded.
pub(crate) fn router(panel: Panel) -> axum::Router {
    let panel = Arc::new(panel);
    axum::Router::new()
        .route("/", get(page))
        .route("/panel.js", get(script))
        .route("/events", get(events))
        .route("/control/{command}", post(control))
        .layer(middleware::from_fn_with_state(Arc::clone(&panel), guard))
        .with_state(panel)
}

/// 403 for a foreign `Host` (DNS rebinding) or, on a POST, a foreign `Origin`.
async fn guard(State(panel): State<Arc<Panel>>, request: Request, next: Next) -> Response {
    // Read before the await: a borrow of the request held across it would make the future
    // not Send.
    let (host_ok, origin_ok) = {
        let headers = request.headers();
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        let host_ok = header(http::header::HOST)
            .is_some_and(|host| panel.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)));
        let origin_ok = request.method() != http::Method::POST
            || header(http::header::ORIGIN)
                .is_none_or(|origin| panel.origins.iter().any(|o| o.eq_ignore_ascii_case(origin)));
        (host_ok, origin_ok)
    };
    if !(host_ok && origin_ok) {
        return (http::StatusCode::FORBIDDEN, "forbidden: this panel answers its own address only")
            .into_response();
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(http::header::X_FRAME_OPTIONS, http::HeaderValue::from_static("DENY"));
    headers.insert(
        http::header::CONTENT_SECURITY_POLICY,
        http::HeaderValue::from_static("default-src 'self'; style-src 'unsafe-inline'"),
    );
    response
}

async fn page(State(panel): State<Arc<Panel>>) -> Html<String> {
    let live = live_part(&panel).await;
    let checks = status_checks(&panel).await;
    let csrf = escape(&panel.csrf);
    let button = |command: &str, label: &str| {
        format!(
            "<form method=\"post\" action=\"/control/{command}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\" id=\"{command}\">{label}</button></form>"
        )
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>core-ide: {node}</title>\
         <style>{STYLE}</style></head><body><h1>core-ide node {node}</h1><p>{}{}{}</p>\
         <main id=\"live\">{live}</main>{checks}<script src=\"/panel.js\"></script></body></html>",
        button("poll-now", "Poll now"),
        button("pause", "Pause"),
        button("resume", "Resume"),
        node = escape(&panel.node.state().node.to_string()),
    ))
}

async fn script() -> impl IntoResponse {
    ([(http::header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT)
}

/// The live part again after every change of the node's state.
async fn events(State(panel): State<Arc<Panel>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let watched = panel.node.subscribe();
    let stream = futures_util::stream::unfold((panel, watched), |(panel, mut watched)| async move {
        watched.changed().await.ok()?;
        let html = live_part(&panel).await;
        Some((Ok(Event::default().event("state").data(html)), (panel, watched)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[derive(Deserialize)]
struct Control {
    csrf: String,
}

async fn control(
    State(panel): State<Arc<Panel>>,
    Path(command): Path<String>,
    Form(form): Form<Control>,
) -> Response {
    if form.csrf != panel.csrf {
        return (http::StatusCode::FORBIDDEN, "forbidden: stale or missing form token; reload the panel")
            .into_response();
    }
    match command.as_str() {
        "poll-now" => panel.node.poll_now(),
        "pause" => panel.node.pause(),
        "resume" => panel.node.resume(),
        _ => {
            return (http::StatusCode::NOT_FOUND, "no such command: poll-now, pause or resume")
                .into_response();
        }
    }
    Redirect::to("/").into_response()
}

/// The part of the page that changes: the node's state and its recent journal records.
async fn live_part(panel: &Panel) -> String {
    let state = panel.node.state();
    let dir = Arc::clone(&panel.journal_dir);
    let records = tokio::task::spawn_blocking(move || read_journal(&dir, &ReadFilter::default()))
        .await
        .ok()
        .and_then(Result::ok)
        .map(|read| read.records)
        .unwrap_or_default();
    let mut html = String::new();
    glance(&mut html, &state);
    cycles(&mut html, &state);
    waiting(&mut html, &state);
    journal(&mut html, &records);
    html
}

/// How long the panel waits for `core-status`'s checks (the database probe has 20 s).
const CHECKS_WAIT: std::time::Duration = std::time::Duration::from_secs(25);

/// `core-status`'s checks, run when the page is loaded (they read files and the store: not
/// on every live update).
async fn status_checks(panel: &Panel) -> String {
    let Some(checks) = &panel.checks else { return String::new() };
    let Ok(lines) = tokio::time::timeout(CHECKS_WAIT, checks()).await else {
        return "<h2>Checks</h2><p>core-status's checks did not finish in time; run core-status</p>"
            .to_owned();
    };
    let mut html =
        "<h2>Checks</h2><table id=\"checks\"><tr><th>check</th><th>level</th><th>found</th><th>fix</th></tr>"
            .to_owned();
    for line in lines {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&line.id),
            escape(&line.level),
            escape(&line.message),
            escape(line.hint.as_deref().unwrap_or(""))
        );
    }
    html.push_str("</table>");
    html
}

fn glance(html: &mut String, state: &NodeState) {
    let running = if state.paused { "paused" } else { "running" };
    let phase = match state.phase {
        Phase::Starting => "starting",
        Phase::Cycling => "polling",
        Phase::Waiting => "idle",
        Phase::StoreLost => "state database unreachable",
        Phase::Stopped => "stopped",
    };
    let due = state.next_cycle_due.map_or_else(|| "—".to_owned(), |d| d.format("%H:%M:%S UTC").to_string());
    let _ = write!(
        html,
        "<h2>Node</h2><p><span class=\"state\" id=\"poller\">{running}</span>, {phase}; {profile}, {mode:?}{dry}; \
         {} cycles run; next cycle {due}</p><table><tr><th>source</th><th>rate limit left</th>\
         <th>points spent</th><th>unhealthy repositories</th></tr>",
        state.cycles_run,
        mode = state.mode,
        profile = state.profile,
        dry = if state.dry_run { ", dry-run" } else { "" },
    );
    for source in &state.sources {
        let unhealthy: Vec<String> = source
            .unhealthy
            .iter()
            .map(|(repo, class)| format!("{} ({class})", escape(&repo.to_string())))
            .collect();
        let left = source.rate_limit_left.map_or_else(|| "—".to_owned(), |l| l.to_string());
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{left}</td><td>{}</td><td>{}</td></tr>",
            escape(&source.name),
            source.points_spent,
            unhealthy.join(", ")
        );
    }
    html.push_str("</table>");
    if let Some(leases) = &state.leases {
        let leases: Vec<String> = leases.iter().map(|r| escape(&r.to_string())).collect();
        let _ = write!(
            html,
            "<p>Leases: {}</p>",
            if leases.is_empty() { "none".to_owned() } else { leases.join(", ") }
        );
    }
}

fn cycles(html: &mut String, state: &NodeState) {
    html.push_str(
        "<h2>Last cycles</h2><table><tr><th>cycle</th><th>ended</th><th>outcome</th><th>actions</th></tr>",
    );
    for cycle in state.last_cycles.iter().rev() {
        let outcome = match &cycle.verdict {
            CycleVerdict::Completed { signals, .. } => format!("{signals} signals"),
            CycleVerdict::Failed { class } => format!("failed ({class})"),
            CycleVerdict::StoreLost => "state database unreachable".to_owned(),
        };
        let actions: Vec<String> = cycle
            .actions()
            .iter()
            .map(|a| format!("{} #{} {} ({})", escape(a.action), a.pr, escape(&a.reason), a.outcome))
            .collect();
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{outcome}</td><td>{}</td></tr>",
            cycle.cycle.map_or_else(|| "—".to_owned(), |n| n.to_string()),
            cycle.ended_at.format("%H:%M:%S UTC"),
            actions.join("<br>")
        );
    }
    html.push_str("</table>");
}

fn waiting(html: &mut String, state: &NodeState) {
    html.push_str("<h2>Waiting on a person</h2>");
    if state.waiting_on_person.is_empty() {
        html.push_str("<p>nobody</p>");
        return;
    }
    html.push_str("<table><tr><th>PR</th><th>since</th><th>why</th></tr>");
    for wait in &state.waiting_on_person {
        let _ = write!(
            html,
            "<tr><td>{}#{}</td><td>{}</td><td>{}</td></tr>",
            escape(&wait.repo.to_string()),
            wait.pr,
            wait.since.format("%Y-%m-%d %H:%M UTC"),
            escape(&wait.reason)
        );
    }
    html.push_str("</table>");
}

fn journal(html: &mut String, records: &[JournalRecord]) {
    html.push_str("<h2>Journal</h2><table id=\"journal\"><tr><th>time</th><th>PR</th><th>action</th><th>result</th><th>cycle</th></tr>");
    for record in records.iter().rev().take(RECENT_RECORDS) {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}#{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            record.ts.format("%Y-%m-%d %H:%M:%S UTC"),
            escape(&record.repo.to_string()),
            record.pr,
            escape(&record.action),
            if record.result.success { "ok" } else { "failed" },
            record.cycle
        );
    }
    html.push_str("</table>");
}

/// `text` safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A token for the panel's forms: 128 bits from the kernel's generator, fresh each start.
pub(crate) fn csrf_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(escape("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn two_tokens_differ() {
        assert_ne!(csrf_token().unwrap(), csrf_token().unwrap());
    }
}
