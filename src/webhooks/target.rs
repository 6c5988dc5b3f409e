//! Where deliveries may go (SSRF defence). A receiver's address is checked
//! twice: the literal address of its URL when it is registered, and every
//! address its host name resolves to when a delivery is sent. The resolver
//! below is the one the HTTP client connects with, so the address that was
//! checked is the address that is connected to (a DNS answer that changes
//! between the check and the connect, "DNS rebinding", cannot slip through).
//!
//! Classes: public addresses are always allowed; loopback, RFC 1918,
//! CGNAT (100.64/10) and unique-local (fc00::/7) addresses only with
//! `BELPORTAL_WEBHOOK_ALLOW_PRIVATE=true`; link-local (the cloud metadata
//! service lives there), unspecified, multicast, broadcast, reserved and
//! documentation ranges never. IPv6 forms that embed an IPv4 address
//! (mapped, compatible, NAT64, 6to4) are judged by that address.

use std::error::Error as StdError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use futures_util::future::LocalBoxFuture;

/// How the webhook rules see an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Public,
    /// Loopback and private ranges: allowed with `BELPORTAL_WEBHOOK_ALLOW_PRIVATE`.
    Private,
    /// Never a receiver.
    Reserved,
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() || ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        return Class::Private;
    }
    let reserved = a == 0 // "this network", 0.0.0.0 included
        || ip.is_link_local()
        || ip.is_multicast()
        || a >= 240 // reserved, 255.255.255.255 included
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || (a == 198 && (b & 0xfe) == 18); // benchmarking 198.18/15
    if reserved {
        Class::Reserved
    } else {
        Class::Public
    }
}

/// The IPv4 address an IPv6 address stands for, if it embeds one.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated)
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] => Some(low),
        // 64:ff9b::/96 (NAT64)
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        // 2002:aabb:ccdd::/48 (6to4)
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    if ip.is_loopback() {
        return Class::Private;
    }
    if ip.is_unspecified() {
        return Class::Reserved;
    }
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let s0 = ip.segments()[0];
    if (s0 & 0xfe00) == 0xfc00 {
        return Class::Private; // unique local fc00::/7
    }
    let reserved = (s0 & 0xffc0) == 0xfe80 // link-local
        || (s0 & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s0 & 0xff00) == 0xff00 // multicast
        || (s0 == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (s0 == 0x2001 && ip.segments()[1] == 0) // Teredo: hides an IPv4 address
        || (s0 == 0x0100 && ip.segments()[1..4] == [0, 0, 0]); // discard-only
    if reserved {
        Class::Reserved
    } else {
        Class::Public
    }
}

pub fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

/// Whether a delivery may connect to `ip`.
pub fn allowed(ip: IpAddr, allow_private: bool) -> bool {
    match classify(ip) {
        Class::Public => true,
        Class::Private => allow_private,
        Class::Reserved => false,
    }
}

/// `localhost` and `*.localhost` always mean loopback (RFC 6761).
fn is_localhost_name(host: &str) -> bool {
    let h = host.trim_end_matches('.').to_ascii_lowercase();
    h == "localhost" || h.ends_with(".localhost")
}

/// Registration: Err with the reason when `url` (already known to be an
/// absolute http(s) URL) names an address no delivery may go to. Host names
/// are checked again, resolved, at every delivery.
pub fn check_url(url: &str, allow_private: bool) -> Result<(), &'static str> {
    let u = url::Url::parse(url).map_err(|_| "must be an absolute http or https URL")?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err("must be an absolute http or https URL");
    }
    let ip = match u.host() {
        None => return Err("must name a host"),
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(d)) if is_localhost_name(d) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(url::Host::Domain(_)) => return Ok(()),
    };
    match classify(ip) {
        Class::Public => Ok(()),
        Class::Private if allow_private => Ok(()),
        Class::Private => Err(
            "must not be a loopback or private address (BELPORTAL_WEBHOOK_ALLOW_PRIVATE is off)",
        ),
        Class::Reserved => {
            Err("must not be a link-local, multicast, broadcast, unspecified or reserved address")
        }
    }
}

/// The literal IP address of a URL's host, if it has one (such URLs bypass
/// name resolution, so the sender checks them itself).
pub fn literal_ip(url: &str) -> Option<IpAddr> {
    match url::Url::parse(url).ok()?.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// A delivery's target address is not allowed.
#[derive(Debug)]
pub struct Refused;

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the receiver's address is not allowed")
    }
}

impl StdError for Refused {}

/// The resolver deliveries connect with: resolves once, refuses the host if
/// any of its addresses is not allowed, and hands exactly the checked
/// addresses to the connector.
pub struct CheckingResolver {
    pub allow_private: bool,
}

impl actix_tls::connect::Resolve for CheckingResolver {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> LocalBoxFuture<'a, Result<Vec<SocketAddr>, Box<dyn StdError>>> {
        let allow = self.allow_private;
        let name = host.to_string();
        Box::pin(async move {
            if is_localhost_name(&name) && !allow {
                return Err(Box::new(Refused) as Box<dyn StdError>);
            }
            let addrs: Vec<SocketAddr> = actix_web::rt::task::spawn_blocking(move || {
                (name.as_str(), port)
                    .to_socket_addrs()
                    .map(|a| a.collect::<Vec<_>>())
            })
            .await??;
            if addrs.iter().any(|a| !allowed(a.ip(), allow)) {
                return Err(Box::new(Refused) as Box<dyn StdError>);
            }
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> Class {
        classify(s.parse().unwrap())
    }

    #[test]
    fn addresses_are_classified() {
        for p in ["8.8.8.8", "1.1.1.1", "2a00:1450:4001::1", "100.128.0.1"] {
            assert_eq!(class(p), Class::Public, "{p}");
        }
        for p in [
            "127.0.0.1",
            "127.8.9.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
        ] {
            assert_eq!(class(p), Class::Private, "{p}");
        }
        for p in [
            "0.0.0.0",
            "169.254.169.254",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "::",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:169.254.169.254",
            "2001::1",
        ] {
            assert_eq!(class(p), Class::Reserved, "{p}");
        }
    }

    #[test]
    fn registration_checks_literal_addresses_and_localhost() {
        assert!(check_url("https://example.org/hook", false).is_ok());
        assert!(check_url("http://93.184.216.34/x", false).is_ok());
        for bad in [
            "http://127.0.0.1:9000/x",
            "http://[::1]/",
            "http://localhost/",
            "http://api.localhost./",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://[::ffff:7f00:1]/",
            "http://169.254.169.254/latest/meta-data/",
            "ftp://example.org/",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
        assert!(check_url("http://127.0.0.1:9000/x", true).is_ok());
        assert!(check_url("http://169.254.169.254/", true).is_err());
    }
}
