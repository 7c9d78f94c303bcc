//! REST pagination like GitHub's: `per_page` (default 30, at most 100) and `page` (from 1),
//! and a `Link` header with `prev`, `next`, `last` and `first` relations when there is more
//! than one page.

use std::fmt::Write as _;

/// The page a list request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageRequest {
    pub(crate) per_page: usize,
    pub(crate) page: usize,
}

const DEFAULT_PER_PAGE: usize = 30;
const MAX_PER_PAGE: usize = 100;

impl PageRequest {
    /// Reads `per_page` and `page` from query pairs; GitHub clamps rather than rejects.
    pub(crate) fn from_query(query: &[(String, String)]) -> Self {
        let number =
            |key: &str| query.iter().rev().find(|(k, _)| k == key).and_then(|(_, v)| v.parse::<usize>().ok());
        let per_page = number("per_page").unwrap_or(DEFAULT_PER_PAGE).clamp(1, MAX_PER_PAGE);
        let page = number("page").unwrap_or(1).max(1);
        Self { per_page, page }
    }

    /// The items of this page.
    pub(crate) fn slice<'a, T>(&self, items: &'a [T]) -> &'a [T] {
        let start = (self.page - 1).saturating_mul(self.per_page).min(items.len());
        let end = start.saturating_add(self.per_page).min(items.len());
        &items[start..end]
    }

    /// The number of the last page for `total` items (1 when empty).
    pub(crate) fn last_page(&self, total: usize) -> usize {
        total.div_ceil(self.per_page).max(1)
    }
}

/// The `Link` header for `page` of a list at `url` (absolute, without query) asked with
/// `query`; `None` when the list fits on one page.
pub(crate) fn link_header(
    url: &str,
    query: &[(String, String)],
    page: PageRequest,
    total: usize,
) -> Option<String> {
    let last = page.last_page(total);
    if last <= 1 {
        return None;
    }
    let at = |n: usize, rel: &str| format!("<{url}?{}>; rel=\"{rel}\"", with_page(query, n));
    let mut links = Vec::new();
    if page.page > 1 {
        links.push(at((page.page - 1).min(last), "prev"));
    }
    if page.page < last {
        links.push(at(page.page + 1, "next"));
        links.push(at(last, "last"));
    }
    if page.page > 1 {
        links.push(at(1, "first"));
    }
    Some(links.join(", "))
}

/// The query string of `query` with `page` set to `n`, other parameters kept in order.
fn with_page(query: &[(String, String)], n: usize) -> String {
    let mut pairs: Vec<String> = query
        .iter()
        .filter(|(k, _)| k != "page")
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    pairs.push(format!("page={n}"));
    pairs.join("&")
}

/// Percent-encodes everything but RFC 3986's unreserved characters and `,` (GitHub keeps
/// label lists readable).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b',') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn per_page_defaults_to_30_and_is_capped_at_100() {
        assert_eq!(PageRequest::from_query(&[]), PageRequest { per_page: 30, page: 1 });
        let asked = PageRequest::from_query(&query(&[("per_page", "250"), ("page", "0")]));
        assert_eq!(asked, PageRequest { per_page: 100, page: 1 });
    }

    #[test]
    fn first_page_links_next_and_last() {
        let q = query(&[("state", "all"), ("per_page", "100")]);
        let link = link_header("http://h/repos/o/r/pulls", &q, PageRequest::from_query(&q), 250).unwrap();
        assert_eq!(
            link,
            "<http://h/repos/o/r/pulls?state=all&per_page=100&page=2>; rel=\"next\", \
             <http://h/repos/o/r/pulls?state=all&per_page=100&page=3>; rel=\"last\""
        );
    }

    #[test]
    fn last_page_links_prev_and_first_only() {
        let q = query(&[("per_page", "100"), ("page", "3")]);
        let link = link_header("http://h/x", &q, PageRequest::from_query(&q), 250).unwrap();
        assert_eq!(
            link,
            "<http://h/x?per_page=100&page=2>; rel=\"prev\", <http://h/x?per_page=100&page=1>; rel=\"first\""
        );
    }

    #[test]
    fn a_single_page_has_no_link() {
        assert_eq!(link_header("http://h/x", &[], PageRequest::from_query(&[]), 30), None);
    }
}
