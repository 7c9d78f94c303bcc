//! Strong ETags and `If-None-Match`, the way GitHub's conditional requests work: the tag is a
//! digest of the exact body served (so per page), and a match is answered `304 Not Modified`,
//! which costs no primary point.

use http::HeaderValue;

use crate::ids;

/// The strong ETag of `body`, quoted.
pub(crate) fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", ids::hex_digest(body, 64))
}

/// Whether an `If-None-Match` header names `etag`. Comparison is weak as RFC 9110 asks for
/// `If-None-Match`: a `W/` prefix on either side is ignored; `*` matches anything.
pub(crate) fn matches(if_none_match: &HeaderValue, etag: &str) -> bool {
    let Ok(list) = if_none_match.to_str() else { return false };
    let wanted = opaque(etag);
    list.split(',').map(str::trim).any(|tag| tag == "*" || opaque(tag) == wanted)
}

fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_is_quoted_and_changes_with_the_body() {
        let tag = etag_of(b"[1]");
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() == 66);
        assert_ne!(tag, etag_of(b"[2]"));
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let tag = etag_of(b"x");
        assert!(matches(&HeaderValue::from_str(&tag).unwrap(), &tag));
        assert!(matches(&HeaderValue::from_str(&format!("\"other\", W/{tag}")).unwrap(), &tag));
        assert!(matches(&HeaderValue::from_static("*"), &tag));
        assert!(!matches(&HeaderValue::from_static("\"other\""), &tag));
    }
}
