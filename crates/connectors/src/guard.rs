//! The outbound URL guard (SSRF protection, DESIGN.md §6).
//!
//! Customer-supplied base URLs (and webhook URLs) must be https and resolve only to
//! public addresses. The guard checks a URL when it is saved (so a bad one is a 422)
//! and again at connect time through a DNS resolver that drops non-public addresses,
//! which also covers redirects and DNS rebinding. Hosts on the allow-list (for tests
//! and the demo, e.g. `127.0.0.1,localhost`) may use http and private addresses.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs},
    sync::Arc,
};

use url::Url;

/// Why a URL may not be called.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    #[error("URL is not valid: {0}")]
    Invalid(String),
    #[error("URL must use https (host `{0}` is not on the allow-list for plain http)")]
    NotHttps(String),
    #[error("host `{0}` resolves to a non-public address ({1}), which Tributary does not call")]
    NonPublic(String, IpAddr),
    #[error("host `{0}` could not be resolved")]
    Unresolvable(String),
}

/// How long saving a URL waits for its host name to resolve.
const SAVE_RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// A host as compared: lowercase, without brackets or a trailing dot.
fn normalize_host(host: &str) -> String {
    host.trim()
        .trim_matches(['[', ']'])
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// The allow-list and the checks.
#[derive(Debug, Clone, Default)]
pub struct UrlGuard {
    allowed: Arc<Vec<String>>,
}

impl UrlGuard {
    /// `allowed_hosts`: host names or IP literals (case-insensitive); `*` allows every host.
    pub fn new<I, S>(allowed_hosts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let allowed = allowed_hosts
            .into_iter()
            .map(|h| {
                h.as_ref()
                    .trim()
                    .trim_matches(['[', ']'])
                    .to_ascii_lowercase()
            })
            .filter(|h| !h.is_empty())
            .collect();
        UrlGuard {
            allowed: Arc::new(allowed),
        }
    }

    /// Parses the comma-separated form of `TRIBUTARY_ALLOW_VENDOR_HOSTS`.
    pub fn from_list(list: &str) -> Self {
        UrlGuard::new(list.split(','))
    }

    /// Host names compare case-insensitively and without a trailing dot (`LOCALHOST`,
    /// `localhost.` and `localhost` are one host).
    pub fn is_allowed_host(&self, host: &str) -> bool {
        let host = normalize_host(host);
        self.allowed
            .iter()
            .any(|a| a == "*" || normalize_host(a) == host)
    }

    pub fn allowed_hosts(&self) -> &[String] {
        &self.allowed
    }

    /// Checks scheme and host without DNS (cheap; used by request validation).
    pub fn check_static(&self, url: &str) -> Result<Url, GuardError> {
        let parsed = Url::parse(url).map_err(|e| GuardError::Invalid(e.to_string()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| GuardError::Invalid("no host".into()))?
            .to_owned();
        let allowed = self.is_allowed_host(&host);
        match parsed.scheme() {
            "https" => {}
            "http" if allowed => {}
            _ => return Err(GuardError::NotHttps(host)),
        }
        if !allowed {
            if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
                if !is_public(ip) {
                    return Err(GuardError::NonPublic(host, ip));
                }
            }
            // RFC 6761: `localhost` and every name under it are loopback, whatever DNS says.
            let name = normalize_host(&host);
            if name == "localhost" || name.ends_with(".localhost") {
                return Err(GuardError::NonPublic(host, Ipv4Addr::LOCALHOST.into()));
            }
        }
        Ok(parsed)
    }

    /// The published shape of a saved URL ([`crate::url_shape`]): https, a host name, a
    /// plain path (and for webhooks a query). Hosts on the allow-list are exempt (tests
    /// and the demo use `http://127.0.0.1:port`). `raw` is checked as sent, untrimmed.
    pub fn check_shape(&self, raw: &str, allow_query: bool) -> Result<(), GuardError> {
        let host = Url::parse(raw.trim())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        if host.is_some_and(|h| self.is_allowed_host(&h)) {
            return Ok(());
        }
        crate::url_shape::check(raw, allow_query).map_err(GuardError::Invalid)
    }

    /// The check made when a URL is saved: the static rules, then the host's addresses,
    /// which must all be public (names in `/etc/hosts` included). A name that does not
    /// resolve within `SAVE_RESOLVE_TIMEOUT` passes: the customer may save it before
    /// their DNS is live, and every connection checks it again.
    pub async fn check_on_save(&self, url: &str) -> Result<Url, GuardError> {
        let parsed = self.check_static(url)?;
        let host = parsed.host_str().unwrap_or_default().to_owned();
        if self.is_allowed_host(&host) {
            return Ok(parsed);
        }
        let port = parsed.port_or_known_default().unwrap_or(443);
        match tokio::time::timeout(SAVE_RESOLVE_TIMEOUT, resolve(&host, port)).await {
            Ok(Ok(addrs)) => match addrs.iter().map(SocketAddr::ip).find(|ip| !is_public(*ip)) {
                Some(bad) => Err(GuardError::NonPublic(host, bad)),
                None => Ok(parsed),
            },
            Ok(Err(_)) | Err(_) => Ok(parsed),
        }
    }

    /// Full check: static rules, then every address the host resolves to must be public.
    pub async fn check(&self, url: &str) -> Result<Url, GuardError> {
        let parsed = self.check_static(url)?;
        let host = parsed.host_str().unwrap_or_default().to_owned();
        if self.is_allowed_host(&host) {
            return Ok(parsed);
        }
        let port = parsed.port_or_known_default().unwrap_or(443);
        let addrs = resolve(&host, port).await?;
        if let Some(bad) = addrs.iter().map(SocketAddr::ip).find(|ip| !is_public(*ip)) {
            return Err(GuardError::NonPublic(host, bad));
        }
        Ok(parsed)
    }

    /// A DNS resolver for reqwest that applies the guard at connect time.
    pub fn resolver(&self) -> Arc<GuardedResolver> {
        Arc::new(GuardedResolver {
            guard: self.clone(),
        })
    }
}

async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, GuardError> {
    let target = format!("{}:{port}", host.trim_matches(['[', ']']));
    let h = host.to_owned();
    tokio::task::spawn_blocking(move || target.to_socket_addrs().map(Iterator::collect::<Vec<_>>))
        .await
        .map_err(|_| GuardError::Unresolvable(h.clone()))?
        .map_err(|_| GuardError::Unresolvable(h.clone()))
        .and_then(|a: Vec<SocketAddr>| {
            if a.is_empty() {
                Err(GuardError::Unresolvable(h))
            } else {
                Ok(a)
            }
        })
}

/// Resolves names for outbound vendor and webhook calls, refusing non-public addresses
/// for hosts that are not allow-listed.
#[derive(Debug)]
pub struct GuardedResolver {
    guard: UrlGuard,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.guard.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Boxed once, as `dyn Error`, so the HTTP layer can downcast the refusal
            // (boxing a `Box<GuardError>` again would hide it).
            let boxed = |e: GuardError| Box::new(e) as Box<dyn std::error::Error + Send + Sync>;
            let addrs = resolve(&host, 0).await.map_err(boxed)?;
            if !guard.is_allowed_host(&host) {
                if let Some(bad) = addrs.iter().map(SocketAddr::ip).find(|ip| !is_public(*ip)) {
                    return Err(boxed(GuardError::NonPublic(host, bad)));
                }
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// True for globally routable unicast addresses.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // includes 169.254.169.254, the cloud metadata service
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast (deprecated)
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // IPv4-translated (::ffff:0:a.b.c.d, RFC 2765) carries an IPv4 address too.
    if s[..4] == [0, 0, 0, 0] && s[4] == 0xffff && s[5] == 0 {
        return is_public_v4(Ipv4Addr::from(((s[6] as u32) << 16) | s[7] as u32));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x3fff && s[1] < 0x1000) // documentation (3fff::/20)
        || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64: could reach private IPv4
        || s[0] == 0x2002 // 6to4: tunnels to an embedded IPv4 address
        || (s[0] == 0x2001 && s[1] < 0x0200) // 2001::/23 IETF special purpose: Teredo
        // (2001::/32), benchmarking (2001:2::/48), ORCHID (2001:10::/28, 2001:20::/28) …
        || (s[0] == 0x0100 && s[1..4] == [0, 0, 0]) // discard-only (100::/64)
        || s[0] == 0x5f00 // SRv6 segment identifiers
        || s[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_addresses() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "198.18.0.1",
            "192.88.99.1",
            "::ffff:0:7f00:1",
            "2002:7f00:1::1",
            "2002:808:808::1",
            "2001:0:7f00:1::1",
            "100::1",
            "2001:2::1",
            "2001:10::1",
            "2001:20::1",
            "3fff::1",
            "::7f00:1",
        ] {
            assert!(
                !is_public(private.parse().unwrap()),
                "{private} should be blocked"
            );
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "::ffff:0:808:808",
            "2a00:1450:4001::1",
            "2001:4860:4860::8888",
        ] {
            assert!(
                is_public(public.parse().unwrap()),
                "{public} should be allowed"
            );
        }
    }

    #[test]
    fn static_rules() {
        let g = UrlGuard::from_list("127.0.0.1, localhost");
        assert!(g.check_static("http://127.0.0.1:9000").is_ok());
        assert!(g.check_static("http://localhost:9000").is_ok());
        assert!(matches!(
            g.check_static("http://example.com"),
            Err(GuardError::NotHttps(_))
        ));
        assert!(matches!(
            g.check_static("https://10.0.0.1"),
            Err(GuardError::NonPublic(..))
        ));
        assert!(matches!(
            g.check_static("https://[::1]:8443"),
            Err(GuardError::NonPublic(..))
        ));
        assert!(g.check_static("https://api.crowdstrike.com").is_ok());
        let strict = UrlGuard::default();
        assert!(strict.check_static("http://127.0.0.1:9000").is_err());
        assert!(UrlGuard::from_list("*")
            .check_static("http://10.0.0.1")
            .is_ok());
    }

    #[tokio::test]
    async fn resolution_is_checked() {
        let g = UrlGuard::default();
        let err = g.check("https://localhost:8443").await.unwrap_err();
        assert!(matches!(err, GuardError::NonPublic(..)), "{err}");
        for url in [
            "https://LOCALHOST",
            "https://localhost.",
            "https://api.localhost",
        ] {
            let err = g.check_on_save(url).await.unwrap_err();
            assert!(matches!(err, GuardError::NonPublic(..)), "{url}: {err}");
        }
        assert!(UrlGuard::from_list("localhost")
            .check_on_save("http://LOCALHOST.:1")
            .await
            .is_ok());
        assert!(UrlGuard::from_list("localhost")
            .check("http://localhost:1")
            .await
            .is_ok());
    }
}
