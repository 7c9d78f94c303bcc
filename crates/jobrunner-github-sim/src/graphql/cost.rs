//! GitHub's GraphQL rate-limit score, computed from the parsed document before it runs.
//!
//! From GitHub's "Calculating a rate limit score": for each connection in the query, the
//! requests it implies are the product of the `first`/`last` of every enclosing connection (a
//! top-level connection implies 1), assuming every page fills. The score is the sum of those
//! divided by 100, rounded to the nearest whole number, and at least 1. The node count (the
//! product including the connection's own page size, summed) is GitHub's `nodeCount`, capped at
//! 500,000. Variables, their defaults, named fragments and inline fragments are followed.
//! Like GitHub, a connection that asks for `nodes` or `edges` without `first`/`last`, or a
//! page size over 100, is refused before it runs.

use std::collections::HashSet;
use std::convert::Infallible;

use async_graphql::parser::types::{
    ExecutableDocument, Field, OperationDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Value};
use serde_json::{Map, Value as Json};

use super::schema::CONNECTION_FIELDS;

/// The largest `first`/`last` GitHub accepts.
const MAX_PAGE: u64 = 100;
/// The most nodes one query may ask for.
const MAX_NODES: u64 = 500_000;

/// What running a document will cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueryCost {
    /// Primary points (at least 1).
    pub(crate) cost: u32,
    /// Nodes the query may return.
    pub(crate) node_count: u64,
    /// The operation is a mutation (5 secondary points, content-creating).
    pub(crate) is_mutation: bool,
}

/// Why a document is refused before it runs; `kind` is GitHub's error `type`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum CostError {
    /// A connection asks for items without a page size.
    #[error("You must provide a `first` or `last` value to properly paginate the `{0}` connection.")]
    MissingPaginationBoundaries(String),
    /// A page size above 100.
    #[error(
        "Requesting {requested} records on the `{field}` connection exceeds the `{argument}` limit of 100 records."
    )]
    ExcessivePagination {
        /// The connection field.
        field: String,
        /// `first` or `last`.
        argument: &'static str,
        /// What was asked.
        requested: u64,
    },
    /// Too many nodes.
    #[error(
        "By the time this query traverses to the {field} connection, it is requesting up to {nodes} possible nodes which exceeds the maximum limit of 500,000."
    )]
    NodeLimitExceeded {
        /// Where the limit was passed.
        field: String,
        /// Nodes asked for by then.
        nodes: u64,
    },
}

impl CostError {
    /// GitHub's error `type`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::MissingPaginationBoundaries(_) => "MISSING_PAGINATION_BOUNDARIES",
            Self::ExcessivePagination { .. } => "EXCESSIVE_PAGINATION",
            Self::NodeLimitExceeded { .. } => "MAX_NODE_LIMIT_EXCEEDED",
        }
    }
}

/// Scores the operation `operation` (or the only one) of `doc`; a document whose operation
/// cannot be chosen scores the minimum and is left for the executor to refuse.
pub(crate) fn analyze(
    doc: &ExecutableDocument,
    operation: Option<&str>,
    variables: &Map<String, Json>,
) -> Result<QueryCost, CostError> {
    let Some(op) = pick_operation(doc, operation) else {
        return Ok(QueryCost { cost: 1, node_count: 0, is_mutation: false });
    };
    let mut walk = Walk { doc, op, variables, requests: 0, nodes: 0, fragments: HashSet::new() };
    walk.selection_set(&op.selection_set.node, 1)?;
    let score = walk.requests.saturating_add(50) / 100;
    Ok(QueryCost {
        cost: u32::try_from(score.max(1)).unwrap_or(u32::MAX),
        node_count: walk.nodes,
        is_mutation: op.ty == OperationType::Mutation,
    })
}

fn pick_operation<'a>(doc: &'a ExecutableDocument, name: Option<&str>) -> Option<&'a OperationDefinition> {
    let mut ops = doc.operations.iter();
    if let Some(name) = name {
        return ops.find(|(n, _)| n.is_some_and(|n| n.as_str() == name)).map(|(_, op)| &op.node);
    }
    let (_, first) = ops.next()?;
    ops.next().is_none().then_some(&first.node)
}

