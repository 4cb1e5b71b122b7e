//! Who the client is behind proxies: `[server] trusted_proxies` lists the networks of the
//! proxies (nginx, a load balancer) whose `Forwarded` / `X-Forwarded-For` headers are believed.
//! The client is the rightmost hop that is not a trusted proxy; a peer that is not trusted
//! is the client itself, whatever headers it sends. Limits count IPv6 clients by their /64,
//! the block one household or server gets, so rotating addresses inside it gains nothing.
//! Pure functions of the peer and the headers' text, tested without a server.

use std::net::{IpAddr, Ipv6Addr};
use std::str::FromStr;

use serde::Deserialize;

/// A network, `10.0.0.0/8` or `2001:db8::/32`; a bare address is a network of one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct IpNet {
    base: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, canonical(ip)) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => {
                masked(u32::from(base).into(), 32, self.prefix)
                    == masked(u32::from(ip).into(), 32, self.prefix)
            }
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                masked(u128::from(base), 128, self.prefix)
                    == masked(u128::from(ip), 128, self.prefix)
            }
            _ => false,
        }
    }
}

/// The top `prefix` bits of a `width`-bit address.
fn masked(bits: u128, width: u8, prefix: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let keep = u128::MAX << (128 - u32::from(prefix));
    (bits << (128 - u32::from(width))) & keep
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<IpNet, String> {
        let explain = || {
            format!(
                "{s:?} is not a network: write e.g. \"10.0.0.0/8\", \"::1/128\" or \"127.0.0.1\""
            )
        };
        let (address, prefix) = match s.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (s, None),
        };
        let base = canonical(address.trim().parse().map_err(|_| explain())?);
        let width = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= width)
                .ok_or_else(explain)?,
            None => width,
        };
        Ok(IpNet { base, prefix })
    }
}

impl TryFrom<String> for IpNet {
    type Error = String;

    fn try_from(s: String) -> Result<IpNet, String> {
        s.parse()
    }
}

/// IPv4 clients seen through an IPv6 socket (`::ffff:192.0.2.1`) are IPv4 clients.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The key per-address limits count under: the address itself for IPv4, its /64 for IPv6.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & (u128::MAX << 64);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// The client's address: `peer` unless it is a trusted proxy, then the rightmost untrusted
/// hop the forwarding headers name (`Forwarded` when present, else `X-Forwarded-For`, each
/// header line in the order received). A hop that cannot be read ends the walk there: the
/// last trusted hop is then the best that can be said.
pub fn client_address(
    peer: IpAddr,
    trusted: &[IpNet],
    forwarded: &[&str],
    x_forwarded_for: &[&str],
) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = canonical(peer);
    if !is_trusted(peer) {
        return peer;
    }
    let hops: Vec<Option<IpAddr>> = if forwarded.is_empty() {
        x_forwarded_for
            .iter()
            .flat_map(|line| line.split(','))
            .map(|hop| parse_hop(hop.trim()))
            .collect()
    } else {
        forwarded
            .iter()
            .flat_map(|line| line.split(','))
            .map(forwarded_for)
            .collect()
    };
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        match hop {
            Some(ip) if is_trusted(ip) => client = ip,
            Some(ip) => return ip,
            None => return client,
        }
    }
    client
}

/// The `for=` of one `Forwarded` element (`for=192.0.2.60;proto=https`, `for="[2001:db8::1]:4711"`).
fn forwarded_for(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_hop(value.trim().trim_matches('"')))
            .flatten()
    })
}

/// One hop: an address, maybe with a port, IPv6 maybe in brackets.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (v6, _) = rest.split_once(']')?;
        return v6.parse::<IpAddr>().ok().map(canonical);
    }
    let (v4, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    v4.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn networks_contain_their_addresses_only() {
        let ten: IpNet = "10.0.0.0/8".parse().unwrap();
        assert!(ten.contains(ip("10.200.3.4")));
        assert!(!ten.contains(ip("11.0.0.1")));
        assert!(
            ten.contains(ip("::ffff:10.1.2.3")),
            "IPv4 through an IPv6 socket"
        );
        let one: IpNet = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: IpNet = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("192.0.2.1")) && !all.contains(ip("::1")));
        for bad in ["10.0.0.0/33", "::/129", "nginx", "10.0.0/8", ""] {
            assert!(
                bad.parse::<IpNet>()
                    .unwrap_err()
                    .contains("is not a network"),
                "{bad}"
            );
        }
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let trusted = nets(&["127.0.0.1/32", "10.0.0.0/8"]);
        // Straight from the internet: the headers are the client's own words, ignored.
        assert_eq!(
            client_address(ip("198.51.100.7"), &trusted, &[], &["203.0.113.1"]),
            ip("198.51.100.7")
        );
        // Through nginx on loopback.
        assert_eq!(
            client_address(ip("127.0.0.1"), &trusted, &[], &["203.0.113.1"]),
            ip("203.0.113.1")
        );
        // A client that forges a first hop: the rightmost untrusted one is the client.
        assert_eq!(
            client_address(
                ip("127.0.0.1"),
                &trusted,
                &[],
                &["1.2.3.4, 203.0.113.1", "10.0.0.5"]
            ),
            ip("203.0.113.1")
        );
        // Every hop trusted: the leftmost one.
        assert_eq!(
            client_address(ip("127.0.0.1"), &trusted, &[], &["10.1.1.1, 10.0.0.5"]),
            ip("10.1.1.1")
        );
        // No header at all: the proxy itself.
        assert_eq!(
            client_address(ip("127.0.0.1"), &trusted, &[], &[]),
            ip("127.0.0.1")
        );
        // An unreadable hop ends the walk at the last trusted one.
        assert_eq!(
            client_address(ip("127.0.0.1"), &trusted, &[], &["203.0.113.1, unknown"]),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for_and_is_read_in_its_forms() {
        let trusted = nets(&["127.0.0.1"]);
        let forwarded = [
            "for=192.0.2.60;proto=https;by=203.0.113.43",
            "For=\"[2001:db8:cafe::17]:4711\"",
        ];
        assert_eq!(
            client_address(ip("127.0.0.1"), &trusted, &forwarded, &["203.0.113.9"]),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), &trusted, &["for=192.0.2.60:8080"], &[]),
            ip("192.0.2.60")
        );
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_slash_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            limit_key(ip("2001:db8:1:2:ffff::9")),
            limit_key(ip("2001:db8:1:2::1"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:3::1")),
            limit_key(ip("2001:db8:1:2::1"))
        );
        assert_eq!(limit_key(ip("192.0.2.1")), ip("192.0.2.1"));
        assert_eq!(limit_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }
}
