//! The manifest is trusted only when the release key signed exactly these bytes.

use jobrunner_updater::{FetchError, ManifestError, SignatureError, TARGET};

use crate::support::{Publisher, Signer, binary};

async fn publisher() -> Publisher {
    let mut publisher = Publisher::new().await;
    publisher.release("1.0.0", TARGET, &binary("1.0.0"));
    publisher
}

#[tokio::test]
async fn a_manifest_signed_by_the_release_key_is_accepted() {
    let publisher = publisher().await;
    publisher.publish();
    let manifest = publisher.fetch().await.unwrap();
    assert_eq!(manifest.releases[0].version.to_string(), "1.0.0");
    assert_eq!(manifest.releases[0].targets[TARGET].url, publisher.server.url("v1.0.0/core-ide"));
}

#[tokio::test]
async fn a_signature_by_another_key_is_refused() {
    let publisher = publisher().await;
    let json = publisher.manifest_json("2026-07-01T00:00:00Z");
    publisher.server.serve("manifest.json", json.clone());
    publisher.server.serve("manifest.json.minisig", Signer::new().sign(&json));
    let error = publisher.fetch().await.unwrap_err();
    assert!(matches!(error, FetchError::Signature(SignatureError::OtherKey { .. })), "{error}");
    assert!(error.to_string().contains("signed by another key"), "{error}");
}

#[tokio::test]
async fn a_manifest_changed_after_signing_is_refused() {
    let publisher = publisher().await;
    publisher.publish();
    let tampered = String::from_utf8(publisher.manifest_json("2026-07-01T00:00:00Z"))
        .unwrap()
        .replace("1.0.0\"", "9.0.0\"");
    publisher.server.serve("manifest.json", tampered);
    let error = publisher.fetch().await.unwrap_err();
    assert!(matches!(error, FetchError::Signature(SignatureError::Mismatch { .. })), "{error}");
}

#[tokio::test]
async fn a_missing_or_malformed_signature_is_refused() {
    let publisher = publisher().await;
    publisher.server.serve("manifest.json", publisher.manifest_json("2026-07-01T00:00:00Z"));
    let error = publisher.fetch().await.unwrap_err();
    assert!(matches!(error, FetchError::Signature(SignatureError::Missing { .. })), "{error}");
    assert!(error.to_string().contains("minisign -Sm manifest.json"), "{error}");

    publisher.server.serve("manifest.json.minisig", "untrusted comment: x\nnot base64\n");
    let error = publisher.fetch().await.unwrap_err();
    assert!(matches!(error, FetchError::Signature(SignatureError::Malformed { .. })), "{error}");
}

#[tokio::test]
async fn an_expired_manifest_is_refused_even_when_signed() {
    let publisher = publisher().await;
    publisher.publish_json(&publisher.manifest_json("2026-05-31T23:59:59Z"));
    let error = publisher.fetch().await.unwrap_err();
    assert!(matches!(error, FetchError::Manifest(ManifestError::Expired { .. })), "{error}");
    assert!(error.to_string().contains("re-sign it with a later `expires`"), "{error}");
}

#[test]
fn the_compiled_in_key_slot_refuses_until_a_release_key_is_set() {
    let error = jobrunner_updater::ReleaseKey::compiled_in().unwrap_err();
    assert!(matches!(error, SignatureError::NoReleaseKey), "{error}");
}
