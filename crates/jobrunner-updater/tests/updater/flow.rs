//! `check`, `apply` and `rollback`: the flow `core-ide update` runs.

use jobrunner_updater::{
    Applied, Channel, InstallPrefix, ManifestSource, NoUpdate, Pending, TARGET, UpdateConfig, UpdateError,
    apply, check, rollback,
};
use semver::Version;

use crate::support::{Publisher, Signer, binary, now};

fn v(text: &str) -> Version {
    Version::parse(text).unwrap()
}

fn config(publisher: &Publisher, prefix: &std::path::Path) -> UpdateConfig {
    UpdateConfig {
        source: ManifestSource::Url(publisher.manifest_url()),
        channel: Channel::Stable,
        key: publisher.signer.key(),
        prefix: InstallPrefix::new(prefix),
        running: v("0.1.0"),
        target: TARGET.to_owned(),
        allow_downgrade: false,
    }
}

#[tokio::test]
async fn check_apply_check_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let mut publisher = Publisher::new().await;
    publisher.release("1.0.0", TARGET, &binary("1.0.0"));
    publisher.publish();
    let config = config(&publisher, dir.path());

    let plan = check(&config, now()).await.unwrap();
    assert!(plan.update_available());
    assert_eq!(
        plan.to_string(),
        "installed: 0.1.0 (the running binary; none in the prefix yet)\nprevious:  none\n\
         available: 1.0.0 on stable\nwould install 1.0.0 and switch current to it\n"
    );
    assert!(dir.path().read_dir().unwrap().next().is_none(), "a check changes nothing");
    let applied = apply(&config, now()).await.unwrap();
    assert_eq!(applied, Applied::Installed(Pending { new: v("1.0.0"), previous: None, started: false }));

    publisher.release("2.0.0", TARGET, &binary("2.0.0"));
    publisher.publish();
    let applied = apply(&config, now()).await.unwrap();
    assert_eq!(
        applied.to_string(),
        "installed 2.0.0 and switched current to it (from 1.0.0, kept for a rollback)"
    );

    let plan = check(&config, now()).await.unwrap();
    assert!(!plan.update_available());
    assert_eq!(
        plan.to_string(),
        "installed: 2.0.0\nprevious:  1.0.0\navailable: 2.0.0 on stable\n\
         pending:   2.0.0 has not reported healthy yet\nnothing to do: 2.0.0 is the newest stable release\n"
    );
    assert!(matches!(
        apply(&config, now()).await.unwrap(),
        Applied::NothingToDo(NoUpdate::AlreadyNewest { .. })
    ));

    let rolled = rollback(&config.prefix).unwrap();
    assert_eq!((rolled.failed, rolled.restored), (v("2.0.0"), v("1.0.0")));
    assert_eq!(config.prefix.current().unwrap(), Some(v("1.0.0")));
    assert_eq!(config.prefix.pending().unwrap(), None);
    let plan = check(&config, now()).await.unwrap();
    assert!(
        matches!(plan.action, Err(NoUpdate::PreviouslyFailed { ref version }) if *version == v("2.0.0")),
        "a rolled back release is not offered again: {plan}"
    );
    let error = rollback(&config.prefix).unwrap_err();
    assert!(matches!(error, UpdateError::NoPrevious { .. }), "{error}");
}

#[tokio::test]
async fn rollback_after_a_confirmed_update_finds_the_release_before() {
    let dir = tempfile::tempdir().unwrap();
    let mut publisher = Publisher::new().await;
    publisher.release("1.0.0", TARGET, &binary("1.0.0"));
    publisher.publish();
    let config = config(&publisher, dir.path());
    apply(&config, now()).await.unwrap();
    config.prefix.confirm_healthy().unwrap();
    publisher.release("1.1.0", TARGET, &binary("1.1.0"));
    publisher.publish();
    apply(&config, now()).await.unwrap();
    config.prefix.confirm_healthy().unwrap();
    assert_eq!(check(&config, now()).await.unwrap().previous, Some(v("1.0.0")));
    assert_eq!(rollback(&config.prefix).unwrap().restored, v("1.0.0"));
}

#[tokio::test]
async fn a_manifest_signed_by_another_key_is_refused_and_nothing_installed() {
    let dir = tempfile::tempdir().unwrap();
    let mut publisher = Publisher::new().await;
    publisher.release("1.0.0", TARGET, &binary("1.0.0"));
    publisher.publish();
    let config = UpdateConfig { key: Signer::new().key(), ..config(&publisher, dir.path()) };
    let error = apply(&config, now()).await.unwrap_err();
    assert!(error.to_string().contains("signed by another key"), "{error}");
    assert!(dir.path().read_dir().unwrap().next().is_none());
    let error = rollback(&config.prefix).unwrap_err();
    assert!(error.to_string().starts_with("nothing is installed in"), "{error}");
}
