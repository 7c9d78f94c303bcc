//! Why an update was refused or could not be carried out. Each message names the value at
//! fault and what fixes it.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use semver::Version;

/// A manifest that is not one this version may act on.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Not JSON, or not the manifest's shape.
    #[error("the update manifest is malformed at {path}: {why} (see docs/updates.md for the format)")]
    Malformed {
        /// Where in the document (`releases[0].targets.x.size`).
        path: String,
        /// What the parser said.
        why: String,
    },
    /// A manifest format this version does not know.
    #[error(
        "the update manifest has schema {found}, this core-ide reads schema 1: update core-ide by hand, or publish a schema 1 manifest"
    )]
    Schema {
        /// The schema found.
        found: u32,
    },
    /// A manifest for another program.
    #[error("the update manifest is for {found:?}, not \"core-ide\": check the manifest URL")]
    Name {
        /// The name found.
        found: String,
    },
    /// A manifest past its `expires`: possibly an old one replayed.
    #[error(
        "the update manifest expired at {expires} (now {now}): the publisher must re-sign it with a later `expires`, or the mirror serves a stale copy"
    )]
    Expired {
        /// The manifest's `expires`.
        expires: DateTime<Utc>,
        /// The instant checked against.
        now: DateTime<Utc>,
    },
    /// A release version that is not `SemVer`.
    #[error(
        "the update manifest lists version {found:?}, which is not SemVer ({why}): write it as MAJOR.MINOR.PATCH[-pre]"
    )]
    Version {
        /// The version as written.
        found: String,
        /// What the `SemVer` parser said.
        why: String,
    },
    /// One version listed twice.
    #[error("the update manifest lists version {version} twice: keep one entry per version")]
    DuplicateVersion {
        /// The version.
        version: Version,
    },
    /// A malformed asset (URL, sha256 or size).
    #[error("the update manifest's asset of {version} for {target}: {why}")]
    Asset {
        /// The release.
        version: Version,
        /// The target triple.
        target: String,
        /// What is wrong and how to fix it.
        why: String,
    },
}

/// A manifest signature that does not prove the release key signed these bytes.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    /// The compiled-in release key slot is still the placeholder.
    #[error(
        "no release public key is compiled in (RELEASE_PUBLIC_KEY is the placeholder): pass the key line of the release key's minisign .pub file"
    )]
    NoReleaseKey,
    /// The public key given is not a minisign public key.
    #[error(
        "the update public key {key:?} is not a minisign public key ({why}): give the base64 line of the .pub file (the line after the comment)"
    )]
    BadPublicKey {
        /// The key as given.
        key: String,
        /// What the decoder said.
        why: String,
    },
    /// No signature where one must be.
    #[error(
        "no signature at {url}: sign the manifest with `minisign -Sm manifest.json` and publish manifest.json.minisig beside it"
    )]
    Missing {
        /// Where the signature was looked for.
        url: String,
    },
    /// A signature file that is not one.
    #[error(
        "the signature at {url} is not a minisign signature ({why}): publish the .minisig that `minisign -Sm manifest.json` wrote"
    )]
    Malformed {
        /// The signature's URL.
        url: String,
        /// What the decoder said.
        why: String,
    },
    /// Signed, but by a key other than the release key.
    #[error(
        "the manifest at {url} is signed by another key than the release key: sign it with the release key, or configure that key's public key"
    )]
    OtherKey {
        /// The manifest's URL.
        url: String,
    },
    /// The signature does not match the bytes: the manifest was changed after signing.
    #[error(
        "the manifest at {url} does not match its signature (changed after signing, or the signature is of another file): re-sign it with `minisign -Sm manifest.json`"
    )]
    Mismatch {
        /// The manifest's URL.
        url: String,
    },
}

