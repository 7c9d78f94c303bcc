//! The web panel in a real browser: Debian's Chromium, driven headless by npm
//! `playwright-core` (installed by `scripts/test-clients.sh`). A missing browser fails the
//! test; it never skips.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use jobrunner_bridge::{BridgeConfig, StatusChecks, StatusLine, serve};
use support::{Clients, Scenario};

const BROWSER: &str = r##"
const { chromium } = require(process.env.CORE_TOOLS_PLAYWRIGHT);
const [url, shot] = process.argv.slice(2);
(async () => {
  const root = process.getuid && process.getuid() === 0;
  const browser = await chromium.launch({ executablePath: process.env.CORE_TOOLS_CHROMIUM, args: root ? ["--no-sandbox"] : [] });
  const page = await browser.newPage();
  await page.goto(url);
  const before = (await page.textContent("#poller")).trim();
  const journal = await page.textContent("#journal");
  const checks = await page.textContent("#checks");
  await page.click("#pause");
  await page.waitForFunction(() => document.querySelector("#poller").textContent.trim() === "paused");
  console.log("PAUSED");
  // Resumed from outside the page: only the live update (SSE) can show it.
  await page.waitForFunction(() => document.querySelector("#poller").textContent.trim() === "running", null, { timeout: 60000 });
  await page.screenshot({ path: shot, fullPage: true });
  console.log(JSON.stringify({ before, journal_has_publish_draft: journal.includes("publish_draft"), checks_shown: checks.includes("env.W003"), title: await page.title() }));
  await browser.close();
})().catch((error) => { console.error(error); process.exit(1); });
"##;

#[tokio::test(flavor = "multi_thread")]
async fn the_panel_shows_the_actions_pauses_on_its_button_and_follows_the_node_live() {
    let clients = Clients::installed();
    let scenario = Scenario::start().await;
    scenario.node.resume();
    scenario.node.wait_for(|s| s.cycles_run >= 1).await.expect("the first cycle ran");
    // The binary runs core-status's real checks here; the panel only shows what it is given.
    let checks: StatusChecks = std::sync::Arc::new(|| {
        Box::pin(async {
            vec![StatusLine {
                id: "env.W003".into(),
                level: "warn".into(),
                message: "the env file is world-readable".into(),
                hint: Some("chmod 600 it".into()),
            }]
        })
    });
    let config = BridgeConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        checks: Some(checks),
        ..BridgeConfig::default()
    };
    let bridge = serve(config, scenario.node.clone(), scenario.journal_dir()).await.unwrap();
    let script = scenario.dir.path().join("browser.cjs");
    std::fs::write(&script, BROWSER).unwrap();
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("panel.png");
    let mut browser = Command::new(clients.get("CORE_TOOLS_NODE"))
        .env("CORE_TOOLS_PLAYWRIGHT", clients.get("CORE_TOOLS_PLAYWRIGHT"))
        .env("CORE_TOOLS_CHROMIUM", clients.get("CORE_TOOLS_CHROMIUM"))
        .env("HOME", scenario.dir.path())
        .arg(&script)
        .arg(bridge.panel_url())
        .arg(&shot)
        .stdout(Stdio::piped())
        .spawn()
        .expect("node starts");
    let mut lines = BufReader::new(browser.stdout.take().unwrap()).lines();
    let paused = tokio::task::block_in_place(|| lines.next()).expect("the browser reports").unwrap();
    assert_eq!(paused, "PAUSED");
    assert!(scenario.node.state().paused, "the page's button paused the node");
    scenario.node.resume();
    let report = tokio::task::block_in_place(|| lines.next()).expect("the browser reports").unwrap();
    let status = tokio::task::block_in_place(|| browser.wait()).unwrap();
    assert!(status.success(), "the browser script failed: {report}");
    let seen: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(seen["before"], "running");
    assert_eq!(seen["journal_has_publish_draft"], true, "{seen}");
    assert_eq!(seen["checks_shown"], true, "core-status's checks are on the page: {seen}");
    assert!(shot.is_file(), "the screenshot is kept at {}", shot.display());
    bridge.shutdown().await;
    scenario.stop().await;
}
