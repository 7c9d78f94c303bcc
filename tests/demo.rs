//! `core-ide demo` as a new user runs it: the epic completes, the journal holds exactly the
//! expected records, valid against the shipped schema, each action once.

use core_ide_e2e::{CoreIde, workspace_root};
use jobrunner_journal::{ReadFilter, read_journal};

#[test]
fn the_demo_completes_the_epic_and_journals_each_action_once() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("demo-data");
    let run = CoreIde::new(&["demo", "--json", "--data-dir", &data.to_string_lossy()]).run();
    let summary: serde_json::Value = serde_json::from_str(&run.success()).expect("--json prints the summary");
    assert_eq!(summary["complete"], true);
    let actions = &summary["actions"];
    for (handler, count) in [
        ("publish_draft", 1),
        ("send_fix_command", 2),
        ("resolve_threads", 1),
        ("enable_auto_merge", 4),
        ("tick_parent", 5),
        ("close_child", 4),
    ] {
        assert_eq!(actions[handler], count, "{handler}: {summary}");
    }
    assert!(run.stderr().contains("core-ide   #10  publish_draft"), "narration on stderr: {}", run.stderr());

    let journal = read_journal(&data.join("journal"), &ReadFilter::default()).unwrap();
    assert!(journal.warnings.is_empty());
    let total: u64 = actions.as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(journal.records.len() as u64, total, "one record per performed action");
    let mut seen = std::collections::BTreeSet::new();
    for record in &journal.records {
        assert!(
            seen.insert((record.pr, record.action.clone())),
            "{} acted twice on #{}",
            record.action,
            record.pr
        );
    }

    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("docs/schema/journal-record.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for record in &journal.records {
        let value = serde_json::to_value(record).unwrap();
        assert!(validator.is_valid(&value), "{value}");
    }
}

/// A plain HTTP/1.1 exchange with the demo's bridge: the status code and the body.
fn http(port: u16, request: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let code = answer.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, answer)
}

#[test]
fn demo_serve_keeps_the_bridge_and_the_panel_up_until_interrupted() {
    use std::io::BufRead;
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("demo-data");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bind = format!("127.0.0.1:{port}");
    let mut child =
        CoreIde::new(&["demo", "--serve", "--mcp-bind", &bind, "--data-dir", &data.to_string_lossy()])
            .spawn();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    while let Some(Ok(line)) = lines.next() {
        let serving = line.starts_with("serving until Ctrl-C");
        printed.push(line);
        if serving {
            break;
        }
    }
    assert!(printed.iter().any(|l| *l == format!("MCP: http://{bind}/mcp")), "{printed:?}");
    assert!(printed.iter().any(|l| *l == format!("panel: http://{bind}/")), "{printed:?}");
    let (code, page) = http(port, &format!("GET / HTTP/1.1\r\nhost: {bind}\r\nconnection: close\r\n\r\n"));
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains("publish_draft") && page.contains("tick_parent"),
        "the panel shows the demo's actions"
    );
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}"#;
    let (code, _) = http(
        port,
        &format!(
            "POST /mcp HTTP/1.1\r\nhost: {bind}\r\ncontent-type: application/json\r\naccept: application/json, \
             text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert_eq!(code, 200, "the MCP endpoint answers initialize");
    std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(child.wait().unwrap().success(), "Ctrl-C ends the demo cleanly");
}
