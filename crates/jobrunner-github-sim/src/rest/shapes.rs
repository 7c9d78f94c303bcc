//! The JSON shapes of GitHub's REST objects, with the fields clients (octocrab's models among
//! them) require: users, labels, pull requests, issues, comments.

use chrono::SecondsFormat;
use serde_json::{Value, json};

use crate::clock::Timestamp;
use crate::ids;
use crate::merge_state::merge_status;
use crate::model::{Comment, Issue, IssueState, MergeMethod, PrState, PullRequest, Repo, StateReason};
use crate::sub_issues::SubIssuesSummary;

/// RFC 3339 with seconds and `Z`, as GitHub serves times.
pub(crate) fn time(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn opt_time(at: Option<Timestamp>) -> Value {
    at.map_or(Value::Null, |t| Value::String(time(t)))
}

/// Where a repository's objects live, for the URLs inside answers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Urls<'a> {
    pub(crate) base: &'a str,
    pub(crate) repo: &'a Repo,
}

impl Urls<'_> {
    fn api(&self) -> String {
        format!("{}/repos/{}/{}", self.base, self.repo.owner, self.repo.name)
    }

    fn html(&self) -> String {
        format!("{}/{}/{}", self.base, self.repo.owner, self.repo.name)
    }
}

/// A user object (octocrab's `Author`).
pub(crate) fn user(base: &str, login: &str) -> Value {
    let url = format!("{base}/users/{login}");
    json!({
        "login": login,
        "id": login.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))) % 100_000_000,
        "node_id": ids::owner_id(login),
        "avatar_url": format!("{base}/avatars/{login}"),
        "gravatar_id": "",
        "url": url,
        "html_url": format!("{base}/{login}"),
        "followers_url": format!("{url}/followers"),
        "following_url": format!("{url}/following{{/other_user}}"),
        "gists_url": format!("{url}/gists{{/gist_id}}"),
        "starred_url": format!("{url}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{url}/subscriptions"),
        "organizations_url": format!("{url}/orgs"),
        "repos_url": format!("{url}/repos"),
        "events_url": format!("{url}/events{{/privacy}}"),
        "received_events_url": format!("{url}/received_events"),
        "type": "User",
        "site_admin": false,
    })
}

/// A repository object (the `OpenAPI` schema `repository`), as GitHub embeds it in every pull request's
/// `head.repo` and `base.repo` and in a combined status. `pushed_at`, `updated_at` and the
/// open-issue counts move with the repository, so they change the ETag of every answer that
/// embeds it, as on GitHub.
pub(crate) fn repository(urls: Urls<'_>) -> Value {
    let repo = urls.repo;
    let api = urls.api();
    let html = urls.html();
    let open = repo.issues.values().filter(|i| i.state == IssueState::Open).count()
        + repo.pulls.values().filter(|p| p.is_open()).count();
    let pushed = repo.pushed_at.map(time);
    let mut value = json!({
        "id": repo.database_id,
        "node_id": ids::repository_id(repo.database_id),
        "name": repo.name,
        "full_name": repo.full_name(),
        "owner": user(urls.base, &repo.owner),
        "private": false,
        "html_url": html,
        "description": null,
        "fork": false,
        "url": api,
        "git_url": format!("git://127.0.0.1/{}.git", repo.full_name()),
        "ssh_url": format!("git@127.0.0.1:{}.git", repo.full_name()),
        "clone_url": format!("{html}.git"),
        "mirror_url": null,
        "svn_url": html,
        "homepage": null,
    });
    let settings = json!({
        "language": "Rust",
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 128,
        "default_branch": repo.default_branch,
        "open_issues_count": open,
        "open_issues": open,
        "is_template": false,
        "topics": [],
        "has_issues": true,
        "has_projects": true,
        "has_wiki": false,
        "has_pages": false,
        "has_downloads": true,
        "has_discussions": false,
        "archived": false,
        "disabled": false,
        "visibility": "public",
        "pushed_at": pushed,
        "created_at": time(crate::clock::LogicalClock::epoch()),
        "updated_at": pushed.clone().unwrap_or_else(|| time(crate::clock::LogicalClock::epoch())),
        "allow_auto_merge": repo.auto_merge_allowed,
        "allow_merge_commit": true,
        "allow_squash_merge": true,
        "allow_rebase_merge": true,
        "allow_update_branch": false,
        "delete_branch_on_merge": false,
        "license": null,
    });
    if let (Value::Object(map), Value::Object(settings)) = (&mut value, settings) {
        map.extend(settings);
        for (key, path) in REPOSITORY_URLS {
            map.insert((*key).to_owned(), Value::String(format!("{api}{path}")));
        }
    }
    value
}

