//! PostgreSQL URLs as the store shows them: never with their password.
//!
//! A URL can carry a password in two places, `postgres://user:PASSWORD@host/db` and
//! `...?password=PASSWORD`; [`redact`] replaces both with `***` and is the only form of a URL an
//! error or a log line ever holds. Messages that come back from sqlx are [`scrub`]bed of the
//! password too, raw and percent-decoded, in case a driver ever echoes it.

use std::error::Error;
use std::fmt;

use crate::DatabaseCause;

/// What a password is replaced with.
const MASK: &str = "***";

/// `url` with its password, if any, replaced by `***`. Text that is not a URL is returned with
/// any `password=...` in it masked the same way.
pub(crate) fn redact(url: &str) -> String {
    let masked = match user_password(url) {
        Some((start, end)) => format!("{}{MASK}{}", &url[..start], &url[end..]),
        None => url.to_owned(),
    };
    mask_password_parameters(&masked)
}

/// The password of `url` as written and percent-decoded, and every `password=` value: the
/// strings that must not appear in any message.
pub(crate) fn secrets(url: &str) -> Vec<String> {
    let mut found = Vec::new();
    if let Some((start, end)) = user_password(url) {
        found.push(url[start..end].to_owned());
    }
    found.extend(password_parameters(url).map(|(start, end)| url[start..end].to_owned()));
    let decoded: Vec<String> = found.iter().map(|secret| percent_decode(secret)).collect();
    found.extend(decoded);
    found.retain(|secret| !secret.is_empty() && secret != MASK);
    found.sort();
    found.dedup();
    found
}

/// `message` with every secret replaced by `***`.
pub(crate) fn scrub(message: &str, secrets: &[String]) -> String {
    // Longest first, so a secret that contains another is masked whole.
    let mut ordered: Vec<&String> = secrets.iter().collect();
    ordered.sort_by_key(|secret| std::cmp::Reverse(secret.len()));
    ordered.iter().fold(message.to_owned(), |message, secret| message.replace(secret.as_str(), MASK))
}

/// `error` as an error cause, replaced by its scrubbed text when its message or its debug form
/// holds a secret.
pub(crate) fn scrubbed(error: sqlx::Error, secrets: &[String]) -> DatabaseCause {
    let text = error.to_string();
    let debug = format!("{error:?}");
    if secrets.iter().any(|secret| text.contains(secret.as_str()) || debug.contains(secret.as_str())) {
        Box::new(Scrubbed(scrub(&text, secrets)))
    } else {
        Box::new(error)
    }
}

/// An error message with the password taken out.
#[derive(Debug)]
struct Scrubbed(String);

impl fmt::Display for Scrubbed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for Scrubbed {}

/// `url` naming database `database` instead of its own (the path after the host), keeping
/// everything else: used by the test helper to derive one URL per test database.
#[cfg(any(test, feature = "test-support"))]
pub(crate) fn with_database(url: &str, database: &str) -> String {
    let Some(authority) = url.find("://").map(|at| at + 3) else {
        return format!("{url}/{database}");
    };
    let rest = &url[authority..];
    let host_end = authority + rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let tail = &url[host_end..];
    let path_end = tail.find(['?', '#']).unwrap_or(tail.len());
    format!("{}/{database}{}", &url[..host_end], &tail[path_end..])
}

/// Byte range of the password in `scheme://user:password@host...`.
fn user_password(url: &str) -> Option<(usize, usize)> {
    let authority = url.find("://")? + 3;
    let rest = &url[authority..];
    let end = authority + rest.find(['/', '?', '#']).unwrap_or(rest.len());
    // The last `@` ends the user info: an unencoded `@` in a password comes before it.
    let at = authority + url[authority..end].rfind('@')?;
    let colon = authority + url[authority..at].find(':')?;
    Some((colon + 1, at))
}

/// Byte ranges of the values of `password=` parameters (query string or key/value form).
fn password_parameters(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let lower = text.to_ascii_lowercase();
    let starts: Vec<usize> = lower
        .match_indices("password=")
        .filter(|(at, _)| *at == 0 || matches!(text.as_bytes()[at - 1], b'?' | b'&' | b' ' | b';'))
        .map(|(at, key)| at + key.len())
        .collect();
    starts.into_iter().map(move |start| {
        let end = start + text[start..].find(['&', ' ', '#', ';']).unwrap_or(text.len() - start);
        (start, end)
    })
}

fn mask_password_parameters(text: &str) -> String {
    let mut masked = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in password_parameters(text) {
        masked.push_str(&text[copied..start]);
        masked.push_str(MASK);
        copied = end;
    }
    masked.push_str(&text[copied..]);
    masked
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes.get(at + 1..at + 3).and_then(|pair| std::str::from_utf8(pair).ok());
        match (bytes[at], hex.and_then(|pair| u8::from_str_radix(pair, 16).ok())) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                at += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_of_the_user_info_is_masked() {
        assert_eq!(
            redact("postgres://core:s3cret@db.internal:5432/fleet"),
            "postgres://core:***@db.internal:5432/fleet"
        );
        assert_eq!(
            redact("postgresql://core:p@ss@db/fleet?sslmode=disable"),
            "postgresql://core:***@db/fleet?sslmode=disable"
        );
        assert_eq!(
            redact("postgres://core@127.0.0.1/fleet"),
            "postgres://core@127.0.0.1/fleet",
            "no password"
        );
        assert_eq!(redact("postgres://127.0.0.1:5432"), "postgres://127.0.0.1:5432");
    }

    #[test]
    fn password_parameters_are_masked() {
        assert_eq!(
            redact("postgres://core@db/fleet?application_name=x&password=s3cret&sslmode=disable"),
            "postgres://core@db/fleet?application_name=x&password=***&sslmode=disable"
        );
        assert_eq!(redact("postgres://db/fleet?PASSWORD=s3cret"), "postgres://db/fleet?PASSWORD=***");
        assert_eq!(redact("host=db password=s3cret user=core"), "host=db password=*** user=core");
        assert_eq!(redact("postgres://db/fleet?oldpassword=keep"), "postgres://db/fleet?oldpassword=keep");
    }

    #[test]
    fn secrets_include_the_decoded_password() {
        let url = "postgres://core:p%40ss%2Fw0rd@db/fleet?password=other";
        assert_eq!(secrets(url), ["other", "p%40ss%2Fw0rd", "p@ss/w0rd"]);
        assert!(secrets("postgres://core@db/fleet").is_empty());
        let message = "auth failed for p@ss/w0rd (p%40ss%2Fw0rd)";
        assert_eq!(scrub(message, &secrets(url)), "auth failed for *** (***)");
    }

    #[test]
    fn a_url_names_another_database_keeping_the_rest() {
        assert_eq!(with_database("postgres://u:p@h:5432/postgres", "t1"), "postgres://u:p@h:5432/t1");
        assert_eq!(with_database("postgres://u@h:5432", "t1"), "postgres://u@h:5432/t1");
        assert_eq!(
            with_database("postgres://u@h/postgres?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}
