//! `GitHubSource`: change detection on conditional REST requests, state of changed PRs by
//! GraphQL, signals for every PR still in flow.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::{self, StreamExt};
use jobrunner_core::checklist::{UnplaceableEpicItem, unplaceable_key};
use jobrunner_core::{
    ActionResult, BudgetReading, FailureClass, ForgeError, JobSource, MergeStateStatus, Mergeable,
    PipelineSignal, PrState, RepoSlug, SourceCache, UnhealthyRepo, unhealthy_key,
};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use crate::client::{Fetched, GitHubClient, graphql_error};
use crate::documents::{
    MAX_PRS_PER_QUERY, StateFragment, ThreadPage, points_for, pull_request_states_query_with_issues,
    review_thread_pages_query,
};
use crate::epics::{EpicChecklist, EpicIndex};
use crate::listing::{Listing, PullListItem, base_key};
use crate::persist::Snapshot;
use crate::routes;
use crate::state::{
    ClosedListItem, Context, EpicListItem, Page, PrDetail, PrNode, RepoState, SettlingNode, ThreadConnection,
};

/// Pages followed per list before giving up: 100 pages of 100 items.
const MAX_PAGES: usize = 100;
/// First wait before polling an unhealthy repository again.
const UNHEALTHY_BACKOFF: std::time::Duration = std::time::Duration::from_secs(30);
/// Longest wait between two polls of an unhealthy repository.
const UNHEALTHY_BACKOFF_MAX: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// Polls a set of repositories for pipeline signals, spending as few API points as it can.
pub struct GitHubSource {
    client: Arc<GitHubClient>,
    repos: Vec<(RepoSlug, Mutex<RepoState>)>,
    cache: Option<Arc<dyn SourceCache>>,
    /// The repositories to poll when restricted (a fleet node's leases); all when `None`.
    active: std::sync::RwLock<Option<BTreeSet<RepoSlug>>>,
    /// Repositories given back to this source after another node polled them: their state
    /// here is stale, the cache holds that node's newer snapshot.
    regained: std::sync::Mutex<BTreeSet<RepoSlug>>,
    /// Repositories GitHub answered for under another name, logged once each.
    renamed: std::sync::Mutex<BTreeSet<RepoSlug>>,
    /// Repositories whose last poll failed on their own, with when to try again.
    unhealthy: std::sync::Mutex<BTreeMap<RepoSlug, Unhealthy>>,
    /// Hash of the unhealthy list last saved to the cache.
    health_saved: std::sync::Mutex<Option<u64>>,
    /// Hash of the unplaceable epic items last saved to the cache.
    unplaceable_saved: std::sync::Mutex<Option<u64>>,
    /// Whether each listed child of an epic in a repository that is not configured was open
    /// when last read (those of configured ones are kept in their `RepoState`, and saved).
    foreign_child_open: std::sync::Mutex<BTreeMap<(RepoSlug, u64), bool>>,
}

/// A repository that answered 403, 404 or kept failing: polled again after a back-off while
/// every other repository goes on.
#[derive(Debug, Clone)]
pub struct Unhealthy {
    /// The failure's class.
    pub class: FailureClass,
    /// Failed polls in a row.
    pub failures: u32,
    /// When the failures began.
    pub since: chrono::DateTime<chrono::Utc>,
    /// Not polled again before this.
    pub retry_at: std::time::Instant,
}

impl GitHubSource {
    /// A source over `repos`, sharing `client` (and its PR id cache) with the forge.
    #[must_use]
    pub fn new(client: Arc<GitHubClient>, repos: Vec<RepoSlug>) -> Self {
        let repos = repos.into_iter().map(|r| (r, Mutex::new(RepoState::default()))).collect();
        Self {
            client,
            repos,
            cache: None,
            active: std::sync::RwLock::new(None),
            regained: std::sync::Mutex::default(),
            renamed: std::sync::Mutex::default(),
            unhealthy: std::sync::Mutex::default(),
            health_saved: std::sync::Mutex::default(),
            unplaceable_saved: std::sync::Mutex::default(),
            foreign_child_open: std::sync::Mutex::default(),
        }
    }

