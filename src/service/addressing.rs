//! BGP peer addressing: the checks AWS makes and the addresses it assigns.

use crate::api::ApiError;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Parses `a.b.c.d/len`.
fn parse_v4(cidr: &str) -> Option<(Ipv4Addr, u8)> {
    let (addr, len) = cidr.split_once('/')?;
    let len: u8 = len.parse().ok()?;
    (len <= 32).then_some(())?;
    Some((addr.parse().ok()?, len))
}

fn network(addr: Ipv4Addr, len: u8) -> u32 {
    let mask = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    };
    u32::from(addr) & mask
}

/// Checks a pair of IPv4 peer addresses in CIDR form, as AWS does for public VIFs
/// (`public`: no private ranges) and for any given pair.
pub fn check_ipv4_pair(amazon: &str, customer: &str, public: bool) -> Result<(), ApiError> {
    let (a, alen) = parse_v4(amazon).ok_or_else(|| {
        ApiError::client(format!(
            "Amazon Address {amazon} is not a valid IPv4 address in CIDR notation."
        ))
    })?;
    let (c, clen) = parse_v4(customer).ok_or_else(|| {
        ApiError::client(format!(
            "Customer Address {customer} is not a valid IPv4 address in CIDR notation."
        ))
    })?;
    if public {
        if a.is_private() {
            return Err(ApiError::client(
                "Amazon Address is not allowed to contain a private IP",
            ));
        }
        if c.is_private() {
            return Err(ApiError::client(
                "Customer Address is not allowed to contain a private IP",
            ));
        }
    }
    if alen != clen || network(a, alen) != network(c, clen) {
        return Err(ApiError::client(
            "Amazon Address and Customer Address must be in the same CIDR",
        ));
    }
    if a == c {
        return Err(ApiError::client(
            "Amazon Address and Customer Address must be different",
        ));
    }
    if alen < 31 {
        let host_bits = 32 - u32::from(alen);
        let broadcast = network(a, alen) | ((1u32 << host_bits) - 1);
        for (who, ip) in [("Amazon", a), ("Customer", c)] {
            if u32::from(ip) == network(a, alen) {
                return Err(ApiError::client(format!(
                    "{who} Address is address 0 on its subnet."
                )));
            }
            if u32::from(ip) == broadcast {
                return Err(ApiError::client(format!(
                    "{who} Address is the broadcast address on its subnet."
                )));
            }
        }
    }
    Ok(())
}

/// A /30 from 169.254.0.0/16, as AWS assigns when no addresses are given.
pub fn link_local_pair() -> (String, String) {
    let third = fastrand::u8(..);
    let block = fastrand::u8(..64) * 4;
    (
        format!("169.254.{third}.{}/30", block + 1),
        format!("169.254.{third}.{}/30", block + 2),
    )
}

/// A /125 pair, as AWS assigns for IPv6 peers (from the documentation prefix).
pub fn ipv6_pair() -> (String, String) {
    let base = u128::from(Ipv6Addr::new(
        0x2001,
        0x0db8,
        0x1100,
        fastrand::u16(..),
        0,
        1,
        fastrand::u16(..),
        0,
    ));
    let base = base & !0x7;
    (
        format!("{}/125", Ipv6Addr::from(base + 1)),
        format!("{}/125", Ipv6Addr::from(base + 6)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_pairs_follow_aws_rules() {
        assert!(check_ipv4_pair("203.0.113.1/30", "203.0.113.2/30", true).is_ok());
        let msg = |a: &str, c: &str| check_ipv4_pair(a, c, true).unwrap_err().message;
        assert_eq!(
            msg("10.0.0.1/30", "10.0.0.2/30"),
            "Amazon Address is not allowed to contain a private IP"
        );
        assert_eq!(
            msg("203.0.113.1/30", "203.0.113.9/30"),
            "Amazon Address and Customer Address must be in the same CIDR"
        );
        assert_eq!(
            msg("203.0.113.0/30", "203.0.113.2/30"),
            "Amazon Address is address 0 on its subnet."
        );
        assert_eq!(
            msg("203.0.113.3/30", "203.0.113.2/30"),
            "Amazon Address is the broadcast address on its subnet."
        );
        assert!(check_ipv4_pair("10.0.0.1/30", "10.0.0.2/30", false).is_ok());
    }

    #[test]
    fn assigned_pairs_are_valid() {
        for _ in 0..50 {
            let (a, c) = link_local_pair();
            assert!(check_ipv4_pair(&a, &c, false).is_ok(), "{a} {c}");
            assert!(a.starts_with("169.254.") && a.ends_with("/30"));
        }
        let (a, c) = ipv6_pair();
        assert!(a.ends_with("/125") && c.ends_with("/125") && a != c);
    }
}
