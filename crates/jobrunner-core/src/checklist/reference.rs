//! Issue references in inline text and link targets: `#12`, `owner/repo#12`, and issue URLs
//! on the forge's host. What looks like a reference but cannot name a child (a URL on another
//! host, a pull request's URL) is told apart, so the item can be reported instead of ignored.

/// A reference to an issue, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Written {
    /// `owner/name` when the reference names a repository.
    pub(super) repo: Option<(String, String)>,
    pub(super) number: u64,
}

/// Something in the text shaped like a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Found {
    /// An issue of the forge.
    Issue(Written),
    /// A pull request's URL on the forge's host: a PR is no child.
    PullRequest,
    /// An issue or pull-request URL on another host.
    OtherHost,
}

/// Every reference-shaped token of `text`, with its byte offset in `text`.
pub(super) fn scan_text(text: &str, host: &str) -> Vec<(usize, Found)> {
    let mut found = Vec::new();
    for (start, word) in words(text, char::is_whitespace) {
        if word.contains("://") {
            let url = word.trim_start_matches(['(', '<', '[', '"', '\'']);
            let url = url.trim_end_matches([')', '>', ']', '"', '\'', '.', ',', ';', ':', '!', '?']);
            found.extend(parse_url(url, host).map(|f| (start, f)));
            continue;
        }
        let not_part = |c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/' | '#'));
        for (offset, token) in words(word, not_part) {
            found.extend(parse_short(token).map(|w| (start + offset, Found::Issue(w))));
        }
    }
    found
}

/// The non-empty runs of `text` between characters for which `split` holds, with offsets.
fn words(text: &str, split: impl Fn(char) -> bool) -> impl Iterator<Item = (usize, &str)> {
    let mut start = None;
    let mut out = Vec::new();
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (start, split(c) || i == text.len()) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    out.into_iter()
}

/// `#12` or `owner/name#12` making up all of `token` (a trailing `.` may end a sentence).
fn parse_short(token: &str) -> Option<Written> {
    let (slug, digits) = token.split_once('#')?;
    let digits = digits.strip_suffix('.').unwrap_or(digits);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = digits.parse().ok().filter(|n| *n > 0)?;
    let repo = if slug.is_empty() { None } else { Some(parse_slug(slug)?) };
    Some(Written { repo, number })
}

/// `owner/name` with GitHub's characters: owners `[A-Za-z0-9-]`, names also `.` and `_`.
fn parse_slug(slug: &str) -> Option<(String, String)> {
    let (owner, name) = slug.split_once('/')?;
    let valid = |s: &str, extra: &[u8]| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
    };
    (valid(owner, b"-") && valid(name, b"-._")).then(|| (owner.to_owned(), name.to_owned()))
}

/// `http(s)://<host>/owner/name/issues/N` (or `/pull/N`), anything after N that cannot
/// continue a number allowed (`#issuecomment-1`, `/`, `?`). `None` when the URL has no issue or
/// pull-request shape at all: then it is an ordinary link, not a reference.
pub(super) fn parse_url(url: &str, host: &str) -> Option<Found> {
    let lower = url.get(..8).map(str::to_ascii_lowercase).unwrap_or_default();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return None;
    };
    let mut parts = rest.splitn(5, '/');
    let (authority, owner, name, kind, tail) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if !matches!(kind, "issues" | "pull") {
        return None;
    }
    let number = leading_number(tail)?;
    let (owner, name) = parse_slug(&format!("{owner}/{name}"))?;
    if !authority.eq_ignore_ascii_case(host) {
        return Some(Found::OtherHost);
    }
    if kind == "pull" {
        return Some(Found::PullRequest);
    }
    Some(Found::Issue(Written { repo: Some((owner, name)), number }))
}

/// The number at the start of `text`, when it is not followed by a word character.
fn leading_number(text: &str) -> Option<u64> {
    let end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let next = text[end..].chars().next();
    if end == 0 || next.is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return None;
    }
    text[..end].parse().ok().filter(|n| *n > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(repo: Option<(&str, &str)>, number: u64) -> Found {
        Found::Issue(Written { repo: repo.map(|(o, n)| (o.to_owned(), n.to_owned())), number })
    }

    fn scanned(text: &str) -> Vec<Found> {
        scan_text(text, "github.com").into_iter().map(|(_, f)| f).collect()
    }

    #[test]
    fn short_references_stand_alone_or_in_punctuation() {
        assert_eq!(scanned("#12"), [issue(None, 12)]);
        assert_eq!(scanned("Title (#12)."), [issue(None, 12)]);
        assert_eq!(scanned("see octo/app#7, #8"), [issue(Some(("octo", "app")), 7), issue(None, 8)]);
        assert_eq!(scanned("#12."), [issue(None, 12)]);
    }

    #[test]
    fn words_that_merely_contain_a_hash_are_not_references() {
        for text in ["#12a", "abc#12", "a/b/c#12", "#0", "#", "C#", "x.y#3", "#1.5"] {
            assert_eq!(scanned(text), [], "{text}");
        }
    }

    #[test]
    fn issue_urls_count_on_the_forge_host_only() {
        assert_eq!(scanned("https://github.com/o/r/issues/12"), [issue(Some(("o", "r")), 12)]);
        assert_eq!(
            scanned("(HTTPS://GitHub.com/o/r/issues/12#issuecomment-3)"),
            [issue(Some(("o", "r")), 12)]
        );
        assert_eq!(scanned("https://gitlab.com/o/r/issues/12"), [Found::OtherHost]);
        assert_eq!(scanned("https://github.com/o/r/pull/12"), [Found::PullRequest]);
        assert_eq!(scanned("https://github.com/o/r/blob/main/x.rs#12 https://github.com/o/r/issues/new"), []);
        assert_eq!(scan_text("https://ghe.corp/o/r/issues/4", "ghe.corp").len(), 1);
        assert_eq!(scan_text("https://github.com/o/r/issues/4", "ghe.corp")[0].1, Found::OtherHost);
    }
}