    /// Keeps each repository's ETags and structural state in `cache` across restarts (see
    /// `persist.rs`): loaded in the first cycle, saved whenever a repository's state changed.
    #[must_use]
    pub fn with_cache(mut self, cache: Arc<dyn SourceCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Indices of the repositories this cycle polls.
    fn polled_indices(&self) -> Vec<usize> {
        let active = self.active.read().expect("active lock");
        (0..self.repos.len())
            .filter(|i| active.as_ref().is_none_or(|a| a.contains(&self.repos[*i].0)))
            .collect()
    }

    fn cache_key(&self, repo: &RepoSlug) -> String {
        format!("github {} {repo}", self.client.config().api_url)
    }

    /// Loads a repository's snapshot once, before its first cycle.
    async fn load(&self, repo: &RepoSlug, state: &mut RepoState) -> Result<(), ForgeError> {
        if std::mem::replace(&mut state.loaded, true) {
            return Ok(());
        }
        let Some(cache) = &self.cache else { return Ok(()) };
        let saved = cache.load(&self.cache_key(repo)).await.map_err(cache_error)?;
        match saved.as_deref().map(|json| (Snapshot::parse(json), json)) {
            Some((Some(snapshot), json)) => {
                state.saved = Some(hash_of(json));
                snapshot.restore(state);
            }
            Some((None, _)) => {
                tracing::info!(repo = %repo, "saved source state is of another version: reading afresh");
            }
            None => {}
        }
        Ok(())
    }

    /// Keeps the unhealthy repositories in the cache for `core-status`, when they changed:
    /// the entries of the repositories this source polled are replaced, others (a fleet
    /// peer's) kept.
    async fn save_health(&self, cache: &Arc<dyn SourceCache>, polled: &[usize]) -> Result<(), ForgeError> {
        let ours = self.unhealthy_repos();
        self.save_per_repo(cache, &unhealthy_key(self.name()), &self.health_saved, polled, ours, |u| &u.repo)
            .await
    }

    /// Keeps the epic items that name no child although they mention a reference in the
    /// cache for `core-status`, when they changed: the entries of the repositories this source
    /// polled are replaced, others (a fleet peer's) kept.
    async fn save_unplaceable(
        &self,
        cache: &Arc<dyn SourceCache>,
        polled: &[usize],
    ) -> Result<(), ForgeError> {
        let mut ours: Vec<UnplaceableEpicItem> = Vec::new();
        for index in polled {
            let (repo, state) = &self.repos[*index];
            for epic in state.lock().await.epics() {
                ours.extend(epic.unplaceable.iter().map(|item| UnplaceableEpicItem {
                    repo: repo.clone(),
                    epic: epic.epic,
                    item: *item,
                }));
            }
        }
        self.save_per_repo(cache, &unplaceable_key(self.name()), &self.unplaceable_saved, polled, ours, |u| {
            &u.repo
        })
        .await
    }

    /// Saves `ours` under `key` when it changed since `saved`'s hash: the entries of the
    /// repositories this source polled are replaced, others (a fleet peer's) kept.
    async fn save_per_repo<T: serde::Serialize + DeserializeOwned>(
        &self,
        cache: &Arc<dyn SourceCache>,
        key: &str,
        saved: &std::sync::Mutex<Option<u64>>,
        polled: &[usize],
        ours: Vec<T>,
        repo_of: fn(&T) -> &RepoSlug,
    ) -> Result<(), ForgeError> {
        let hash = hash_of(&serde_json::to_string(&ours).expect("entries serialise"));
        if saved.lock().expect("saved-hash lock").replace(hash) == Some(hash) {
            return Ok(());
        }
        let stored: Vec<T> = cache
            .load(key)
            .await
            .map_err(cache_error)?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
        let polled: BTreeSet<&RepoSlug> = polled.iter().map(|i| &self.repos[*i].0).collect();
        let mut merged: Vec<T> = stored.into_iter().filter(|u| !polled.contains(repo_of(u))).collect();
        merged.extend(ours.into_iter().filter(|u| polled.contains(repo_of(u))));
        cache
            .save(key, &serde_json::to_string(&merged).expect("entries serialise"))
            .await
            .map_err(cache_error)
    }

    /// Saves the snapshot of every repository whose state changed this cycle.
    async fn save(&self) -> Result<(), ForgeError> {
        let Some(cache) = &self.cache else { return Ok(()) };
        self.save_health(cache, &self.polled_indices()).await?;
        self.save_unplaceable(cache, &self.polled_indices()).await?;
        for (repo, state) in &self.repos {
            let mut state = state.lock().await;
            let json = serde_json::to_string(&Snapshot::of(&state)).expect("a snapshot serialises");
            let hash = hash_of(&json);
            if state.saved != Some(hash) {
                cache.save(&self.cache_key(repo), &json).await.map_err(cache_error)?;
                state.saved = Some(hash);
            }
        }
        Ok(())
    }

    /// Repositories whose polls fail on their own (403, 404, errors), with their back-off.
    #[must_use]
    pub fn unhealthy(&self) -> Vec<(RepoSlug, Unhealthy)> {
        self.unhealthy.lock().expect("unhealthy lock").iter().map(|(r, u)| (r.clone(), u.clone())).collect()
    }

    /// Whether repository `index` is due: healthy, or unhealthy with its back-off over.
    fn due(&self, index: usize) -> bool {
        let unhealthy = self.unhealthy.lock().expect("unhealthy lock");
        unhealthy.get(&self.repos[index].0).is_none_or(|u| u.retry_at <= std::time::Instant::now())
    }

    /// Records a repository's own failure: logged when it starts, polled again after a
    /// back-off of 30 s doubling to 30 min, while every other repository goes on.
    fn mark_unhealthy(&self, index: usize, error: &ForgeError) {
        let repo = &self.repos[index].0;
        let mut unhealthy = self.unhealthy.lock().expect("unhealthy lock");
        let failures = unhealthy.get(repo).map_or(1, |u| u.failures.saturating_add(1));
        let since = unhealthy.get(repo).map_or_else(chrono::Utc::now, |u| u.since);
        let backoff = UNHEALTHY_BACKOFF.saturating_mul(1 << (failures - 1).min(6)).min(UNHEALTHY_BACKOFF_MAX);
        if failures == 1 {
            tracing::warn!(
                repo = %repo,
                class = %error.class,
                error = %error,
                retry_in_s = backoff.as_secs(),
                "repository unhealthy: skipped, the others go on; check its name and the token's access"
            );
        }
        let retry_at = std::time::Instant::now() + backoff;
        unhealthy.insert(repo.clone(), Unhealthy { class: error.class, failures, since, retry_at });
    }

    fn mark_healthy(&self, index: usize) {
        let repo = &self.repos[index].0;
        if let Some(was) = self.unhealthy.lock().expect("unhealthy lock").remove(repo) {
            tracing::info!(repo = %repo, failures = was.failures, "repository answers again");
        }
    }

    /// The client, for its rate-limit snapshot.
    #[must_use]
    pub fn client(&self) -> &GitHubClient {
        &self.client
    }

    async fn detect_repo(&self, index: usize) -> Result<(usize, Vec<(u64, StateFragment)>), ForgeError> {
        let (repo, state) = &self.repos[index];
        let mut state = state.lock().await;
        if self.cache.is_some() && self.regained.lock().expect("regained lock").remove(repo) {
            *state = RepoState::default();
        }
        self.load(repo, &mut state).await?;
        Ok((index, self.detect(repo, &mut state).await?.into_iter().collect()))
    }

    /// Which PRs of one repository must be re-read this cycle, and with which fragment.
    async fn detect(
        &self,
        repo: &RepoSlug,
        state: &mut RepoState,
    ) -> Result<BTreeMap<u64, StateFragment>, ForgeError> {
        let before = state.restored_listings.take().unwrap_or_else(|| listings(state));
        self.refresh_lists(repo, state).await?;
        let after = open_items(state);
        for item in after.values() {
            self.client.remember_node_id(repo, item.number, &item.node_id);
        }
        let after_listed = listings(state);
        // Merged before we started, or since the last cycle: the recent-closed page says which.
        if !state.closed_seen || before.keys().ne(after.keys()) {
            let url = routes::recently_closed_pulls(repo);
            state.closed_pages =
                self.refresh_pages(&url, &state.closed_pages, 1, decode_list::<ClosedListItem>).await?;
            state.closed_seen = true;
        }
        let mut refresh = listed_changes(state, &before, &after_listed);
        for number in self.moved_bases(repo, state, &after).await? {
            refresh.insert(number, StateFragment::Open);
        }
        let (settled, over_budget) = self.settled(repo, state, &after).await?;
        for number in over_budget {
            refresh.entry(number).or_insert(StateFragment::Settling);
        }
        for number in settled {
            refresh.insert(number, StateFragment::Open);
        }
        for number in std::mem::take(&mut state.forced) {
            let fragment =
                if after.contains_key(&number) { StateFragment::Open } else { StateFragment::Closed };
            refresh.insert(number, fragment);
        }
        Ok(refresh)
    }

    /// Conditional reads of the open-PR pages and the epic pages.
    async fn refresh_lists(&self, repo: &RepoSlug, state: &mut RepoState) -> Result<(), ForgeError> {
        let pulls = routes::open_pulls(repo);
        state.pull_pages =
            self.refresh_pages(&pulls, &state.pull_pages, MAX_PAGES, decode_list::<PullListItem>).await?;
        let owned = repo.clone();
        let grammar = self.client.config().checklist_grammar();
        let epics = routes::open_epics(repo, &self.client.config().epic_label);
        state.epic_pages = self
            .refresh_pages(&epics, &state.epic_pages, MAX_PAGES, move |body| {
                Ok(decode_list::<EpicListItem>(body)?
                    .into_iter()
                    .filter_map(|e| e.checklist(&owned, &grammar))
                    .collect())
            })
            .await?;
        Ok(())
    }

    /// Conditional GETs of each page of a list, following the next links remembered from the
    /// last full answer (a 304 carries none). Returns the new pages; the caller's copy stays
    /// untouched on error so a half-read list never hides a change next cycle.
    async fn refresh_pages<T: Clone>(
        &self,
        first: &str,
        cached: &[Page<T>],
        max_pages: usize,
        decode: impl Fn(&[u8]) -> Result<Vec<T>, ForgeError>,
    ) -> Result<Vec<Page<T>>, ForgeError> {
        let mut pages = Vec::new();
        let mut next = Some(first.to_owned());
        while let Some(url) = next.take() {
            if pages.len() == max_pages {
                break;
            }
            let known = cached.iter().find(|p| p.url == url);
            match self.client.get_conditional("poll", &url, known.and_then(|p| p.etag.as_deref())).await? {
                Fetched::NotModified => {
                    let page = known.expect("a 304 answers a request that carried a cached ETag").clone();
                    next.clone_from(&page.next);
                    pages.push(page);
                }
                Fetched::Modified { etag, next: link, body } => {
                    next.clone_from(&link);
                    pages.push(Page { url, etag, next: link, items: decode(&body)? });
                }
            }
        }
        Ok(pages)
    }

    /// PRs whose base branch moved since the last cycle: their mergeability is stale.
    async fn moved_bases(
        &self,
        repo: &RepoSlug,
        state: &mut RepoState,
        open: &BTreeMap<u64, PullListItem>,
    ) -> Result<Vec<u64>, ForgeError> {
        let bases: BTreeSet<&str> = open.values().map(|i| i.base.name.as_str()).collect();
        let mut moved = Vec::new();
        for base in bases {
            let known = state
                .branch_etags
                .get(base)
                .cloned()
                .or_else(|| state.restored_branches.remove(&base_key(base)));
            if let Fetched::Modified { etag, .. } =
                self.client.get_conditional("poll", &routes::branch(repo, base), known.as_deref()).await?
            {
                if known.is_some() {
                    moved.extend(open.values().filter(|i| i.base.name == base).map(|i| i.number));
                }
                if let Some(etag) = etag {
                    state.branch_etags.insert(base.to_owned(), etag);
                }
            }
        }
        state.branch_etags.retain(|name, _| open.values().any(|i| i.base.name == *name));
        Ok(moved)
    }

    /// PRs still settling (checks pending, mergeability unknown) whose checks or
    /// mergeability changed, as GitHub does not bump `updated_at` for either; and the settling
    /// PRs this cycle's REST budget did not cover, to be read by GraphQL instead.
    async fn settled(
        &self,
        repo: &RepoSlug,
        state: &mut RepoState,
        open: &BTreeMap<u64, PullListItem>,
    ) -> Result<(Vec<u64>, Vec<u64>), ForgeError> {
        let (mut changed, mut over_budget) = (Vec::new(), Vec::new());
        // An even, fixed share per repository: the same PRs use REST every cycle, so their
        // ETags stay warm and their 304s free, whatever order repositories finish in.
        let polled =
            self.active.read().expect("active lock").as_ref().map_or(self.repos.len(), BTreeSet::len);
        let mut budget = self.client.config().settle_requests_per_cycle / polled.max(1);
        let mut live_urls = BTreeSet::new();
        let settling: Vec<(u64, PrDetail)> = state
            .details
            .iter()
            .filter(|(n, d)| open.contains_key(n) && d.is_settling())
            .map(|(n, d)| (*n, d.clone()))
            .collect();
        for (number, detail) in settling {
            for (url, kind) in settle_urls(repo, number, &detail, &state.status_heads) {
                live_urls.insert(url.clone());
                if budget == 0 {
                    over_budget.push(number);
                    continue;
                }
                budget -= 1;
                match self.settle_check(state, &url, kind).await? {
                    SettleOutcome::Settled => changed.push(number),
                    // No check run on this head: its CI (if any) reports commit statuses,
                    // watched from the next cycle on, for this head only.
                    SettleOutcome::NoCheckRuns => {
                        state.status_heads.insert(detail.head_sha.as_str().to_owned());
                    }
                    SettleOutcome::Unchanged | SettleOutcome::Pending => {}
                }
            }
        }
        state.settle_etags.retain(|url, _| live_urls.contains(url));
        let heads: BTreeSet<&str> = open.values().map(|item| item.head.sha.as_str()).collect();
        state.status_heads.retain(|sha| heads.contains(sha.as_str()));
        changed.dedup();
        over_budget.dedup();
        over_budget.retain(|n| !changed.contains(n));
        Ok((changed, over_budget))
    }

    /// One conditional GET of a settling PR's resource. A 304 is free and changes nothing.
    async fn settle_check(
        &self,
        state: &mut RepoState,
        url: &str,
        kind: Settling,
    ) -> Result<SettleOutcome, ForgeError> {
        let known = state.settle_etags.get(url).cloned();
        let Fetched::Modified { etag, body, .. } =
            self.client.get_conditional("poll", url, known.as_deref()).await?
        else {
            return Ok(SettleOutcome::Unchanged);
        };
        if let Some(etag) = etag {
            state.settle_etags.insert(url.to_owned(), etag);
        }
        kind.outcome(&body)
    }

    /// Reads the structural state of `wanted` PRs, at most [`MAX_PRS_PER_QUERY`] per query,
    /// batching repositories together.
    async fn read_states(&self, wanted: Vec<(usize, Vec<(u64, StateFragment)>)>) -> Result<(), ForgeError> {
        let mut issues = self.children_to_read(&wanted).await;
        for batch in batches(wanted) {
            let slugs: Vec<(RepoSlug, Vec<(u64, StateFragment)>)> = batch
                .iter()
                .map(|(index, numbers)| (self.repos[*index].0.clone(), numbers.clone()))
                .collect();
            // The children's states ride along in the first document of the cycle.
            let issues = std::mem::take(&mut issues);
            let query = pull_request_states_query_with_issues(&slugs, &issues);
            let answer =
                self.client.graphql_query::<serde_json::Value>("poll", &query, serde_json::json!({})).await?;
            // An error on one repository (`["r3"]`: renamed away, forbidden, gone) belongs to
            // it; one on a PR (`["r3", "p7"]`) leaves that PR null, handled below; any other
            // fails the poll.
            let mut failed_repos = BTreeSet::new();
            for error in &answer.errors {
                // A listed child that cannot be read (gone, hidden, another owner's) counts as
                // open: its epic is not closed on a guess.
                if error.path.first().is_some_and(|a| a.starts_with('i')) {
                    continue;
                }
                let alias = error.path.first().and_then(|a| a.strip_prefix('r')).and_then(|i| i.parse().ok());
                match (alias.and_then(|i: usize| batch.get(i)), error.path.len()) {
                    (Some((index, _)), 1) => {
                        self.mark_unhealthy(*index, &graphql_error("poll", error, Some(&answer.headers)));
                        failed_repos.insert(*index);
                    }
                    (Some(_), _) if error.kind.as_deref() == Some("NOT_FOUND") => {}
                    _ => return Err(graphql_error("poll", error, Some(&answer.headers))),
                }
            }
            let data = answer.data.unwrap_or_default();
            self.note_child_states(&issues, &data).await;
            let viewer = data["viewer"]["login"].as_str().map(str::to_owned);
            for (alias, (index, numbers)) in batch.into_iter().enumerate() {
                if failed_repos.contains(&index) {
                    continue;
                }
                let (repo, state) = &self.repos[index];
                let mut state = state.lock().await;
                let repo_data = &data[format!("r{alias}")];
                self.note_rename(repo, repo_data["nameWithOwner"].as_str());
                let context = Context {
                    auto_merge_allowed: repo_data["autoMergeAllowed"].as_bool().unwrap_or(false),
                    viewer: viewer.as_deref(),
                    scope: &self.client.config().scope,
                };
                for (number, fragment) in numbers {
                    let value = &repo_data[format!("p{number}")];
                    self.store_state(repo, &mut state, (number, fragment), value, context);
                }
            }
        }
        Ok(())
    }

    /// Reads the review threads beyond the pages read so far, for every open PR that has
    /// more: one round per page depth, each round one query per [`MAX_PRS_PER_QUERY`] pages
    /// across PRs and repositories, each page sized to what GitHub counts unread, all within
    /// `thread_points_per_cycle`. A PR whose page failed or did not fit keeps its cursor and
    /// its unread count, so its merge waits with a reason; it is continued next cycle.
    async fn read_thread_pages(&self) -> Result<(), ForgeError> {
        let mut points_left = self.client.config().thread_points_per_cycle;
        // Pages that failed this cycle: not asked again before the next.
        let mut failed: BTreeSet<(usize, u64)> = BTreeSet::new();
        for _ in 0..MAX_PAGES {
            let wanted = self.thread_pages_wanted(&failed).await;
            if wanted.is_empty() {
                return Ok(());
            }
            let (documents, cut) = plan_thread_documents(wanted, points_left);
            for document in documents {
                points_left -= points_for(document.iter().map(|(_, page)| page.requests()).sum());
                if !self.read_thread_document(document, &mut failed).await? {
                    return Ok(());
                }
            }
            if cut > 0 {
                tracing::info!(
                    pages = cut,
                    "review-thread pages beyond this cycle's thread_points_per_cycle: read next cycle; \
                     their PRs' merges wait until then"
                );
                return Ok(());
            }
        }
        Ok(())
    }

    /// The next page of threads of every open PR of the polled, healthy repositories that has
    /// more, in repository and PR order.
    async fn thread_pages_wanted(&self, failed: &BTreeSet<(usize, u64)>) -> Vec<(usize, ThreadPage)> {
        let mut wanted = Vec::new();
        for index in self.polled_indices() {
            let (repo, state) = &self.repos[index];
            if self.unhealthy.lock().expect("unhealthy lock").contains_key(repo) {
                continue;
            }
            let state = state.lock().await;
            wanted.extend(
                state
                    .details
                    .iter()
                    .filter(|(number, _)| !failed.contains(&(index, **number)))
                    .filter_map(|(number, detail)| detail.next_thread_page(*number))
                    .map(|page| (index, page)),
            );
        }
        wanted
    }

    /// Sends one follow-up query and adds each page to its PR. False when the query as a whole
    /// failed (logged): no more follow-ups this cycle. A bad token or an exhausted budget
    /// fails the poll, as everywhere.
    async fn read_thread_document(
        &self,
        document: Vec<(usize, ThreadPage)>,
        failed: &mut BTreeSet<(usize, u64)>,
    ) -> Result<bool, ForgeError> {
        let mut by_repo: Vec<(usize, Vec<ThreadPage>)> = Vec::new();
        for (index, page) in document {
            match by_repo.last_mut() {
                Some((last, pages)) if *last == index => pages.push(page),
                _ => by_repo.push((index, vec![page])),
            }
        }
        let slugs: Vec<(RepoSlug, Vec<ThreadPage>)> =
            by_repo.iter().map(|(index, pages)| (self.repos[*index].0.clone(), pages.clone())).collect();
        let (query, variables) = review_thread_pages_query(&slugs);
        let answer = match self.client.graphql_query::<serde_json::Value>("poll", &query, variables).await {
            Ok(answer) => answer,
            Err(error) if matches!(error.class, FailureClass::Auth | FailureClass::RateLimited { .. }) => {
                return Err(error);
            }
            Err(error) => {
                tracing::warn!(
                    error = %error,
                    "review-thread pages not read: those PRs' merges wait; tried again next cycle"
                );
                return Ok(false);
            }
        };
        if answer.errors.iter().any(|e| e.path.is_empty()) {
            tracing::warn!("review-thread pages answered with an error: those PRs' merges wait");
            return Ok(false);
        }
        let data = answer.data.unwrap_or_default();
        for (alias, (index, pages)) in by_repo.into_iter().enumerate() {
            let (repo, state) = &self.repos[index];
            let mut state = state.lock().await;
            for page in pages {
                let value = &data[format!("r{alias}")][format!("p{}", page.number)]["reviewThreads"];
                let added =
                    serde_json::from_value::<ThreadConnection>(value.clone()).ok().and_then(|threads| {
                        let detail = state.details.get_mut(&page.number)?;
                        // A fresh read this cycle replaced the cursor: that read stands.
                        (detail.threads_after.as_deref() == Some(page.after.as_str()))
                            .then(|| detail.add_thread_page(threads, &self.client.config().scope).ok())?
                    });
                if added.is_none() {
                    tracing::warn!(repo = %repo, pr = page.number, "review-thread page not read: its merge waits");
                    failed.insert((index, page.number));
                }
            }
        }
        Ok(true)
    }

    /// The listed children of the epics of the merged PRs about to be re-read, by repository:
    /// their states tell `close_epic` when an epic is done. Only PRs read before are known to
    /// close which children; a PR first seen merged gets its epics' children read next time.
    async fn children_to_read(
        &self,
        wanted: &[(usize, Vec<(u64, StateFragment)>)],
    ) -> Vec<(RepoSlug, Vec<u64>)> {
        let epics = self.all_epics().await;
        let empty = BTreeMap::new();
        let index = EpicIndex { epics: &epics, child_open: &empty };
        let mut children: BTreeMap<RepoSlug, BTreeSet<u64>> = BTreeMap::new();
        for (repo_index, numbers) in wanted {
            let (repo, state) = &self.repos[*repo_index];
            let state = state.lock().await;
            for (number, fragment) in numbers {
                let Some(detail) = state.details.get(number).filter(|_| *fragment == StateFragment::Closed)
                else {
                    continue;
                };
                for (child_repo, child) in index.siblings(repo, &detail.closes) {
                    children.entry(child_repo).or_default().insert(child);
                }
            }
        }
        children.into_iter().map(|(repo, numbers)| (repo, numbers.into_iter().collect())).collect()
    }

    /// Keeps what the answer says of the children asked for: open unless GitHub says
    /// `CLOSED` (a child that could not be read counts as open).
    async fn note_child_states(&self, issues: &[(RepoSlug, Vec<u64>)], data: &serde_json::Value) {
        for (index, (repo, numbers)) in issues.iter().enumerate() {
            let states = numbers.iter().map(|number| {
                let state = data[format!("i{index}")][format!("c{number}")]["state"].as_str();
                (*number, state != Some("CLOSED"))
            });
            match self.repos.iter().find(|(r, _)| r == repo) {
                Some((_, state)) => state.lock().await.child_open.extend(states),
                None => self
                    .foreign_child_open
                    .lock()
                    .expect("child state lock")
                    .extend(states.map(|(n, open)| ((repo.clone(), n), open))),
            }
        }
    }

    /// What is known of every epic child's state, configured repositories' and others'.
    async fn child_states(&self) -> BTreeMap<(RepoSlug, u64), bool> {
        let mut known = self.foreign_child_open.lock().expect("child state lock").clone();
        for (repo, state) in &self.repos {
            known.extend(state.lock().await.child_open.iter().map(|(n, open)| ((repo.clone(), *n), *open)));
        }
        known
    }

    /// The open epics of every configured repository, as last read.
    async fn all_epics(&self) -> Vec<(RepoSlug, EpicChecklist)> {
        let mut epics = Vec::new();
        for (repo, state) in &self.repos {
            epics.extend(state.lock().await.epics().into_iter().map(|e| (repo.clone(), e)));
        }
        epics
    }

    /// Logs once that GitHub answers for a repository under another name: it was renamed or
    /// transferred, and GitHub follows the old name for now (REST by a 301, GraphQL by
    /// `followRenames`), but the configuration should say the new one.
    fn note_rename(&self, repo: &RepoSlug, answered: Option<&str>) {
        let Some(answered) = answered else { return };
        if answered.eq_ignore_ascii_case(&repo.to_string()) {
            return;
        }
        let Ok(new) = RepoSlug::parse(answered) else { return };
        if self.renamed.lock().expect("renamed lock").insert(repo.clone()) {
            tracing::warn!(
                repo = %repo,
                now = %new,
                "repository renamed or transferred on GitHub: following it; put the new name in `repos`"
            );
        }
    }

    fn store_state(
        &self,
        repo: &RepoSlug,
        state: &mut RepoState,
        (number, fragment): (u64, StateFragment),
        value: &serde_json::Value,
        context: Context<'_>,
    ) {
        if value.is_null() {
            // Deleted, transferred, or no longer visible to the token: nothing left to do.
            state.details.remove(&number);
            state.finished.insert(number);
            return;
        }
        if fragment == StateFragment::Settling {
            let applied = serde_json::from_value::<SettlingNode>(value.clone())
                .ok()
                .zip(state.details.get_mut(&number))
                .is_some_and(|(node, detail)| detail.apply_settling(node));
            if !applied {
                // A new head or a state change arrived with it: read it in full next cycle.
                state.forced.insert(number);
            }
            return;
        }
        match serde_json::from_value::<PrNode>(value.clone()).ok().map(|node| node.into_detail(repo, context))
        {
            Some(Ok(detail)) => {
                self.client.remember_node_id(repo, number, &detail.node_id);
                // Still settling after a fresh read: forget the settle ETags so the next cycle
                // looks again instead of trusting a 304 of an already-settled answer.
                for (url, _) in settle_urls(repo, number, &detail, &state.status_heads) {
                    state.settle_etags.remove(&url);
                }
                state.details.insert(number, detail);
            }
            Some(Err(undecodable)) => {
                tracing::warn!(pr = %undecodable.0, "PR state skipped: invalid id or SHA");
            }
            None => tracing::warn!(repo = %repo, pr = number, "PR state skipped: unexpected shape"),
        }
    }
}

fn listings(state: &RepoState) -> BTreeMap<u64, Listing> {
    state.open_prs().into_iter().map(|(n, item)| (n, Listing::of(item))).collect()
}

/// A fixed hash of a snapshot's JSON, to skip saving an unchanged one.
fn hash_of(json: &str) -> u64 {
    base_key(json)
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(cache_error)`
fn cache_error(error: jobrunner_core::CacheError) -> ForgeError {
    ForgeError::new("poll", FailureClass::Transient, error.to_string())
}

fn open_items(state: &RepoState) -> BTreeMap<u64, PullListItem> {
    state.open_prs().into_iter().map(|(n, i)| (n, i.clone())).collect()
}

/// PRs the lists show changed: new or changed open PRs, and PRs that left the open list or
/// merged recently and are not known to be done.
fn listed_changes(
    state: &RepoState,
    before: &BTreeMap<u64, Listing>,
    after: &BTreeMap<u64, Listing>,
) -> BTreeMap<u64, StateFragment> {
    let mut refresh = BTreeMap::new();
    for (number, item) in after {
        if before.get(number) != Some(item) || !state.details.contains_key(number) {
            refresh.insert(*number, StateFragment::Open);
        }
    }
    let gone = before.keys().filter(|n| !after.contains_key(n));
    let merged =
        state.closed_pages.iter().flat_map(|p| &p.items).filter(|i| i.merged_at.is_some()).map(|i| &i.number);
    for number in gone.chain(merged) {
        let known_closed = state.details.get(number).is_some_and(|d| d.state != PrState::Open);
        if !state.finished.contains(number) && !known_closed && !after.contains_key(number) {
            refresh.insert(*number, StateFragment::Closed);
        }
    }
    refresh
}

/// Groups (repo index, PR numbers) into batches of at most `MAX_PRS_PER_QUERY` PRs, splitting
/// a repository across batches when it alone has more.
fn batches<T: Clone>(wanted: Vec<(usize, Vec<T>)>) -> Vec<Vec<(usize, Vec<T>)>> {
    let mut out: Vec<Vec<(usize, Vec<T>)>> = Vec::new();
    let mut size = MAX_PRS_PER_QUERY;
    for (index, numbers) in wanted {
        for chunk in numbers.chunks(MAX_PRS_PER_QUERY) {
            let mut chunk = chunk.to_vec();
            while !chunk.is_empty() {
                if size == MAX_PRS_PER_QUERY {
                    out.push(Vec::new());
                    size = 0;
                }
                let take = chunk.len().min(MAX_PRS_PER_QUERY - size);
                let rest = chunk.split_off(take);
                size += chunk.len();
                out.last_mut().expect("a batch was pushed").push((index, chunk));
                chunk = rest;
            }
        }
    }
    out
}

/// Groups follow-up pages into queries of at most [`MAX_PRS_PER_QUERY`] pages whose points
/// (GitHub's rounding per query included) fit in `points`; returns them and how many pages
/// did not fit.
fn plan_thread_documents(
    wanted: Vec<(usize, ThreadPage)>,
    points: u64,
) -> (Vec<Vec<(usize, ThreadPage)>>, usize) {
    let mut documents: Vec<(u64, Vec<(usize, ThreadPage)>)> = Vec::new();
    let mut cut = 0;
    for (index, page) in wanted {
        let requests = page.requests();
        let spent: u64 = documents.iter().map(|(r, _)| points_for(*r)).sum();
        let joins_last = documents.last().is_some_and(|(r, pages)| {
            pages.len() < MAX_PRS_PER_QUERY && spent - points_for(*r) + points_for(r + requests) <= points
        });
        if joins_last {
            let (r, pages) = documents.last_mut().expect("checked above");
            *r += requests;
            pages.push((index, page));
        } else if spent + points_for(requests) <= points {
            documents.push((requests, vec![(index, page)]));
        } else {
            cut += 1;
        }
    }
    (documents.into_iter().map(|(_, pages)| pages).collect(), cut)
}

/// Which settling resource a URL is.
#[derive(Debug, Clone, Copy)]
enum Settling {
    Mergeability,
    CheckRuns,
    CombinedStatus,
}

/// What a fresh answer of a settling resource shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SettleOutcome {
    /// 304: as before.
    Unchanged,
    /// Mergeability computed, or every check complete: worth a GraphQL read.
    Settled,
    /// Still running.
    Pending,
    /// The commit has no check runs at all.
    NoCheckRuns,
}

impl Settling {
    fn outcome(self, body: &[u8]) -> Result<SettleOutcome, ForgeError> {
        #[derive(serde::Deserialize)]
        struct Pull {
            mergeable: Option<bool>,
            mergeable_state: Option<String>,
        }
        #[derive(serde::Deserialize)]
        struct CheckRuns {
            total_count: u64,
            check_runs: Vec<CheckRun>,
        }
        #[derive(serde::Deserialize)]
        struct CheckRun {
            status: String,
        }
        #[derive(serde::Deserialize)]
        struct Combined {
            state: String,
            total_count: u64,
        }
        let settled = |done: bool| if done { SettleOutcome::Settled } else { SettleOutcome::Pending };
        Ok(match self {
            Self::Mergeability => {
                let pull: Pull = decode_one(body)?;
                settled(pull.mergeable.is_some() && pull.mergeable_state.as_deref() != Some("unknown"))
            }
            Self::CheckRuns => {
                let runs: CheckRuns = decode_one(body)?;
                if runs.total_count == 0 {
                    SettleOutcome::NoCheckRuns
                } else {
                    settled(runs.check_runs.iter().all(|r| r.status == "completed"))
                }
            }
            // GitHub answers "pending" for a commit without any status: only a reported
            // status that left pending counts.
            Self::CombinedStatus => {
                let combined: Combined = decode_one(body)?;
                settled(combined.total_count > 0 && combined.state != "pending")
            }
        })
    }
}

/// The resources to watch while a PR settles: its mergeability while unknown, and its head
/// commit's check runs (or commit status, in repositories that report CI that way).
fn settle_urls(
    repo: &RepoSlug,
    number: u64,
    detail: &PrDetail,
    status_heads: &BTreeSet<String>,
) -> Vec<(String, Settling)> {
    let mut urls = Vec::new();
    if detail.state != PrState::Open {
        return urls;
    }
    if detail.mergeable == Mergeable::Unknown || detail.merge_state == MergeStateStatus::Unknown {
        urls.push((routes::pull(repo, number), Settling::Mergeability));
    }
    if detail.checks_pending() {
        let sha = detail.head_sha.as_str();
        if status_heads.contains(sha) {
            urls.push((routes::combined_status(repo, sha), Settling::CombinedStatus));
        } else {
            urls.push((routes::check_runs(repo, sha), Settling::CheckRuns));
        }
    }
    urls
}

fn decode_list<T: DeserializeOwned>(body: &[u8]) -> Result<Vec<T>, ForgeError> {
    decode_one(body)
}

fn decode_one<T: DeserializeOwned>(body: &[u8]) -> Result<T, ForgeError> {
    serde_json::from_slice(body).map_err(|e| {
        ForgeError::new(
            "poll",
            FailureClass::Transient,
            format!("malformed response: {:?} at column {}", e.classify(), e.column()),
        )
    })
}

fn signals_of(repo: &RepoSlug, state: &mut RepoState, epics: &EpicIndex<'_>) -> Vec<PipelineSignal> {
    let mut signals = Vec::new();
    let mut done = Vec::new();
    let mut unknown = Vec::new();
    for (number, detail) in &state.details {
        let pr_signals = detail.signals(repo, *number, epics);
        if detail.is_finished(&pr_signals) {
            done.push(*number);
        } else if detail.state == PrState::Merged
            && pr_signals.iter().any(|s| s.in_epic() && !s.child_open && s.epic_open_children.is_none())
        {
            // Its epic's other children were never read: read them with the PR next cycle.
            unknown.push(*number);
        }
        if detail.state != PrState::Closed {
            signals.extend(pr_signals);
        }
    }
    for number in done {
        state.details.remove(&number);
        state.finished.insert(number);
    }
    state.forced.extend(unknown);
    signals
}

#[async_trait]
impl JobSource for GitHubSource {
    fn name(&self) -> &'static str {
        "github"
    }

    /// One cycle: detect changes per repository (bounded concurrency), read the changed PRs,
    /// and return a signal for every PR still in the flow.
    async fn poll(&self) -> Result<Vec<PipelineSignal>, ForgeError> {
        let concurrency = self.client.config().repo_concurrency.max(1);
        let polled: Vec<usize> = self.polled_indices().into_iter().filter(|i| self.due(*i)).collect();
        let detections: Vec<_> =
            polled.iter().map(|index| async move { (*index, self.detect_repo(*index).await) }).collect();
        let results: Vec<_> = stream::iter(detections).buffer_unordered(concurrency).collect().await;
        let mut wanted = Vec::new();
        for (index, result) in results {
            match result {
                Ok((_, numbers)) => {
                    self.mark_healthy(index);
                    if !numbers.is_empty() {
                        wanted.push((index, numbers));
                    }
                }
                // A bad token or an exhausted budget is everyone's problem: stop the poll.
                Err(error)
                    if matches!(error.class, FailureClass::Auth | FailureClass::RateLimited { .. }) =>
                {
                    return Err(error);
                }
                Err(error) => self.mark_unhealthy(index, &error),
            }
        }
        wanted.sort_by_key(|(index, _)| *index);
        self.read_states(wanted).await?;
        self.read_thread_pages().await?;
        let epics = self.all_epics().await;
        let child_open = self.child_states().await;
        let index_of_epics = EpicIndex { epics: &epics, child_open: &child_open };
        let mut signals = Vec::new();
        for index in polled {
            let (repo, state) = &self.repos[index];
            if self.unhealthy.lock().expect("unhealthy lock").contains_key(repo) {
                // What we remember of it may be stale: nothing is decided on it.
                continue;
            }
            signals.extend(signals_of(repo, &mut *state.lock().await, &index_of_epics));
        }
        self.save().await?;
        Ok(signals)
    }

    fn restrict(&self, repos: Option<&[RepoSlug]>) {
        let next: Option<BTreeSet<RepoSlug>> = repos.map(|r| r.iter().cloned().collect());
        let mut active = self.active.write().expect("active lock");
        if let (Some(before), Some(after)) = (active.as_ref(), next.as_ref()) {
            // Polled by another node meanwhile: start again from its snapshot in the cache.
            self.regained.lock().expect("regained lock").extend(after.difference(before).cloned());
        }
        *active = next;
    }

    fn budget(&self) -> Option<BudgetReading> {
        let rate = self.client.rate_limit();
        let points_left = match (rate.core_remaining, rate.graphql_remaining) {
            (Some(core), Some(graphql)) => Some(core.min(graphql)),
            (core, graphql) => core.or(graphql),
        };
        Some(BudgetReading { points_spent: self.client.points_spent(), points_left })
    }

    fn covers(&self, repo: &RepoSlug) -> bool {
        self.repos.iter().any(|(configured, _)| configured == repo)
    }

    fn unhealthy_repos(&self) -> Vec<UnhealthyRepo> {
        self.unhealthy()
            .into_iter()
            .map(|(repo, u)| UnhealthyRepo { repo, class: u.class, failures: u.failures, since: u.since })
            .collect()
    }

    async fn report(&self, signal: &PipelineSignal, _result: &ActionResult) -> Result<(), ForgeError> {
        // Our own mutation may not move anything the conditional requests watch (a resolved
        // thread bumps nothing): read the PR again next cycle.
        self.recheck(&signal.repo(), signal.pr_number).await;
        Ok(())
    }

    async fn recheck(&self, repo: &RepoSlug, pr: u64) {
        if let Some((_, state)) = self.repos.iter().find(|(r, _)| r == repo) {
            state.lock().await.forced.insert(pr);
        }
        // Saved now, not at the next poll: a node stopped after this cycle (`--once`, a
        // restart, an update) must still read the PR again, or what only that read shows (a
        // child closed by the action, and with it `close_epic`'s turn) would never be seen.
        if let Err(error) = self.save().await {
            tracing::warn!(error = %error, repo = %repo, pr, "re-read of the PR not saved: read again only after its next change");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_fill_up_to_the_query_limit_across_repos() {
        let wanted = vec![(0, (1..=60).collect()), (1, (1..=60).collect()), (2, vec![5])];
        let sizes: Vec<Vec<usize>> =
            batches(wanted).iter().map(|b| b.iter().map(|(_, n)| n.len()).collect()).collect();
        assert_eq!(sizes, vec![vec![60, 40], vec![20, 1]]);
    }

    #[test]
    fn a_large_repo_is_split_across_batches() {
        let sizes: Vec<usize> =
            batches(vec![(0, (1..=250).collect())]).iter().map(|b| b[0].1.len()).collect();
        assert_eq!(sizes, vec![100, 100, 50]);
    }
}
