//! The bridge over a real node on the simulator, driven by rmcp's own client over HTTP, and
//! its refusals: foreign Host and Origin, a missing token, a non-loopback bind without one.

mod support;

use std::collections::BTreeSet;

use jobrunner_bridge::{BridgeConfig, BridgeError, MUTATING_TOOLS, serve};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::RunningService;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{Value, json};
use support::{MARKER, REPO, Scenario};

fn loopback(read_only: bool, token: Option<&str>) -> BridgeConfig {
    BridgeConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        read_only,
        token: token.map(str::to_owned),
        checks: None,
    }
}

async fn client(url: &str, token: Option<&str>) -> RunningService<RoleClient, ()> {
    let mut config = StreamableHttpClientTransportConfig::with_uri(url.to_owned());
    if let Some(token) = token {
        config = config.auth_header(token.to_owned());
    }
    ().serve(StreamableHttpClientTransport::from_config(config)).await.expect("the MCP handshake succeeds")
}

async fn call(client: &RunningService<RoleClient, ()>, tool: &str, arguments: Value) -> CallToolResult {
    let mut params = CallToolRequestParams::new(tool.to_owned());
    if let Value::Object(arguments) = arguments {
        params = params.with_arguments(arguments);
    }
    client.call_tool(params).await.unwrap_or_else(|e| panic!("{tool} answers: {e}"))
}

fn structured(result: &CallToolResult) -> &Value {
    assert_ne!(result.is_error, Some(true), "{result:?}");
    result.structured_content.as_ref().expect("a structured result")
}

#[tokio::test]
async fn an_mcp_client_lists_the_tools_polls_reads_the_journal_and_pauses_the_node() {
    let scenario = Scenario::start().await;
    let bridge = serve(loopback(false, None), scenario.node.clone(), scenario.journal_dir()).await.unwrap();
    let client = client(&bridge.mcp_url(), None).await;

    let tools: BTreeSet<String> =
        client.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
    let mut expected: BTreeSet<String> =
        ["explain", "journal_query", "poller_status", "waiting_on_people"].map(str::to_owned).into();
    expected.extend(MUTATING_TOOLS.iter().map(|t| (*t).to_owned()));
    assert_eq!(tools, expected, "one tool per handler, the controls, and the readers");

    let status = call(&client, "poller_status", json!({})).await;
    assert_eq!(structured(&status)["paused"], json!(true));
    let cycle = call(&client, "poll_now", json!({})).await;
    let actions = &structured(&cycle)["verdict"]["actions"];
    let performed: Vec<_> = actions.as_array().unwrap().iter().map(|a| (&a["pr"], &a["action"])).collect();
    assert!(performed.contains(&(&json!(10), &json!("publish_draft"))), "{actions}");

    let journal =
        call(&client, "journal_query", json!({"repo": REPO, "action": "publish_draft", "limit": 5})).await;
    let records = structured(&journal)["records"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["pr"], json!(10));

    let resumed = call(&client, "resume", json!({})).await;
    assert_eq!(structured(&resumed)["paused"], json!(false));
    let paused = call(&client, "pause", json!({})).await;
    assert_eq!(structured(&paused)["paused"], json!(true));
    assert!(scenario.node.state().paused, "the node itself is paused");

    assert!(scenario.sim.with_state(|s| s.epic_body(REPO, 1).contains(MARKER)), "the sim served marked text");
    for tool in ["poller_status", "journal_query", "waiting_on_people"] {
        let answer = serde_json::to_string(&call(&client, tool, json!({})).await).unwrap();
        assert!(!answer.contains(MARKER), "{tool} leaks forge text: {answer}");
    }
    client.cancel().await.unwrap();
    bridge.shutdown().await;
    scenario.stop().await;
}

#[tokio::test]
async fn bad_input_is_a_tool_error_naming_the_value_not_a_protocol_error() {
    let scenario = Scenario::start().await;
    let bridge = serve(loopback(false, None), scenario.node.clone(), scenario.journal_dir()).await.unwrap();
    let client = client(&bridge.mcp_url(), None).await;
    let answer = call(&client, "journal_query", json!({"since": "last tuesday"})).await;
    assert_eq!(answer.is_error, Some(true));
    let text = serde_json::to_string(&answer.content).unwrap();
    assert!(text.contains("last tuesday") && text.contains("YYYY-MM-DD"), "{text}");
    client.cancel().await.unwrap();
    bridge.shutdown().await;
    scenario.stop().await;
}

#[tokio::test]
async fn a_read_only_bridge_offers_no_tool_that_changes_anything() {
    let scenario = Scenario::start().await;
    let bridge = serve(loopback(true, None), scenario.node.clone(), scenario.journal_dir()).await.unwrap();
    let client = client(&bridge.mcp_url(), None).await;
    let tools: Vec<String> =
        client.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
    assert!(MUTATING_TOOLS.iter().all(|m| !tools.iter().any(|t| t == m)), "{tools:?}");
    let refused = client.call_tool(CallToolRequestParams::new("poll_now")).await;
    assert!(refused.is_err() || refused.is_ok_and(|r| r.is_error == Some(true)), "poll_now is not callable");
    assert_eq!(scenario.sim.counters().requests, 0, "nothing was polled");
    client.cancel().await.unwrap();
    bridge.shutdown().await;
    scenario.stop().await;
}

