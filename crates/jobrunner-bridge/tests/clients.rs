//! The bridge as clients nobody here wrote see it: the MCP Python SDK (`PyPI` package `mcp`) and the
//! MCP Inspector's CLI (npm `@modelcontextprotocol/inspector`), installed by
//! `scripts/test-clients.sh` (which `cargo xtask ci` runs). A missing client fails the test;
//! it never skips.

mod support;

use std::process::Command;

use jobrunner_bridge::{BridgeConfig, serve};
use serde_json::Value;
use support::{Clients, MARKER, Scenario};

/// Runs `command` and parses its stdout as JSON, failing with its stderr otherwise.
fn json_of(command: &mut Command) -> Value {
    let output = command.output().expect("the client starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{command:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

const PYTHON_CLIENT: &str = r#"
import asyncio, json, sys
from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client

async def main(url):
    async with streamablehttp_client(url) as (read, write, _):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            tools = [t.name for t in (await session.list_tools()).tools]
            status = await session.call_tool("poller_status", {})
            cycle = await session.call_tool("poll_now", {})
            print(json.dumps({"protocol": init.protocolVersion, "tools": tools,
                              "status": status.structuredContent, "cycle": cycle.structuredContent,
                              "text": [c.text for c in cycle.content if c.type == "text"]}))

asyncio.run(main(sys.argv[1]))
"#;

#[tokio::test]
async fn the_python_sdk_lists_the_tools_and_runs_a_cycle_through_poll_now() {
    let clients = Clients::installed();
    let scenario = Scenario::start().await;
    let config = BridgeConfig { bind: "127.0.0.1:0".parse().unwrap(), ..BridgeConfig::default() };
    let bridge = serve(config, scenario.node.clone(), scenario.journal_dir()).await.unwrap();
    let script = scenario.dir.path().join("client.py");
    std::fs::write(&script, PYTHON_CLIENT).unwrap();
    let url = bridge.mcp_url();
    let python = clients.get("CORE_TOOLS_PYTHON").to_owned();
    let seen = tokio::task::spawn_blocking(move || json_of(Command::new(python).arg(script).arg(url)))
        .await
        .unwrap();
    assert_eq!(seen["protocol"], "2025-11-25", "{seen}");
    let tools: Vec<&str> = seen["tools"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(tools.contains(&"poll_now") && tools.contains(&"journal_query"), "{tools:?}");
    assert_eq!(seen["status"]["paused"], true);
    assert_eq!(seen["cycle"]["verdict"]["verdict"], "completed", "{seen}");
    assert!(!seen.to_string().contains(MARKER), "forge text reached the client: {seen}");
    assert!(scenario.sim.counters().requests > 0, "the cycle polled the simulator");
    bridge.shutdown().await;
    scenario.stop().await;
}

/// The SDK's 2.x: `server/discover`, then stateless requests on protocol 2026-07-28.
const PYTHON_MODERN_CLIENT: &str = r#"
import asyncio, json, sys
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

async def main(url):
    async with streamable_http_client(url) as streams:
        async with ClientSession(streams[0], streams[1]) as session:
            discovered = await session.discover()
            tools = [t.name for t in (await session.list_tools()).tools]
            journal = await session.call_tool("journal_query", {"limit": 5})
            print(json.dumps({"protocol": session.protocol_version, "server": session.server_info.name,
                              "versions": discovered.supported_versions, "tools": tools,
                              "journal": journal.structured_content}))

asyncio.run(main(sys.argv[1]))
"#;

#[tokio::test]
async fn the_python_sdk_2_speaks_the_stateless_2026_07_28_protocol_to_the_bridge() {
    let clients = Clients::installed();
    let scenario = Scenario::start().await;
    scenario.node.poll_now_and_wait().await.expect("a cycle ran");
    let config = BridgeConfig { bind: "127.0.0.1:0".parse().unwrap(), ..BridgeConfig::default() };
    let bridge = serve(config, scenario.node.clone(), scenario.journal_dir()).await.unwrap();
    let script = scenario.dir.path().join("modern.py");
    std::fs::write(&script, PYTHON_MODERN_CLIENT).unwrap();
    let (url, python) = (bridge.mcp_url(), clients.get("CORE_TOOLS_PYTHON_MODERN").to_owned());
    let seen = tokio::task::spawn_blocking(move || json_of(Command::new(python).arg(script).arg(url)))
        .await
        .unwrap();
    assert_eq!(seen["protocol"], "2026-07-28", "{seen}");
    assert_eq!(seen["server"], "core-ide");
    assert!(seen["tools"].as_array().unwrap().iter().any(|t| t == "explain"), "{seen}");
    let records = seen["journal"]["records"].as_array().unwrap();
    assert!(records.iter().any(|r| r["action"] == "publish_draft"), "{seen}");
    assert!(!seen.to_string().contains(MARKER), "forge text reached the client: {seen}");
    bridge.shutdown().await;
    scenario.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_inspector_cli_lists_the_tools_and_calls_poller_status() {
    let clients = Clients::installed();
    let scenario = Scenario::start().await;
    let config = BridgeConfig { bind: "127.0.0.1:0".parse().unwrap(), ..BridgeConfig::default() };
    let bridge = serve(config, scenario.node.clone(), scenario.journal_dir()).await.unwrap();
    let inspector = |args: &[&str]| {
        let mut command = Command::new(clients.get("CORE_TOOLS_NODE"));
        // The Inspector keeps state under HOME: a throwaway one, not the developer's.
        command
            .env("HOME", scenario.dir.path())
            .arg(clients.get("CORE_TOOLS_INSPECTOR"))
            .args(["--cli", &bridge.mcp_url(), "--transport", "http"])
            .args(args);
        command
    };
    let listed = tokio::task::block_in_place(|| json_of(&mut inspector(&["--method", "tools/list"])));
    let names: Vec<&str> =
        listed["tools"].as_array().unwrap().iter().filter_map(|t| t["name"].as_str()).collect();
    assert!(names.contains(&"poller_status") && names.contains(&"waiting_on_people"), "{listed}");
    let called = tokio::task::block_in_place(|| {
        json_of(&mut inspector(&["--method", "tools/call", "--tool-name", "poller_status"]))
    });
    assert_eq!(called["structuredContent"]["paused"], true, "{called}");
    bridge.shutdown().await;
    scenario.stop().await;
}
