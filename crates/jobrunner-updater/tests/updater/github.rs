//! `update_url = github:OWNER/NAME`: the manifest attached to a repository's newest release,
//! found through the GitHub simulator's REST API, and the binary downloaded through github.com's
//! `302` to object storage.

use jobrunner_github_sim::{GitHubSim, SimHandle, SimState};
use jobrunner_updater::{
    Applied, Channel, FetchError, InstallPrefix, ManifestSource, TARGET, UpdateConfig, UpdateError, apply,
    check,
};
use semver::Version;

use crate::support::{Signer, binary, now, sha256_hex};

const REPO: &str = "octo/app";

/// A manifest offering `version` with its binary attached to the same release as `core-ide`
/// (a URL relative to the manifest's download URL).
fn manifest(version: &str, bytes: &[u8]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schema": 1, "name": "core-ide", "expires": "2026-07-01T00:00:00Z",
        "releases": [{"version": version, "targets": {TARGET: {
            "url": "core-ide", "sha256": sha256_hex(bytes), "size": bytes.len(),
        }}}],
    }))
    .unwrap()
}

/// Publishes release `tag` on the simulator with the manifest, its signature and the binary.
fn publish(sim: &SimHandle, signer: &Signer, tag: &str, version: &str) {
    let bytes = binary(version);
    let json = manifest(version, &bytes);
    let assets =
        [("manifest.json", json.clone()), ("manifest.json.minisig", signer.sign(&json)), ("core-ide", bytes)];
    sim.with_state(|s| s.publish_release(REPO, tag, false, &assets));
}

fn config(sim: &SimHandle, signer: &Signer, prefix: &std::path::Path, repo: &str) -> UpdateConfig {
    UpdateConfig {
        source: ManifestSource::GitHubReleases {
            api: sim.base_url().parse().unwrap(),
            repo: repo.to_owned(),
            token: Some("ghp_updates".to_owned()),
        },
        channel: Channel::Stable,
        key: signer.key(),
        prefix: InstallPrefix::new(prefix),
        running: Version::new(0, 1, 0),
        target: TARGET.to_owned(),
        allow_downgrade: false,
    }
}

#[tokio::test]
async fn the_newest_releases_manifest_is_checked_and_its_binary_installed_through_the_redirect() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let signer = Signer::new();
    publish(&sim, &signer, "v1.0.0", "1.0.0");
    publish(&sim, &signer, "v2.0.0", "2.0.0");
    let dir = tempfile::tempdir().unwrap();
    let config = config(&sim, &signer, dir.path(), REPO);

    let plan = check(&config, now()).await.unwrap();
    assert_eq!(plan.available, Some(Version::new(2, 0, 0)), "the newest release's manifest");
    let applied = apply(&config, now()).await.unwrap();
    assert!(matches!(applied, Applied::Installed(ref p) if p.new == Version::new(2, 0, 0)), "{applied:?}");
    let ran = std::process::Command::new(config.prefix.current_binary()).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "core-ide 2.0.0\n");
    let counters = sim.counters();
    assert_eq!(
        counters.per_endpoint.get("GET /repos/{owner}/{repo}/releases").copied(),
        Some(2),
        "one API call per check (apply checks again); the downloads are not API calls"
    );
}

#[tokio::test]
async fn a_repository_without_a_manifest_on_its_releases_says_what_to_attach() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let signer = Signer::new();
    sim.with_state(|s| s.publish_release(REPO, "v1.0.0", false, &[("core-ide", binary("1.0.0"))]));
    let dir = tempfile::tempdir().unwrap();
    let error = check(&config(&sim, &signer, dir.path(), REPO), now()).await.unwrap_err();
    assert!(matches!(error, UpdateError::Fetch(FetchError::NoManifestAsset { .. })), "{error:?}");
    assert!(error.to_string().contains("attach them to the release"), "{error}");
}

#[tokio::test]
async fn an_unknown_repository_is_named_with_the_fix() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let error = check(&config(&sim, &Signer::new(), dir.path(), "octo/gone"), now()).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "GitHub has no repository octo/gone (HTTP 404), or it is private: check update_url, or give a token that can read it"
    );
    assert!(dir.path().read_dir().unwrap().next().is_none(), "nothing written");
}

#[tokio::test]
async fn a_manifest_signed_by_another_key_on_the_release_is_refused() {
    let sim = GitHubSim::start(SimState::default()).await.unwrap();
    publish(&sim, &Signer::new(), "v2.0.0", "2.0.0");
    let dir = tempfile::tempdir().unwrap();
    let error = apply(&config(&sim, &Signer::new(), dir.path(), REPO), now()).await.unwrap_err();
    assert!(error.to_string().contains("signed by another key"), "{error}");
    assert!(dir.path().read_dir().unwrap().next().is_none(), "nothing installed");
}