/// An `initialize` POST with these extra headers; the status the bridge answers.
async fn initialize_status(url: &str, headers: &[(&str, &str)]) -> u16 {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("accept", "application/json, text/event-stream")
        .header("content-type", "application/json")
        .body(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {},
                "clientInfo": {"name": "probe", "version": "1"}}})
            .to_string(),
        );
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("the bridge answers").status().as_u16()
}

#[tokio::test]
async fn a_foreign_origin_or_host_is_refused_with_403_and_the_bridges_own_origin_is_not() {
    let scenario = Scenario::start().await;
    let bridge = serve(loopback(false, None), scenario.node.clone(), scenario.journal_dir()).await.unwrap();
    let url = bridge.mcp_url();
    let own = format!("http://127.0.0.1:{}", bridge.local_addr().port());
    assert_eq!(initialize_status(&url, &[("origin", "http://evil.example")]).await, 403);
    assert_eq!(initialize_status(&url, &[("host", "evil.example")]).await, 403);
    assert_eq!(initialize_status(&url, &[("origin", &own)]).await, 200);
    bridge.shutdown().await;
    scenario.stop().await;
}

#[tokio::test]
async fn with_a_token_a_request_without_it_gets_401_and_one_with_it_works() {
    let scenario = Scenario::start().await;
    let bridge =
        serve(loopback(false, Some("s3cret")), scenario.node.clone(), scenario.journal_dir()).await.unwrap();
    assert_eq!(initialize_status(&bridge.mcp_url(), &[]).await, 401);
    assert_eq!(initialize_status(&bridge.mcp_url(), &[("authorization", "Bearer wrong")]).await, 401);
    let client = client(&bridge.mcp_url(), Some("s3cret")).await;
    let status = call(&client, "poller_status", json!({})).await;
    assert_eq!(structured(&status)["paused"], json!(true));
    client.cancel().await.unwrap();
    bridge.shutdown().await;
    scenario.stop().await;
}

#[tokio::test]
async fn binding_beyond_loopback_without_a_token_is_refused_at_start() {
    let scenario = Scenario::start().await;
    let config = BridgeConfig { bind: "0.0.0.0:0".parse().unwrap(), ..BridgeConfig::default() };
    let error = serve(config, scenario.node.clone(), scenario.journal_dir()).await.unwrap_err();
    assert!(matches!(error, BridgeError::TokenRequired { .. }));
    assert!(error.to_string().contains("CORE_MCP_TOKEN"), "{error}");
    scenario.stop().await;
}

#[tokio::test]
async fn a_handler_tool_acts_through_the_ledger_once_and_a_second_call_is_refused() {
    let scenario = Scenario::start().await;
    let bridge = serve(loopback(false, None), scenario.node.clone(), scenario.journal_dir()).await.unwrap();
    let client = client(&bridge.mcp_url(), None).await;

    let explained = call(&client, "explain", json!({"repo": REPO, "pr": 10})).await;
    assert_eq!(structured(&explained)["signals"][0]["decision"]["action"], json!("publish_draft"));
    let acted = call(&client, "publish_draft", json!({"repo": REPO, "pr": 10})).await;
    assert_eq!(structured(&acted)["outcome"], json!("performed"), "{acted:?}");
    assert!(!scenario.sim.with_state(|s| s.pr(REPO, 10).draft), "GitHub shows #10 ready for review");

    let again = call(&client, "publish_draft", json!({"repo": REPO, "pr": 10, "force": true})).await;
    assert_eq!(again.is_error, Some(true), "the key is settled, force or not: {again:?}");
    let journal = call(&client, "journal_query", json!({"action": "publish_draft"})).await;
    assert_eq!(structured(&journal)["records"].as_array().unwrap().len(), 1, "performed once");
    client.cancel().await.unwrap();
    bridge.shutdown().await;
    scenario.stop().await;
}

#[tokio::test]
async fn a_handler_tool_whose_rule_does_not_match_is_refused_with_the_rules_reason() {
    let scenario = Scenario::start().await;
    let bridge = serve(loopback(false, None), scenario.node.clone(), scenario.journal_dir()).await.unwrap();
    let client = client(&bridge.mcp_url(), None).await;
    let refused = call(&client, "enable_auto_merge", json!({"repo": REPO, "pr": 11})).await;
    assert_eq!(refused.is_error, Some(true));
    let text = serde_json::to_string(&refused.content).unwrap();
    assert!(text.contains("not done") && text.contains("force"), "{text}");
    assert!(scenario.sim.counters().mutation_log.is_empty(), "nothing was changed on GitHub");
    client.cancel().await.unwrap();
    bridge.shutdown().await;
    scenario.stop().await;
}
