//! Keeps webhooks off internal networks: URLs must be http(s), and a host that is,
//! or resolves to, a loopback, private or link-local address is refused, when the
//! webhook is saved and again at every delivery, after DNS resolution (the address
//! checked is the address connected to).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

use crate::catalog::validate::MAX_URL;
use crate::error::{Error, Result};

/// How long saving a webhook waits for DNS.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// A delivery refused because the host is (or resolves to) a non-public address.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {ip}, a {class} address; such targets are refused (PREMIERE_WEBHOOK_ALLOW_PRIVATE)")]
pub struct Refused {
    pub host: String,
    pub ip: IpAddr,
    pub class: &'static str,
}

/// What kind of non-public address `ip` is, or None for a public one.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return non_public_v4(v4);
            }
            let segments = v6.segments();
            // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let o = v6.octets();
                return non_public_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
            }
            non_public_v6(v6)
        }
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        // 100.64.0.0/10 is carrier-grade NAT: private to an operator's network.
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 0 || ip.is_broadcast() || ip.is_multicast() {
        Some("reserved")
    } else {
        None
    }
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_unique_local() || (first & 0xffc0) == 0xfec0 {
        // fc00::/7, and the deprecated site-local fec0::/10.
        Some("private")
    } else if ip.is_unicast_link_local() {
        Some("link-local")
    } else if ip.is_unspecified() || ip.is_multicast() {
        Some("reserved")
    } else {
        None
    }
}

/// Checks that `raw` is an absolute http:// or https:// URL with a host.
pub fn parse_url(field: &str, raw: &str) -> Result<Url> {
    let raw = raw.trim();
    let invalid = || Error::bad_input(field, "must be an absolute http:// or https:// URL");
    if raw.is_empty() || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    if raw.len() > MAX_URL {
        return Err(Error::bad_input(
            field,
            format!("must be at most {MAX_URL} characters"),
        ));
    }
    let url = Url::parse(raw).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(invalid());
    }
    Ok(url)
}

/// The address an IP-literal host names, if it is one.
fn literal(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

/// Refuses an IP-literal host that is not public (a name is checked when resolved).
pub fn check_literal(url: &Url) -> Result<(), Refused> {
    match literal(url) {
        Some(ip) => match non_public(ip) {
            Some(class) => Err(Refused {
                host: url.host_str().unwrap_or_default().to_string(),
                ip,
                class,
            }),
            None => Ok(()),
        },
        None => Ok(()),
    }
}

/// The check made when a webhook is saved: the literal address, or every address the
/// name resolves to now. A name that does not resolve is accepted (DNS may be down);
/// deliveries check again.
pub async fn check_target(field: &str, url: &Url) -> Result<()> {
    let refused = |r: Refused| Error::bad_input(field, r.to_string());
    check_literal(url).map_err(refused)?;
    let (Some(host), None) = (url.host_str(), literal(url)) else {
        return Ok(());
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let Ok(Ok(addrs)) =
        tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, port))).await
    else {
        return Ok(());
    };
    for addr in addrs {
        if let Some(class) = non_public(addr.ip()) {
            return Err(refused(Refused {
                host: host.to_string(),
                ip: addr.ip(),
                class,
            }));
        }
    }
    Ok(())
}

/// The HTTP client's resolver: the system's, refusing names that resolve to a
/// non-public address, so that the address checked is the address connected to.
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some((ip, class)) = addrs
                .iter()
                .find_map(|a| non_public(a.ip()).map(|class| (a.ip(), class)))
            {
                return Err(Box::new(Refused { host, ip, class }) as _);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(ip: &str) -> Option<&'static str> {
        non_public(ip.parse().expect("an address"))
    }

    #[test]
    fn classifies_addresses() {
        for (ip, expected) in [
            ("127.0.0.1", Some("loopback")),
            ("127.8.9.10", Some("loopback")),
            ("10.1.2.3", Some("private")),
            ("172.16.0.1", Some("private")),
            ("172.31.255.255", Some("private")),
            ("192.168.0.10", Some("private")),
            ("100.64.0.1", Some("private")),
            ("169.254.169.254", Some("link-local")),
            ("0.0.0.0", Some("reserved")),
            ("255.255.255.255", Some("reserved")),
            ("::1", Some("loopback")),
            ("fd00::1", Some("private")),
            ("fe80::1", Some("link-local")),
            ("::ffff:127.0.0.1", Some("loopback")),
            ("::ffff:10.0.0.1", Some("private")),
            ("64:ff9b::a9fe:a9fe", Some("link-local")),
            ("::", Some("reserved")),
            ("172.32.0.1", None),
            ("100.128.0.1", None),
            ("93.184.216.34", None),
            ("2606:2800:220:1:248:1893:25c8:1946", None),
        ] {
            assert_eq!(class(ip), expected, "{ip}");
        }
    }

    #[test]
    fn only_http_urls_with_a_host_are_accepted() {
        for ok in [
            "https://hooks.example/premiere",
            "http://127.0.0.1:8080/x?y=1",
        ] {
            assert!(parse_url("url", ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "example.com/hook",
            "https://",
            "http://exa mple.com/",
            "",
        ] {
            assert!(parse_url("url", bad).is_err(), "{bad}");
        }
    }
}