/// A download that failed or does not match the manifest. Nothing is left behind.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The HTTP client could not be built (the system's root certificates).
    #[error("cannot build the HTTPS client: {0}")]
    Client(String),
    /// Not a URL the client can fetch.
    #[error("cannot fetch {url}: {why}")]
    Request {
        /// The URL.
        url: String,
        /// What failed (connection refused, DNS, TLS).
        why: String,
    },
    /// An HTTP status other than 200.
    #[error("{url} answered HTTP {status}: check that the release is published there")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The connection ended before the body did.
    #[error("the download of {url} broke off after {received} of {expected} bytes ({why}): try again")]
    Truncated {
        /// The URL.
        url: String,
        /// Bytes received.
        received: u64,
        /// Bytes the manifest announced.
        expected: u64,
        /// What the client said.
        why: String,
    },
    /// A body of another size than the manifest's.
    #[error(
        "{url} served {received} bytes, the manifest says {expected}: the manifest's size is wrong or the file was replaced; fix the manifest"
    )]
    WrongSize {
        /// The URL.
        url: String,
        /// Bytes received (up to one past the expected size, where the download stops).
        received: u64,
        /// Bytes the manifest announced.
        expected: u64,
    },
    /// A body of the right size with another digest.
    #[error(
        "{url} has SHA-256 {actual}, the manifest says {expected}: the file was replaced or corrupted; do not install it, fix the release"
    )]
    WrongChecksum {
        /// The URL.
        url: String,
        /// The digest received.
        actual: String,
        /// The digest the manifest announced.
        expected: String,
    },
    /// A small document (manifest, signature) above its limit.
    #[error(
        "{url} is larger than {limit} bytes, too large for an update manifest or signature: check the URL"
    )]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// No answer in time.
    #[error("{url} sent nothing for {seconds} s: try again later")]
    Timeout {
        /// The URL.
        url: String,
        /// The idle limit.
        seconds: u64,
    },
    /// More redirects than [`crate::MAX_REDIRECTS`].
    #[error("{url} redirected more than {limit} times: check the URL")]
    Redirects {
        /// The URL first asked.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// A redirect from `https` to plain `http`.
    #[error("{url} redirected to {to}, off TLS: refused; publish the release over https")]
    InsecureRedirect {
        /// The URL redirecting.
        url: String,
        /// Where it pointed.
        to: String,
    },
    /// The temporary file beside the install could not be written.
    #[error(transparent)]
    Install(#[from] InstallError),
}

/// A change to the install prefix that could not be made; the prefix is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// A file or directory of the prefix cannot be written or read.
    #[error("cannot {action} {path}: {why}; {fix}", path = path.display())]
    Io {
        /// What was being done (`create`, `write`, `rename`).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The system's error.
        why: std::io::Error,
        /// What fixes it.
        fix: &'static str,
    },
    /// A marker file (`pending`, `failed`, `highest-installed`, `current`) that does not say
    /// what it should.
    #[error("{path} is corrupt ({why}): remove it, or restore it from the layout in docs/updates.md", path = path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// Nothing installed in the prefix (no `current` symlink).
    #[error("nothing is installed in {prefix} (no current symlink): install with core-ide update --apply, or check the prefix", prefix = prefix.display())]
    NothingInstalled {
        /// The prefix.
        prefix: PathBuf,
    },
    /// A pending update with no release to go back to.
    #[error(
        "{version} never reported healthy but there is no previous release to go back to: install a release by hand"
    )]
    NothingToRollBackTo {
        /// The unconfirmed version.
        version: Version,
    },
}

impl InstallError {
    /// An IO failure on `path`, with the fix that suits its kind.
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, why: std::io::Error) -> Self {
        use std::io::ErrorKind;
        let fix = match why.kind() {
            ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => {
                "run the update as the user owning the install prefix, or choose a writable prefix"
            }
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => "free space on that disk and try again",
            ErrorKind::NotADirectory => "the install prefix lies under a regular file: choose another prefix",
            _ => "check the install prefix and try again",
        };
        Self::Io { action, path: path.into(), why, fix }
    }
}
