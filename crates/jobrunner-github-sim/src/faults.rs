//! Fault injection: make a chosen request, or a deterministic share of requests, fail the way
//! GitHub and networks fail.
//!
//! Rules are checked in the order they were injected; each counts the requests it matches, and
//! the first rule whose trigger fires on a request decides its fault (later rules do not see
//! that request). Rates are seeded, so a run with the same requests faults the same ones.

use std::time::Duration;

use http::Method;

/// Which requests a rule looks at. `None` parts match anything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestMatcher {
    /// HTTP method, e.g. `GET`.
    pub method: Option<Method>,
    /// A route template such as `/repos/{owner}/{repo}/pulls` (matched exactly against the
    /// route's template, when the pattern contains `{`), or a path prefix such as
    /// `/repos/octo/app/pulls/10` or `/graphql`.
    pub path: Option<String>,
}

impl RequestMatcher {
    /// Every request.
    #[must_use]
    pub fn any() -> Self {
        Self::default()
    }

    /// Requests with `method` whose path matches `path` (template or prefix).
    #[must_use]
    pub fn new(method: Method, path: &str) -> Self {
        Self { method: Some(method), path: Some(path.to_owned()) }
    }

    /// Requests of any method whose path matches `path` (template or prefix).
    #[must_use]
    pub fn path(path: &str) -> Self {
        Self { method: None, path: Some(path.to_owned()) }
    }

    pub(crate) fn matches(&self, request: &RequestInfo<'_>) -> bool {
        let method_ok = self.method.as_ref().is_none_or(|m| m == request.method);
        let path_ok = self.path.as_deref().is_none_or(|pattern| {
            if pattern.contains('{') {
                request.template == Some(pattern)
            } else {
                request.path.starts_with(pattern)
            }
        });
        method_ok && path_ok
    }
}

/// When a rule fires among the requests it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The first matching request, then never again.
    Once,
    /// Only the n-th matching request (1-based).
    Nth(u64),
    /// Every n-th matching request (the n-th, 2n-th, …).
    EveryNth(u64),
    /// Each matching request with probability `per_mille / 1000`, drawn from `seed`
    /// deterministically.
    Rate {
        /// Chance per thousand.
        per_mille: u16,
        /// Seed of the draw.
        seed: u64,
    },
}

/// What happens to a request a rule fires on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this 5xx status and GitHub's error JSON, without doing the request.
    ServerError(u16),
    /// Hold the answer back this long before serving normally (a client with a shorter timeout
    /// times out).
    Delay(Duration),
    /// Drop the connection without an answer (the client sees a reset / incomplete message).
    ConnectionReset,
    /// Answer as a secondary rate limit would, without doing the request.
    SecondaryLimit {
        /// Value of the `retry-after` header.
        retry_after_secs: u64,
        /// 403 or 429.
        status: u16,
    },
    /// Do the request, then serve a 200 whose body is truncated JSON.
    MalformedJson,
    /// Do the request, then drop the connection instead of answering: the change happened but
    /// the client never hears of it (a connection lost after GitHub's `201`).
    AnswerLost,
    /// Do the request, then answer with this 5xx status: a proxy's `502` or a gateway timeout
    /// on a request GitHub did perform.
    ServerErrorAfterEffect(u16),
    /// Do the request, serving every pull request's mergeability as unknown (REST
    /// `mergeable: null`, GraphQL `UNKNOWN`) without using up the PR's pending unknown reads.
    MergeableNull,
    /// Answer a GraphQL request with the primary rate limit in the form GitHub has also been
    /// seen to send besides its documented `RATE_LIMITED`: HTTP 200, `{"errors": [{"type":
    /// "RATE_LIMIT", "code": "graphql_rate_limit", "message": …}]}`, and
    /// `x-ratelimit-remaining: 0` (yanyongyu/githubkit#271, octokit/plugin-throttling.js#848).
    GraphqlRateLimitVariant,
}

/// A fault rule: which requests, when, and what goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    /// Which requests the rule looks at.
    pub matcher: RequestMatcher,
    /// When it fires among them.
    pub trigger: Trigger,
    /// What happens then.
    pub fault: Fault,
}

impl FaultRule {
    /// A rule from its three parts.
    #[must_use]
    pub fn new(matcher: RequestMatcher, trigger: Trigger, fault: Fault) -> Self {
        Self { matcher, trigger, fault }
    }

