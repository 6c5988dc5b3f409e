//! Client addresses behind reverse proxies: CIDR blocks (`BELPORTAL_TRUSTED_PROXIES`)
//! and the right-to-left walk through `Forwarded` / `X-Forwarded-For` hops. Pure
//! logic (no actix): `http::edge` feeds it the peer address and the headers.

use std::net::{IpAddr, Ipv6Addr};

/// An address block such as `10.0.0.0/8` or `2001:db8::/32` (a bare address is
/// one host); containment is `ipnet`'s, after IPv4-mapped peers are unmapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr(ipnet::IpNet);

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr.trim().parse().ok()?;
        let prefix = match prefix {
            Some(p) => p.trim().parse::<u8>().ok()?,
            None => ipnet::IpNet::from(net).prefix_len(),
        };
        ipnet::IpNet::new(net, prefix).ok().map(Cidr)
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&canonical(ip))
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, as dual-stack sockets report
/// IPv4 peers) compare as the IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// One hop of a forwarding header: an address, or None for `unknown`, an
/// obfuscated identifier (`_hidden`) or anything unparsable.
fn parse_hop(raw: &str) -> Option<IpAddr> {
    let s = raw.trim().trim_matches('"');
    if let Some(rest) = s.strip_prefix('[') {
        // `[2001:db8::1]` or `[2001:db8::1]:4711`
        let end = rest.find(']')?;
        return rest[..end].parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    // `192.0.2.60:4711`
    let (host, port) = s.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

/// The `for=` hops of RFC 7239 `Forwarded` header values, left to right.
pub fn forwarded_for(values: &[&str]) -> Vec<Option<IpAddr>> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, v)| parse_hop(v))
        })
        .collect()
}

/// The hops of `X-Forwarded-For` header values, left to right.
pub fn x_forwarded_for(values: &[&str]) -> Vec<Option<IpAddr>> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(parse_hop)
        .collect()
}

/// The client's address: starting at the peer, while the current address is a
/// trusted proxy, step one hop left in the forwarding chain. A hop that is not an
/// address (or a chain that runs out) stops the walk at the last trusted proxy.
pub fn client_addr(peer: IpAddr, hops: &[Option<IpAddr>], trusted: &[Cidr]) -> IpAddr {
    let mut current = canonical(peer);
    for hop in hops.iter().rev() {
        if !trusted.iter().any(|c| c.contains(current)) {
            break;
        }
        match hop {
            Some(ip) => current = canonical(*ip),
            None => break,
        }
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidrs_parse_and_match_by_prefix() {
        let ten = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(ten.contains(ip("10.200.1.2")));
        assert!(!ten.contains(ip("11.0.0.1")));
        assert!(ten.contains(ip("::ffff:10.0.0.1")), "IPv4-mapped peers");
        let odd = Cidr::parse("192.168.4.0/22").unwrap();
        assert!(odd.contains(ip("192.168.7.255")));
        assert!(!odd.contains(ip("192.168.8.0")));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")));
        assert!(!v6.contains(ip("10.0.0.1")));
        assert!(Cidr::parse("127.0.0.1").unwrap().contains(ip("127.0.0.1")));
        for bad in ["10.0.0.0/33", "nope", "10.0.0/8", "::/129", ""] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn forwarding_headers_parse_hops() {
        let f = forwarded_for(&[
            "for=192.0.2.43;proto=https, for=\"[2001:db8:cafe::17]:4711\"",
            "for=unknown;host=evil.example, by=10.0.0.1;for=198.51.100.7:80",
        ]);
        assert_eq!(
            f,
            [
                Some(ip("192.0.2.43")),
                Some(ip("2001:db8:cafe::17")),
                None,
                Some(ip("198.51.100.7"))
            ]
        );
        let x = x_forwarded_for(&["203.0.113.9, 10.0.0.2", "garbage"]);
        assert_eq!(x, [Some(ip("203.0.113.9")), Some(ip("10.0.0.2")), None]);
    }

    #[test]
    fn the_walk_stops_at_the_first_untrusted_hop() {
        let trusted = [Cidr::parse("10.0.0.0/8").unwrap()];
        let hops = x_forwarded_for(&["1.1.1.1, 203.0.113.9, 10.0.0.2"]);
        // Peer 10.0.0.1 (trusted) -> 10.0.0.2 (trusted) -> 203.0.113.9 (client);
        // the spoofed 1.1.1.1 to its left is never reached.
        assert_eq!(
            client_addr(ip("10.0.0.1"), &hops, &trusted),
            ip("203.0.113.9")
        );
        // An untrusted peer's headers are ignored.
        assert_eq!(
            client_addr(ip("198.51.100.1"), &hops, &trusted),
            ip("198.51.100.1")
        );
        // Nothing trusted (the default): always the peer.
        assert_eq!(client_addr(ip("10.0.0.1"), &hops, &[]), ip("10.0.0.1"));
        // A hop that is not an address stops at the last trusted proxy.
        let bad = x_forwarded_for(&["203.0.113.9, nonsense"]);
        assert_eq!(client_addr(ip("10.0.0.1"), &bad, &trusted), ip("10.0.0.1"));
        // Every hop trusted: the leftmost.
        let all = x_forwarded_for(&["10.1.1.1, 10.0.0.2"]);
        assert_eq!(client_addr(ip("10.0.0.1"), &all, &trusted), ip("10.1.1.1"));
    }
}
