//! The `Link` header's `rel="next"` URL: GitHub's pagination.

/// The URL of `rel="next"` in a `Link` header value, if any.
pub(crate) fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        is_next.then(|| url.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn finds_next_among_other_relations() {
        let header = "<https://api.github.com/repos/o/r/pulls?page=2>; rel=\"next\", <https://api.github.com/repos/o/r/pulls?page=5>; rel=\"last\"";
        assert_eq!(next_link(header).as_deref(), Some("https://api.github.com/repos/o/r/pulls?page=2"));
    }

    #[test]
    fn last_page_has_no_next() {
        assert_eq!(
            next_link("<https://x/y?page=1>; rel=\"first\", <https://x/y?page=4>; rel=\"prev\""),
            None
        );
    }
}
