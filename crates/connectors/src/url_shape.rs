//! The shape of a customer-supplied URL, as the OpenAPI document publishes it: `https://`,
//! a host name (labels of letters, digits and hyphens; the last one starting with a
//! letter: no address literals), an optional port, a path of URL-safe characters and,
//! for webhooks, a query. Nothing else: no user information, fragment, spaces or
//! surrounding blanks. [`PATTERN`] and [`WEBHOOK_PATTERN`] say the same in JSON Schema
//! (a unit test checks them against this code).

const HOST: &str =
    r"([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const PORT: &str =
    r"(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?";
const PATH: &str = r"(/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?";
const QUERY: &str = r"(\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?";

/// A vendor base URL.
pub fn pattern() -> String {
    format!("^https://{HOST}{PORT}{PATH}$")
}

/// A webhook URL (a query is allowed).
pub fn webhook_pattern() -> String {
    format!("^https://{HOST}{PORT}{PATH}{QUERY}$")
}

const PCHAR: &str = "._~!$&'()*+,;=:@%/-";

fn label_ok(label: &str) -> bool {
    let b = label.as_bytes();
    (1..=63).contains(&b.len())
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn port_ok(port: &str) -> bool {
    !port.is_empty()
        && port.len() <= 5
        && !port.starts_with('0')
        && port.bytes().all(|c| c.is_ascii_digit())
        && port.parse::<u32>().is_ok_and(|p| p <= 65_535)
}

/// Checks `raw` (untrimmed) against the published shape; the error says what is wrong.
pub fn check(raw: &str, allow_query: bool) -> Result<(), String> {
    let rest = raw
        .strip_prefix("https://")
        .ok_or("URL should start with https://")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    let labels: Vec<&str> = host.split('.').collect();
    let last_ok = labels
        .last()
        .is_some_and(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()));
    if labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) || !last_ok {
        return Err("URL should name its host (like api.example.com), not an address".into());
    }
    if port.is_some_and(|p| !port_ok(p)) {
        return Err("URL port should be 1–65535".into());
    }
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    let plain = |s: &str, extra: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || PCHAR.contains(c) || extra.contains(c))
    };
    if !plain(path, "") {
        return Err("URL path should hold only URL-safe characters".into());
    }
    match query {
        Some(_) if !allow_query => Err("URL should not have a query".into()),
        Some(q) if !plain(q, "?") => Err("URL query should hold only URL-safe characters".into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_and_the_published_patterns_agree() {
        let base = regex::Regex::new(&pattern()).unwrap();
        let hook = regex::Regex::new(&webhook_pattern()).unwrap();
        let samples = [
            "https://api.crowdstrike.com",
            "https://usea1-acme.sentinelone.net/",
            "https://a.b:443/web/api/v2.1",
            "https://a.b:65535/x",
            "https://a.b:65536",
            "https://a.b:0",
            "https://a.b:08",
            "https://U.zQEPr.1.f.nCUKfm0J0fIG.4WF7.aCG6.W7006j0-D5:65235/0z/0/0f/0CUKfm0J0fI*",
            "https://a.b/x y",
            " https://a.b",
            "https://a.b ",
            "http://a.b",
            "HTTPS://a.b",
            "https://8.8.8.8",
            "https://[::1]",
            "https://localhost",
            "https://a.1b",
            "https://-a.b",
            "https://a-.b",
            "https://a..b",
            "https://a.b?x=1",
            "https://a.b/p?x=1&y=2",
            "https://a.b#f",
            "https://u:p@a.b",
            "https://a.b/ü",
            "https://a_b.c",
        ];
        for s in samples {
            assert_eq!(check(s, false).is_ok(), base.is_match(s), "base: {s:?}");
            assert_eq!(check(s, true).is_ok(), hook.is_match(s), "webhook: {s:?}");
        }
    }
}
