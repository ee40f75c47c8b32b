//! The client's network, as throttles count it: an IPv4 address, or the /64 of an IPv6 one.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

/// Where a request comes from, grouped so that one holder of many addresses counts once: an
/// IPv6 /64 is what a single household or host is usually given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientNetwork {
    V4(std::net::Ipv4Addr),
    /// The address with its last 64 bits cleared.
    V6(Ipv6Addr),
    /// No address, or one that does not parse: all such requests count as one client.
    Unknown,
}

impl ClientNetwork {
    /// Reads `CF-Connecting-IP`, which Cloudflare sets to the connecting client's address.
    pub fn parse(header: Option<&str>) -> Self {
        let Some(address) = header.and_then(|text| text.trim().parse::<IpAddr>().ok()) else {
            return Self::Unknown;
        };
        match address {
            IpAddr::V4(v4) => Self::V4(v4),
            // An IPv4 client seen through IPv6 is that IPv4 client.
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(v4),
                None => Self::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
            },
        }
    }
}

/// `203.0.113.7`, `2001:db8:1:2::/64` or `unknown`: the key the throttles count under.
impl fmt::Display for ClientNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::V4(address) => write!(f, "{address}"),
            Self::V6(network) => write!(f, "{network}/64"),
            Self::Unknown => f.write_str("unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network(header: &str) -> String {
        ClientNetwork::parse(Some(header)).to_string()
    }

    #[test]
    fn an_ipv4_address_is_its_own_network() {
        assert_eq!(network("203.0.113.7"), "203.0.113.7");
        assert_ne!(network("203.0.113.7"), network("203.0.113.8"));
    }

    #[test]
    fn ipv6_addresses_in_one_64_are_one_network() {
        assert_eq!(network("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(network("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_eq!(network("2001:0DB8:0001:0002:0:0:0:abcd"), "2001:db8:1:2::/64");
    }

    #[test]
    fn ipv6_addresses_in_neighbouring_64s_are_different_networks() {
        assert_ne!(network("2001:db8:1:2::1"), network("2001:db8:1:3::1"));
        assert_eq!(network("2001:db8:1:3::1"), "2001:db8:1:3::/64");
    }

    #[test]
    fn an_ipv4_mapped_ipv6_address_is_the_ipv4_address() {
        assert_eq!(network("::ffff:203.0.113.7"), "203.0.113.7");
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        assert_eq!(network(" 198.51.100.1 "), "198.51.100.1");
    }

    #[test]
    fn a_missing_or_malformed_address_is_the_unknown_network() {
        assert_eq!(ClientNetwork::parse(None), ClientNetwork::Unknown);
        for header in ["", "localhost", "203.0.113.7:443", "2001:db8::1/64", "300.1.1.1"] {
            assert_eq!(ClientNetwork::parse(Some(header)), ClientNetwork::Unknown, "{header}");
        }
        assert_eq!(ClientNetwork::Unknown.to_string(), "unknown");
    }
}