    /// `fault` on the next request with `method` on `path` (template or prefix).
    #[must_use]
    pub fn once(method: Method, path: &str, fault: Fault) -> Self {
        Self::new(RequestMatcher::new(method, path), Trigger::Once, fault)
    }
}

/// The parts of a request a matcher looks at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestInfo<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) template: Option<&'a str>,
}

#[derive(Debug)]
struct ArmedRule {
    rule: FaultRule,
    seen: u64,
    spent: bool,
}

impl ArmedRule {
    fn fires(&mut self) -> bool {
        self.rule.trigger.fires(&mut self.seen, &mut self.spent)
    }
}

impl Trigger {
    /// Counts one more matching request in `seen` and says whether the trigger fires on it
    /// (`spent` remembers that a `Once` fired).
    pub(crate) fn fires(self, seen: &mut u64, spent: &mut bool) -> bool {
        *seen += 1;
        match self {
            Self::Once => !std::mem::replace(spent, true),
            Self::Nth(n) => *seen == n,
            Self::EveryNth(n) => n > 0 && seen.is_multiple_of(n),
            Self::Rate { per_mille, seed } => draw(seed, *seen) % 1000 < u64::from(per_mille),
        }
    }
}

/// The injected rules and their counts.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    rules: Vec<ArmedRule>,
}

impl FaultBook {
    pub(crate) fn inject(&mut self, rule: FaultRule) {
        self.rules.push(ArmedRule { rule, seen: 0, spent: false });
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// The fault for this request, if a rule fires on it.
    pub(crate) fn pick(&mut self, request: &RequestInfo<'_>) -> Option<Fault> {
        self.rules.iter_mut().filter(|armed| armed.rule.matcher.matches(request)).find_map(|armed| {
            let fault = armed.rule.fault;
            armed.fires().then_some(fault)
        })
    }
}

/// A deterministic pseudo-random number for the `n`-th draw of `seed` (`SplitMix64`).
fn draw(seed: u64, n: u64) -> u64 {
    let mut z = seed.wrapping_add(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> RequestInfo<'_> {
        RequestInfo { method: &Method::GET, path, template: Some("/repos/{owner}/{repo}/pulls") }
    }

    fn fired(book: &mut FaultBook, n: usize) -> Vec<bool> {
        (0..n).map(|_| book.pick(&get("/repos/octo/app/pulls")).is_some()).collect()
    }

    #[test]
    fn once_fires_on_the_first_match_only() {
        let mut book = FaultBook::default();
        book.inject(FaultRule::once(Method::GET, "/repos/octo/app/pulls", Fault::ServerError(502)));
        assert_eq!(fired(&mut book, 3), [true, false, false]);
    }

    #[test]
    fn nth_and_every_nth_count_matching_requests() {
        let mut book = FaultBook::default();
        book.inject(FaultRule::new(RequestMatcher::any(), Trigger::Nth(2), Fault::MalformedJson));
        assert_eq!(fired(&mut book, 4), [false, true, false, false]);
        let mut book = FaultBook::default();
        book.inject(FaultRule::new(RequestMatcher::any(), Trigger::EveryNth(2), Fault::MalformedJson));
        assert_eq!(fired(&mut book, 4), [false, true, false, true]);
    }

    #[test]
    fn templates_match_exactly_and_paths_by_prefix() {
        let template = RequestMatcher::new(Method::GET, "/repos/{owner}/{repo}/pulls");
        let prefix = RequestMatcher::path("/repos/octo");
        let other = RequestMatcher::new(Method::POST, "/repos/octo");
        assert!(template.matches(&get("/repos/a/b/pulls")));
        assert!(prefix.matches(&get("/repos/octo/app/pulls")));
        assert!(!prefix.matches(&get("/repos/other/app/pulls")));
        assert!(!other.matches(&get("/repos/octo/app/pulls")));
    }

    #[test]
    fn rate_is_deterministic_for_a_seed_and_near_its_share() {
        let rule = || {
            FaultRule::new(
                RequestMatcher::any(),
                Trigger::Rate { per_mille: 250, seed: 7 },
                Fault::ConnectionReset,
            )
        };
        let (mut a, mut b) = (FaultBook::default(), FaultBook::default());
        a.inject(rule());
        b.inject(rule());
        let (fa, fb) = (fired(&mut a, 2000), fired(&mut b, 2000));
        assert_eq!(fa, fb);
        let share = fa.iter().filter(|f| **f).count();
        assert!((400..600).contains(&share), "{share} of 2000");
    }
}