struct Walk<'a> {
    doc: &'a ExecutableDocument,
    op: &'a OperationDefinition,
    variables: &'a Map<String, Json>,
    /// Sum over connections of the requests each implies.
    requests: u64,
    nodes: u64,
    /// Fragments being walked, so a (invalid) cycle cannot loop forever.
    fragments: HashSet<&'a Name>,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet, multiplier: u64) -> Result<(), CostError> {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => self.field(&field.node, multiplier)?,
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node, multiplier)?;
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    let Some(fragment) = self.doc.fragments.get(name) else { continue };
                    if self.fragments.insert(name) {
                        self.selection_set(&fragment.node.selection_set.node, multiplier)?;
                        self.fragments.remove(name);
                    }
                }
            }
        }
        Ok(())
    }

    fn field(&mut self, field: &'a Field, multiplier: u64) -> Result<(), CostError> {
        let name = field.name.node.as_str();
        let size = self.page_size(field)?;
        if size.is_none() && !CONNECTION_FIELDS.contains(&name) {
            return self.selection_set(&field.selection_set.node, multiplier);
        }
        if size.is_none() && self.selects_items(&field.selection_set.node, 0) {
            return Err(CostError::MissingPaginationBoundaries(name.to_owned()));
        }
        // One request per page of every enclosing connection fetches this connection.
        self.requests = self.requests.saturating_add(multiplier);
        let inner = multiplier.saturating_mul(size.unwrap_or(0));
        self.nodes = self.nodes.saturating_add(inner);
        if self.nodes > MAX_NODES {
            return Err(CostError::NodeLimitExceeded { field: name.to_owned(), nodes: self.nodes });
        }
        self.selection_set(&field.selection_set.node, inner)
    }

    /// The larger of `first` and `last`, if either is given.
    fn page_size(&self, field: &Field) -> Result<Option<u64>, CostError> {
        let mut size = None;
        for argument in ["first", "last"] {
            let Some(value) = field.get_argument(argument) else { continue };
            let value = value.node.clone().into_const_with(|name| Ok::<_, Infallible>(self.variable(&name)));
            let Some(value) = value.ok().as_ref().and_then(non_negative) else { continue };
            if value > MAX_PAGE {
                let field = field.name.node.to_string();
                return Err(CostError::ExcessivePagination { field, argument, requested: value });
            }
            size = Some(size.unwrap_or(0).max(value));
        }
        Ok(size)
    }

    /// A variable's value, else its default, else null.
    fn variable(&self, name: &Name) -> Value {
        if let Some(value) = self.variables.get(name.as_str()) {
            return Value::from_json(value.clone()).unwrap_or(Value::Null);
        }
        let definition = self.op.variable_definitions.iter().find(|d| d.node.name.node == *name);
        definition.and_then(|d| d.node.default_value().cloned()).unwrap_or(Value::Null)
    }

    /// Whether a connection's selection asks for `nodes` or `edges` (fragments followed, to a
    /// depth that only an invalid, cyclic document reaches).
    fn selects_items(&self, set: &SelectionSet, depth: u8) -> bool {
        depth < 16
            && set.items.iter().any(|item| match &item.node {
                Selection::Field(field) => matches!(field.node.name.node.as_str(), "nodes" | "edges"),
                Selection::InlineFragment(inline) => {
                    self.selects_items(&inline.node.selection_set.node, depth + 1)
                }
                Selection::FragmentSpread(spread) => self
                    .doc
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .is_some_and(|f| self.selects_items(&f.node.selection_set.node, depth + 1)),
            })
    }
}

/// A number as a page size; negative numbers count as 0 (the executor refuses them), null or
/// absent as no page size.
fn non_negative(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| n.as_i64().map(|_| 0)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn cost(query: &str) -> Result<QueryCost, CostError> {
        cost_with(query, &serde_json::json!({}))
    }

    fn cost_with(query: &str, variables: &Json) -> Result<QueryCost, CostError> {
        let doc = parse_query(query).unwrap();
        analyze(&doc, None, variables.as_object().unwrap())
    }

    #[test]
    fn githubs_documented_example_costs_51() {
        let query = "query { viewer { login repositories(first: 100) { edges { node { id \
                     issues(first: 50) { edges { node { id labels(first: 60) { edges { node { id name } } } } } } } } } } }";
        let scored = cost(query).unwrap();
        assert_eq!(scored.cost, 51);
        assert_eq!(scored.node_count, 100 + 100 * 50 + 100 * 50 * 60);
    }

    #[test]
    fn small_queries_cost_the_minimum_of_one() {
        assert_eq!(cost("{ rateLimit { cost } }").unwrap().cost, 1);
        let query =
            "{ repository(owner: \"o\", name: \"r\") { pullRequests(first: 30) { nodes { number } } } }";
        assert_eq!(cost(query).unwrap().cost, 1);
    }

    #[test]
    fn nested_connections_multiply_through_variables_and_fragments() {
        let query = "query Q($n: Int = 100, $t: Int!) { repository(owner: \"o\", name: \"r\") { \
                     pullRequests(first: $n) { nodes { ...Pr } } } } \
                     fragment Pr on PullRequest { reviewThreads(first: $t) { nodes { ... on PullRequestReviewThread { \
                     comments(last: 10) { nodes { body } } } } } }";
        let scored = cost_with(query, &serde_json::json!({ "t": 50 })).unwrap();
        // 1 (pullRequests) + 100 (reviewThreads per PR) + 100 * 50 (comments per thread).
        assert_eq!(scored.cost, (1 + 100 + 5000 + 50) / 100);
        assert!(!scored.is_mutation);
    }

    #[test]
    fn mutations_cost_at_least_one_and_say_so() {
        let scored =
            cost("mutation { resolveReviewThread(input: {threadId: \"x\"}) { thread { id } } }").unwrap();
        assert_eq!(scored.cost, 1);
        assert!(scored.is_mutation);
    }

    #[test]
    fn connections_without_page_size_are_refused_when_they_ask_for_nodes() {
        let refused = cost("{ repository(owner: \"o\", name: \"r\") { issues { nodes { number } } } }");
        assert_eq!(refused, Err(CostError::MissingPaginationBoundaries("issues".to_owned())));
        assert!(cost("{ repository(owner: \"o\", name: \"r\") { issues { totalCount } } }").is_ok());
    }

    #[test]
    fn page_sizes_over_100_are_refused() {
        let refused =
            cost("{ repository(owner: \"o\", name: \"r\") { pullRequests(first: 101) { totalCount } } }");
        assert_eq!(refused.unwrap_err().kind(), "EXCESSIVE_PAGINATION");
    }

    #[test]
    fn more_than_500000_nodes_are_refused() {
        let query = "{ repository(owner: \"o\", name: \"r\") { pullRequests(first: 100) { nodes { \
                     reviewThreads(first: 100) { nodes { comments(first: 100) { nodes { id } } } } } } } }";
        assert_eq!(cost(query).unwrap_err().kind(), "MAX_NODE_LIMIT_EXCEEDED");
    }
}
