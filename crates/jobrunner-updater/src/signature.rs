//! The manifest's signature: `<manifest url>.minisig`, made by the standard `minisign` tool
//! with the project's release key and checked here with `minisign-verify`.

use crate::error::SignatureError;

/// The project's release key slot: the base64 key line of the release key's minisign `.pub`
/// file, compiled into official builds.
///
/// Empty until the project's release key is made (`minisign -G`, the secret key kept offline by
/// the release manager, never in this repository); [`ReleaseKey::compiled_in`] refuses it, so an
/// unconfigured build never trusts anything. Builds and tests pass their own key with
/// [`ReleaseKey::from_base64`].
pub const RELEASE_PUBLIC_KEY: &str = "";

/// A public key manifests must be signed with.
#[derive(Debug, Clone)]
pub struct ReleaseKey(minisign_verify::PublicKey);

impl ReleaseKey {
    /// The compiled-in [`RELEASE_PUBLIC_KEY`].
    pub fn compiled_in() -> Result<Self, SignatureError> {
        if RELEASE_PUBLIC_KEY.is_empty() {
            return Err(SignatureError::NoReleaseKey);
        }
        Self::from_base64(RELEASE_PUBLIC_KEY)
    }

    /// A key from the base64 line of a minisign `.pub` file (`RWT...`); a whole `.pub` file
    /// (comment line and key line) is accepted too.
    pub fn from_base64(key: &str) -> Result<Self, SignatureError> {
        let line = key.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or("");
        minisign_verify::PublicKey::from_base64(line)
            .map(Self)
            .map_err(|e| SignatureError::BadPublicKey { key: key.to_owned(), why: e.to_string() })
    }
}

/// Checks that `signature` (the text of a `.minisig` file) is `key`'s signature of `manifest`.
/// `url` is the manifest's, for the messages.
pub fn verify_manifest(
    manifest: &[u8],
    signature: &str,
    key: &ReleaseKey,
    url: &str,
) -> Result<(), SignatureError> {
    if signature.trim().is_empty() {
        return Err(SignatureError::Missing { url: format!("{url}.minisig") });
    }
    let signature = minisign_verify::Signature::decode(signature)
        .map_err(|e| SignatureError::Malformed { url: format!("{url}.minisig"), why: e.to_string() })?;
    // Legacy (non-prehashed) signatures are what `minisign -S` made before 0.10 by default;
    // both prove the same thing.
    key.0.verify(manifest, &signature, true).map_err(|e| match e {
        minisign_verify::Error::UnexpectedKeyId => SignatureError::OtherKey { url: url.to_owned() },
        minisign_verify::Error::InvalidSignature => SignatureError::Mismatch { url: url.to_owned() },
        other => SignatureError::Malformed { url: format!("{url}.minisig"), why: other.to_string() },
    })
}
