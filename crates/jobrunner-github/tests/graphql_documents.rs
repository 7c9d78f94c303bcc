//! Every GraphQL document the adapter sends is valid against GitHub's published schema
//! (tests/fixtures/github/schema.graphql, @octokit/graphql-schema).

use std::sync::OnceLock;

use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use jobrunner_core::{RepoSlug, ThreadId};
use jobrunner_github::{
    FIXED_DOCUMENTS, StateFragment, ThreadPage, pull_request_states_query,
    pull_request_states_query_with_issues, resolve_threads_mutation, review_thread_pages_query,
};

fn github_schema() -> &'static Valid<Schema> {
    static SCHEMA: OnceLock<Valid<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/github/schema.graphql");
        let text = std::fs::read_to_string(path).expect("the vendored GitHub schema");
        // GitHub's schema has one duplicate field that strict validation rejects: use the
        // partial schema, as the fixture's README says, rather than editing the fixture.
        let schema = Schema::parse(text, path).unwrap_or_else(|with_errors| with_errors.partial);
        Valid::assume_valid(schema)
    })
}

#[track_caller]
fn assert_valid(name: &str, document: &str) {
    if let Err(with_errors) = ExecutableDocument::parse_and_validate(github_schema(), document, name) {
        panic!("{name} is not valid against GitHub's schema:\n{}\n{document}", with_errors.errors);
    }
}

fn repo(slug: &str) -> RepoSlug {
    RepoSlug::parse(slug).unwrap()
}

#[test]
fn pull_request_states_query_is_valid_for_several_repos() {
    let open = StateFragment::Open;
    let closed = StateFragment::Closed;
    let query = pull_request_states_query(&[
        (repo("octo/app"), vec![(7, open), (8, closed), (120, open)]),
        (repo("other-org/lib.rs"), vec![(1, closed), (2, StateFragment::Settling)]),
    ]);
    assert_valid("pull_request_states.graphql", &query);
    let only_open = pull_request_states_query(&[(repo("octo/app"), vec![(7, open)])]);
    assert_valid("pull_request_states_open.graphql", &only_open);
    assert!(!only_open.contains("ClosedPullRequestState"), "unused fragments are left out");
    let only_closed = pull_request_states_query(&[(repo("octo/app"), vec![(9, closed)])]);
    assert_valid("pull_request_states_closed.graphql", &only_closed);
}

#[test]
fn the_follow_up_pages_of_review_threads_are_one_valid_query_across_repos() {
    let (query, variables) = review_thread_pages_query(&[
        (
            repo("octo/app"),
            vec![
                ThreadPage::new(7, 80, "Y3Vyc29yOnYyOjQ5".to_owned()),
                ThreadPage::new(9, 500, "c2".to_owned()),
            ],
        ),
        (repo("other-org/lib.rs"), vec![ThreadPage::new(1, 0, "c3".to_owned())]),
    ]);
    assert_valid("review_thread_pages.graphql", &query);
    assert!(query.contains("reviewThreads(first: 80, after: $a0)"), "sized to the unread threads:\n{query}");
    assert!(query.contains("reviewThreads(first: 100, after: $a1)"), "at most GitHub's 100:\n{query}");
    assert!(query.contains("reviewThreads(first: 1, after: $a2)"), "at least 1:\n{query}");
    assert_eq!(variables["a0"], "Y3Vyc29yOnYyOjQ5", "cursors travel as variables, never in the document");
    assert!(!query.contains("Y3Vyc29y"));
}

#[test]
fn reading_the_states_of_an_epics_children_keeps_the_query_valid() {
    let query = pull_request_states_query_with_issues(
        &[(repo("octo/app"), vec![(9, StateFragment::Closed)])],
        &[(repo("octo/app"), vec![3, 4]), (repo("octo/plan"), vec![12])],
    );
    assert_valid("pull_request_states_with_issues.graphql", &query);
    assert!(query.contains("i1: repository(owner: \"octo\", name: \"plan\")"), "{query}");
    assert!(query.contains("c12: issue(number: 12)"), "{query}");
}

#[test]
fn every_mutation_is_valid() {
    for (name, document) in FIXED_DOCUMENTS {
        assert_valid(name, document);
    }
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/graphql")).unwrap();
    let mutations = files
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .filter(|text| text.lines().any(|l| l.starts_with("mutation ")))
        .count();
    assert_eq!(mutations, FIXED_DOCUMENTS.len(), "every mutation file is in FIXED_DOCUMENTS");
}

#[test]
fn resolving_many_threads_is_one_valid_mutation() {
    let threads: Vec<ThreadId> = (0..3).map(|i| ThreadId::new(format!("PRRT_kwDO{i}")).unwrap()).collect();
    let (document, variables) = resolve_threads_mutation(&threads);
    assert_valid("resolve_review_threads.graphql", &document);
    assert_eq!(document.matches("resolveReviewThread(").count(), 3);
    assert_eq!(variables["t2"], "PRRT_kwDO2");
}

#[test]
fn the_check_rejects_a_field_github_does_not_have() {
    let bad = "query { repository(owner: \"o\", name: \"r\") { pullRequest(number: 1) { mergeability } } }";
    assert!(ExecutableDocument::parse_and_validate(github_schema(), bad, "bad.graphql").is_err());
}