/// The URL templates of a repository object, relative to its API URL.
const REPOSITORY_URLS: &[(&str, &str)] = &[
    ("archive_url", "/{archive_format}{/ref}"),
    ("assignees_url", "/assignees{/user}"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("branches_url", "/branches{/branch}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("comments_url", "/comments{/number}"),
    ("commits_url", "/commits{/sha}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("contents_url", "/contents/{+path}"),
    ("contributors_url", "/contributors"),
    ("deployments_url", "/deployments"),
    ("downloads_url", "/downloads"),
    ("events_url", "/events"),
    ("forks_url", "/forks"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("issue_events_url", "/issues/events{/number}"),
    ("issues_url", "/issues{/number}"),
    ("keys_url", "/keys{/key_id}"),
    ("labels_url", "/labels{/name}"),
    ("languages_url", "/languages"),
    ("merges_url", "/merges"),
    ("milestones_url", "/milestones{/number}"),
    ("notifications_url", "/notifications{?since,all,participating}"),
    ("pulls_url", "/pulls{/number}"),
    ("releases_url", "/releases{/id}"),
    ("stargazers_url", "/stargazers"),
    ("statuses_url", "/statuses/{sha}"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("tags_url", "/tags"),
    ("teams_url", "/teams"),
    ("trees_url", "/git/trees{/sha}"),
    ("hooks_url", "/hooks"),
];

/// The three fields of a repository a check run's pull requests carry.
pub(crate) fn repository_ref(urls: Urls<'_>) -> Value {
    json!({ "id": urls.repo.database_id, "url": urls.api(), "name": urls.repo.name })
}

/// A label object.
pub(crate) fn label(urls: Urls<'_>, name: &str) -> Value {
    json!({
        "id": u64::from_str_radix(&ids::hex_digest(name.as_bytes(), 12), 16).unwrap_or(1),
        "node_id": ids::label_id(name),
        "url": format!("{}/labels/{}", urls.api(), name.replace(' ', "%20")),
        "name": name,
        "description": null,
        "color": "ededed",
        "default": false,
    })
}

fn labels(urls: Urls<'_>, names: &[String]) -> Vec<Value> {
    names.iter().map(|n| label(urls, n)).collect()
}

fn rest_state(open: bool) -> &'static str {
    if open { "open" } else { "closed" }
}

fn merge_method(method: MergeMethod) -> &'static str {
    match method {
        MergeMethod::Merge => "merge",
        MergeMethod::Squash => "squash",
        MergeMethod::Rebase => "rebase",
    }
}

/// A pull request as the list endpoint serves it (no mergeability).
pub(crate) fn pull(urls: Urls<'_>, pr: &PullRequest) -> Value {
    pull_in(urls, pr, &repository(urls))
}

/// [`pull`] with the repository object already built (a list embeds the same one in every
/// item twice; building it once per page keeps large lists cheap).
pub(crate) fn pull_in(urls: Urls<'_>, pr: &PullRequest, repository: &Value) -> Value {
    let api = format!("{}/pulls/{}", urls.api(), pr.number);
    let html = format!("{}/pull/{}", urls.html(), pr.number);
    let repo = urls.repo;
    let auto_merge = pr.auto_merge.map_or(Value::Null, |a| {
        let by = pr.auto_merge_by.as_deref().unwrap_or(crate::VIEWER_LOGIN);
        // GitHub fills the merge commit's title from the PR title and leaves the message empty.
        json!({"enabled_by": user(urls.base, by), "merge_method": merge_method(a.method),
               "commit_title": format!("{} (#{})", pr.title, pr.number), "commit_message": ""})
    });
    let links = json!({
        "self": { "href": api },
        "html": { "href": html },
        "issue": { "href": format!("{}/issues/{}", urls.api(), pr.number) },
        "comments": { "href": format!("{}/issues/{}/comments", urls.api(), pr.number) },
        "review_comments": { "href": format!("{api}/comments") },
        "review_comment": { "href": format!("{}/pulls/comments{{/number}}", urls.api()) },
        "commits": { "href": format!("{api}/commits") },
        "statuses": { "href": format!("{}/statuses/{}", urls.api(), pr.head_sha()) },
    });
    json!({
        "url": api,
        "id": pr.id,
        "node_id": ids::pull_request_id(repo.database_id, pr.number),
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "issue_url": format!("{}/issues/{}", urls.api(), pr.number),
        "commits_url": format!("{api}/commits"),
        "review_comments_url": format!("{api}/comments"),
        "review_comment_url": format!("{}/pulls/comments{{/number}}", urls.api()),
        "comments_url": format!("{}/issues/{}/comments", urls.api(), pr.number),
        "statuses_url": format!("{}/statuses/{}", urls.api(), pr.head_sha()),
        "number": pr.number,
        "state": rest_state(pr.is_open()),
        "locked": false,
        "title": pr.title,
        "user": user(urls.base, &pr.author),
        "body": pr.body,
        "labels": labels(urls, &pr.labels),
        "milestone": null,
        "active_lock_reason": null,
        "created_at": time(pr.created_at),
        "updated_at": time(pr.updated_at),
        "closed_at": opt_time(pr.closed_at),
        "merged_at": opt_time(pr.merged_at),
        "merge_commit_sha": pr.merged_at.map(|_| ids::sha(&format!("merge:{}", pr.head_sha()))),
        "assignee": null,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": branch_ref(urls, &pr.head_ref, pr.head_sha(), repository),
        "base": branch_ref(urls, &pr.base_ref, repo.branches.get(&pr.base_ref).map_or("", String::as_str), repository),
        "author_association": "MEMBER",
        "auto_merge": auto_merge,
        "draft": pr.draft,
        "_links": links,
    })
}

/// A pull request as `GET …/pulls/{n}` serves it: the list shape plus mergeability
/// (`mergeable` is the value of this read: `None` serves `null`).
pub(crate) fn pull_detail(urls: Urls<'_>, pr: &PullRequest, mergeable: Option<bool>) -> Value {
    let mut value = pull(urls, pr);
    let extra = json!({
        "merged": pr.state == PrState::Merged,
        "mergeable": mergeable,
        "rebaseable": mergeable,
        "mergeable_state": merge_status(urls.repo, pr, mergeable).as_rest(),
        "merged_by": pr.merged_at.map(|_| user(urls.base, pr.merged_by.as_deref().unwrap_or("github-actions"))),
        "comments": pr.comments.len(),
        "review_comments": pr.threads.iter().map(|t| t.comments.len()).sum::<usize>(),
        "maintainer_can_modify": false,
        "commits": pr.commits.len(),
        "additions": 42,
        "deletions": 7,
        "changed_files": 3,
    });
    if let (Value::Object(map), Value::Object(extra)) = (&mut value, extra) {
        map.extend(extra);
    }
    value
}

fn branch_ref(urls: Urls<'_>, name: &str, sha: &str, repository: &Value) -> Value {
    json!({
        "label": format!("{}:{name}", urls.repo.owner),
        "ref": name,
        "sha": sha,
        "user": user(urls.base, &urls.repo.owner),
        "repo": repository,
    })
}

/// An issue, with GitHub's summary of its sub-issues.
pub(crate) fn issue(urls: Urls<'_>, issue: &Issue, sub_issues: SubIssuesSummary) -> Value {
    let common = IssueCommon {
        number: issue.number,
        id: issue.id,
        node_id: ids::issue_id(urls.repo.database_id, issue.number),
        title: &issue.title,
        body: &issue.body,
        author: &issue.author,
        open: issue.state == IssueState::Open,
        state_reason: issue.state_reason,
        labels: &issue.labels,
        comments: issue.comments.len(),
        created_at: issue.created_at,
        updated_at: issue.updated_at,
        closed_at: issue.closed_at,
    };
    let mut value = issue_shape(urls, &common);
    // OPENAPI `issue.sub_issues_summary` (`sub-issues-summary`: total, completed,
    // percent_completed), served for every issue as GitHub does.
    value["sub_issues_summary"] = json!({
        "total": sub_issues.total,
        "completed": sub_issues.completed,
        "percent_completed": sub_issues.percent_completed(),
    });
    value
}

/// A pull request as the issues API serves it: an issue with a `pull_request` key.
pub(crate) fn pull_as_issue(urls: Urls<'_>, pr: &PullRequest) -> Value {
    let common = IssueCommon {
        number: pr.number,
        id: pr.id,
        node_id: ids::pull_request_id(urls.repo.database_id, pr.number),
        title: &pr.title,
        body: &pr.body,
        author: &pr.author,
        open: pr.is_open(),
        state_reason: None,
        labels: &pr.labels,
        comments: pr.comments.len(),
        created_at: pr.created_at,
        updated_at: pr.updated_at,
        closed_at: pr.closed_at,
    };
    let mut value = issue_shape(urls, &common);
    let html = format!("{}/pull/{}", urls.html(), pr.number);
    value["pull_request"] = json!({
        "url": format!("{}/pulls/{}", urls.api(), pr.number),
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "merged_at": opt_time(pr.merged_at),
    });
    value
}

/// What issues and pull requests share in the issues API.
struct IssueCommon<'a> {
    number: u64,
    id: u64,
    node_id: String,
    title: &'a str,
    body: &'a str,
    author: &'a str,
    open: bool,
    state_reason: Option<StateReason>,
    labels: &'a [String],
    comments: usize,
    created_at: Timestamp,
    updated_at: Timestamp,
    closed_at: Option<Timestamp>,
}

fn issue_shape(urls: Urls<'_>, issue: &IssueCommon<'_>) -> Value {
    let api = format!("{}/issues/{}", urls.api(), issue.number);
    json!({
        "url": api,
        "repository_url": urls.api(),
        "labels_url": format!("{api}/labels{{/name}}"),
        "comments_url": format!("{api}/comments"),
        "events_url": format!("{api}/events"),
        "html_url": format!("{}/issues/{}", urls.html(), issue.number),
        "id": issue.id,
        "node_id": issue.node_id,
        "number": issue.number,
        "title": issue.title,
        "user": user(urls.base, issue.author),
        "labels": labels(urls, issue.labels),
        "state": rest_state(issue.open),
        "state_reason": issue.state_reason.map(StateReason::as_rest),
        "locked": false,
        "assignee": null,
        "assignees": [],
        "milestone": null,
        "comments": issue.comments,
        "created_at": time(issue.created_at),
        "updated_at": time(issue.updated_at),
        "closed_at": opt_time(issue.closed_at),
        "closed_by": null,
        "author_association": "MEMBER",
        "active_lock_reason": null,
        "body": issue.body,
    })
}

/// An issue comment.
pub(crate) fn comment(urls: Urls<'_>, number: u64, comment: &Comment) -> Value {
    json!({
        "id": comment.id,
        "node_id": ids::object_id("IC", comment.id),
        "url": format!("{}/issues/comments/{}", urls.api(), comment.id),
        "html_url": format!("{}/issues/{number}#issuecomment-{}", urls.html(), comment.id),
        "issue_url": format!("{}/issues/{number}", urls.api()),
        "body": comment.body,
        "user": user(urls.base, &comment.author),
        "created_at": time(comment.created_at),
        "updated_at": time(comment.created_at),
        "author_association": "MEMBER",
    })
}
