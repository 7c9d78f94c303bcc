//! Relay connections as GitHub serves them: `first`/`after`/`last`/`before` over an ordered
//! list, opaque cursors, `pageInfo` and `totalCount`.

use async_graphql::{Result, SimpleObject};

use crate::ids;

/// The page arguments of one connection field.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PageArgs<'a> {
    pub(crate) first: Option<i32>,
    pub(crate) after: Option<&'a str>,
    pub(crate) last: Option<i32>,
    pub(crate) before: Option<&'a str>,
}

/// `PageInfo`.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
#[graphql(name = "PageInfo")]
pub(crate) struct PageInfo {
    pub(crate) end_cursor: Option<String>,
    pub(crate) has_next_page: bool,
    pub(crate) has_previous_page: bool,
    pub(crate) start_cursor: Option<String>,
}

/// One page of a connection.
#[derive(Debug)]
pub(crate) struct Paged<T> {
    pub(crate) nodes: Vec<T>,
    pub(crate) page_info: PageInfo,
    pub(crate) total_count: i32,
}

/// The page of `items` (already in connection order) that `args` select.
pub(crate) fn paginate<T>(mut items: Vec<T>, args: PageArgs<'_>) -> Result<Paged<T>> {
    let total = items.len();
    let start = args.after.map(|c| offset(c).map(|o| o + 1)).transpose()?.unwrap_or(0).min(total);
    let end = args.before.map(offset).transpose()?.unwrap_or(total).clamp(start, total);
    let mut window = start..end;
    if let Some(first) = count(args.first, "first")? {
        window.end = window.end.min(window.start + first);
    }
    if let Some(last) = count(args.last, "last")? {
        window.start = window.start.max(window.end.saturating_sub(last));
    }
    let page_info = PageInfo {
        start_cursor: (!window.is_empty()).then(|| ids::cursor(window.start)),
        end_cursor: (!window.is_empty()).then(|| ids::cursor(window.end - 1)),
        has_next_page: window.end < total,
        has_previous_page: window.start > 0,
    };
    items.truncate(window.end);
    let nodes = items.split_off(window.start);
    Ok(Paged { nodes, page_info, total_count: i32::try_from(total).unwrap_or(i32::MAX) })
}

fn offset(cursor: &str) -> Result<usize> {
    ids::parse_cursor(cursor)
        .ok_or_else(|| format!("`{cursor}` does not appear to be a valid cursor.").into())
}

fn count(value: Option<i32>, name: &str) -> Result<Option<usize>> {
    value
        .map(|v| usize::try_from(v).map_err(|_| format!("`{name}` must be a non-negative integer").into()))
        .transpose()
}

/// Declares a GitHub connection type over a node type.
macro_rules! connection {
    ($name:ident, $graphql:literal, $node:ty) => {
        #[doc = concat!("`", $graphql, "`.")]
        #[derive(async_graphql::SimpleObject)]
        #[graphql(name = $graphql)]
        pub(crate) struct $name {
            pub(crate) total_count: i32,
            pub(crate) nodes: Vec<$node>,
            pub(crate) page_info: $crate::graphql::connection::PageInfo,
        }

        impl From<$crate::graphql::connection::Paged<$node>> for $name {
            fn from(page: $crate::graphql::connection::Paged<$node>) -> Self {
                Self { total_count: page.total_count, nodes: page.nodes, page_info: page.page_info }
            }
        }
    };
}

pub(crate) use connection;

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(args: PageArgs<'_>) -> (Vec<i32>, PageInfo) {
        let page = paginate((0..10).collect(), args).unwrap();
        (page.nodes, page.page_info)
    }

    #[test]
    fn first_and_after_walk_forward() {
        let (nodes, info) = numbers(PageArgs { first: Some(4), ..PageArgs::default() });
        assert_eq!(nodes, [0, 1, 2, 3]);
        assert!(info.has_next_page && !info.has_previous_page);
        let after = info.end_cursor.unwrap();
        let (nodes, info) = numbers(PageArgs { first: Some(4), after: Some(&after), ..PageArgs::default() });
        assert_eq!(nodes, [4, 5, 6, 7]);
        assert!(info.has_next_page && info.has_previous_page);
    }

    #[test]
    fn last_takes_the_tail() {
        let (nodes, info) = numbers(PageArgs { last: Some(3), ..PageArgs::default() });
        assert_eq!(nodes, [7, 8, 9]);
        assert!(!info.has_next_page && info.has_previous_page);
    }

    #[test]
    fn a_foreign_cursor_is_an_error() {
        assert!(
            paginate(vec![1], PageArgs { after: Some("bogus"), first: Some(1), ..PageArgs::default() })
                .is_err()
        );
    }
}
