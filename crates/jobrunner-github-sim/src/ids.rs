//! Opaque identifiers the simulator serves: GraphQL node ids, connection cursors, commit SHAs
//! and content digests. All are deterministic, so a state built twice serves the same ids.
//!
//! Node ids look like GitHub's (`PR_kwDO…`, `PRRT_kwDO…`) and use only `[A-Za-z0-9_-]`. They
//! encode what they name, so resolving one needs no index: a node id is the type prefix, then
//! the URL-safe base64 of `repo-database-id:number[:thread-id]`.

use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};

/// What a node id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeRef {
    /// A pull request.
    PullRequest { repo: u64, number: u64 },
    /// A review thread of a pull request.
    Thread { repo: u64, number: u64, thread: u64 },
}

const PULL_REQUEST: &str = "PR_kwDO";
const THREAD: &str = "PRRT_kwDO";

/// Node id of repository `repo`.
pub(crate) fn repository_id(repo: u64) -> String {
    format!("R_kgDO{}", b64_url(repo.to_string().as_bytes()))
}

/// Node id of an owner login.
pub(crate) fn owner_id(login: &str) -> String {
    format!("O_kgDO{}", b64_url(login.as_bytes()))
}

/// Node id of issue `number`.
pub(crate) fn issue_id(repo: u64, number: u64) -> String {
    format!("I_kwDO{}", b64_url(format!("{repo}:{number}").as_bytes()))
}

/// Node id of pull request `number`.
pub(crate) fn pull_request_id(repo: u64, number: u64) -> String {
    format!("{PULL_REQUEST}{}", b64_url(format!("{repo}:{number}").as_bytes()))
}

/// Node id of review thread `thread` of pull request `number`.
pub(crate) fn thread_id(repo: u64, number: u64, thread: u64) -> String {
    format!("{THREAD}{}", b64_url(format!("{repo}:{number}:{thread}").as_bytes()))
}

/// Node id of any other object with a numeric id (`kind` is GitHub's prefix, e.g. `PRRC`).
pub(crate) fn object_id(kind: &str, id: u64) -> String {
    format!("{kind}_kwDO{}", b64_url(id.to_string().as_bytes()))
}

/// Node id of a label, by name.
pub(crate) fn label_id(name: &str) -> String {
    format!("LA_kwDO{}", b64_url(name.as_bytes()))
}

/// Resolves a pull request or thread node id; `None` for anything else.
pub(crate) fn parse_node_id(id: &str) -> Option<NodeRef> {
    if let Some(rest) = id.strip_prefix(THREAD) {
        let [repo, number, thread] = decode_numbers::<3>(rest)?;
        return Some(NodeRef::Thread { repo, number, thread });
    }
    let rest = id.strip_prefix(PULL_REQUEST)?;
    let [repo, number] = decode_numbers::<2>(rest)?;
    Some(NodeRef::PullRequest { repo, number })
}

fn decode_numbers<const N: usize>(encoded: &str) -> Option<[u64; N]> {
    let text = String::from_utf8(b64_url_decode(encoded)?).ok()?;
    let parts: Vec<u64> = text.split(':').map(str::parse).collect::<Result<_, _>>().ok()?;
    parts.try_into().ok()
}

/// The cursor of the item at `offset` in a connection (GitHub's cursors are base64 too).
pub(crate) fn cursor(offset: usize) -> String {
    b64_std(format!("cursor:v2:{offset}").as_bytes())
}

/// The offset a cursor names; `None` for a cursor this simulator did not issue.
pub(crate) fn parse_cursor(cursor: &str) -> Option<usize> {
    let text = String::from_utf8(b64_std_decode(cursor)?).ok()?;
    text.strip_prefix("cursor:v2:")?.parse().ok()
}

/// A 40-hex-digit commit SHA derived from `seed`.
pub(crate) fn sha(seed: &str) -> String {
    hex_digest(seed.as_bytes(), 40)
}

/// `len` lowercase hex digits (at most 64) digesting `data`. Not cryptographic: ETags and SHAs
/// only need to change when their input does.
pub(crate) fn hex_digest(data: &[u8], len: usize) -> String {
    let mut out = String::with_capacity(64);
    for lane in 0u8..4 {
        let mut hasher = DefaultHasher::new();
        lane.hash(&mut hasher);
        data.hash(&mut hasher);
        let _ = write!(out, "{:016x}", hasher.finish());
    }
    out.truncate(len.min(64));
    out
}

const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64_url(data: &[u8]) -> String {
    encode(data, URL, false)
}

fn b64_std(data: &[u8]) -> String {
    encode(data, STD, true)
}

fn b64_url_decode(text: &str) -> Option<Vec<u8>> {
    decode(text, URL)
}

fn b64_std_decode(text: &str) -> Option<Vec<u8>> {
    decode(text.trim_end_matches('='), STD)
}

fn encode(data: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let bytes = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
        let word = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[(word >> (18 - 6 * i)) as usize & 63]));
        }
        if pad {
            out.extend(std::iter::repeat_n('=', 3 - chunk.len()));
        }
    }
    out
}

fn decode(text: &str, alphabet: &[u8; 64]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut word = 0u32;
    let mut bits = 0u32;
    for c in text.bytes() {
        let value = alphabet.iter().position(|&a| a == c)?;
        word = (word << 6) | u32::try_from(value).ok()?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((word >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_ids_round_trip_and_use_githubs_alphabet() {
        let pr = pull_request_id(7, 12);
        let thread = thread_id(7, 12, 345);
        assert!(pr.starts_with("PR_kwDO"));
        for id in [&pr, &thread, &issue_id(1, 2), &label_id("needs human")] {
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'=')), "{id}");
        }
        assert_eq!(parse_node_id(&pr), Some(NodeRef::PullRequest { repo: 7, number: 12 }));
        assert_eq!(parse_node_id(&thread), Some(NodeRef::Thread { repo: 7, number: 12, thread: 345 }));
        assert_eq!(parse_node_id("PR_kwDOnonsense!"), None);
        assert_eq!(parse_node_id(&issue_id(7, 12)), None);
    }

    #[test]
    fn cursors_round_trip_like_githubs_base64() {
        for offset in [0, 1, 99, 12_345] {
            assert_eq!(parse_cursor(&cursor(offset)), Some(offset));
        }
        assert_eq!(cursor(0), "Y3Vyc29yOnYyOjA=");
        assert_eq!(parse_cursor("not a cursor"), None);
    }

    #[test]
    fn shas_are_forty_hex_digits_and_deterministic() {
        let a = sha("octo/app#10@1");
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_eq!(a, sha("octo/app#10@1"));
        assert_ne!(a, sha("octo/app#10@2"));
    }
}
