//! A binary is kept only when it is exactly what the manifest says; a failure leaves nothing.

use jobrunner_updater::{Asset, DownloadError, Downloader, InstallPrefix, Manifest, TARGET};
use semver::Version;

use crate::support::{Publisher, binary, snapshot};

struct Case {
    publisher: Publisher,
    prefix_dir: tempfile::TempDir,
}

impl Case {
    async fn new() -> Self {
        let mut publisher = Publisher::new().await;
        publisher.release("2.0.0", TARGET, &binary("2.0.0"));
        publisher.publish();
        Self { publisher, prefix_dir: tempfile::tempdir().unwrap() }
    }

    async fn manifest(&self) -> Manifest {
        self.publisher.fetch().await.unwrap()
    }

    async fn download(&self, asset: &Asset) -> Result<(), DownloadError> {
        let prefix = InstallPrefix::new(self.prefix_dir.path());
        Downloader::new().unwrap().download(asset, &Version::new(2, 0, 0), &prefix).await
    }

    fn assert_nothing_left(&self) {
        assert_eq!(snapshot(self.prefix_dir.path()), vec![], "the failed download left files behind");
    }
}

#[tokio::test]
async fn a_download_matching_the_manifest_lands_beside_the_releases() {
    let case = Case::new().await;
    let asset = case.manifest().await.releases[0].targets[TARGET].clone();
    case.download(&asset).await.unwrap();
    let path = InstallPrefix::new(case.prefix_dir.path()).download_path(&Version::new(2, 0, 0));
    assert_eq!(std::fs::read(path).unwrap(), binary("2.0.0"));
}

#[tokio::test]
async fn progress_is_reported_per_chunk_up_to_the_manifests_size() {
    let case = Case::new().await;
    let asset = case.manifest().await.releases[0].targets[TARGET].clone();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let downloader = Downloader::new().unwrap().on_progress(move |received, total| {
        record.lock().unwrap().push((received, total));
    });
    let prefix = InstallPrefix::new(case.prefix_dir.path());
    downloader.download(&asset, &Version::new(2, 0, 0), &prefix).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.last(), Some(&(asset.size, asset.size)), "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "received only grows: {seen:?}");
}

#[tokio::test]
async fn a_wrong_checksum_is_refused_and_removed() {
    let case = Case::new().await;
    let mut asset = case.manifest().await.releases[0].targets[TARGET].clone();
    asset.sha256[0] ^= 1;
    let error = case.download(&asset).await.unwrap_err();
    assert!(matches!(error, DownloadError::WrongChecksum { .. }), "{error}");
    case.assert_nothing_left();
}

#[tokio::test]
async fn a_wrong_size_is_refused_and_removed() {
    let case = Case::new().await;
    let real = case.manifest().await.releases[0].targets[TARGET].clone();
    for size in [real.size - 1, real.size + 1] {
        let asset = Asset { size, ..real.clone() };
        let error = case.download(&asset).await.unwrap_err();
        assert!(matches!(error, DownloadError::WrongSize { expected, .. } if expected == size), "{error}");
        case.assert_nothing_left();
    }
}

#[tokio::test]
async fn a_truncated_download_is_refused_and_removed() {
    let case = Case::new().await;
    let asset = case.manifest().await.releases[0].targets[TARGET].clone();
    case.publisher.server.serve_cut("v2.0.0/core-ide", binary("2.0.0"), 10);
    let error = case.download(&asset).await.unwrap_err();
    assert!(matches!(error, DownloadError::Truncated { received: 10, .. }), "{error}");
    assert!(error.to_string().contains("broke off after 10 of"), "{error}");
    case.assert_nothing_left();
}

#[tokio::test]
async fn a_missing_asset_names_the_status() {
    let case = Case::new().await;
    let mut asset = case.manifest().await.releases[0].targets[TARGET].clone();
    asset.url = case.publisher.server.url("nowhere");
    let error = case.download(&asset).await.unwrap_err();
    assert!(matches!(error, DownloadError::Status { status: 404, .. }), "{error}");
    case.assert_nothing_left();
}
