//! Resource identifiers in AWS's formats.

use crate::api::ApiError;

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn suffix(len: usize) -> String {
    (0..len)
        .map(|_| ALNUM[fastrand::usize(..ALNUM.len())] as char)
        .collect()
}

/// `<prefix>-` and 8 lowercase alphanumerics; real ids mostly start with `f`.
pub fn resource_id(prefix: &str) -> String {
    format!("{prefix}-f{}", suffix(7))
}

/// A device name: `<location code>-` and 12 lowercase alphanumerics.
pub fn device(location: &str) -> String {
    format!("{location}-{}", suffix(12))
}

/// Uppercase hex of the given length.
pub fn hex(len: usize) -> String {
    const HEX: &[u8] = b"0123456789ABCDEF";
    (0..len)
        .map(|_| HEX[fastrand::usize(..HEX.len())] as char)
        .collect()
}

/// A short lowercase alphanumeric tag.
pub fn alnum(len: usize) -> String {
    suffix(len)
}

/// Characters of generated BGP authentication keys.
const KEY_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";

/// The random part of a generated BGP key (AWS keys look like `0xC_ukbCerl6EYA0…`).
pub fn auth_key_suffix(len: usize) -> String {
    (0..len)
        .map(|_| KEY_CHARS[fastrand::usize(..KEY_CHARS.len())] as char)
        .collect()
}

/// The id formats of the resources clients name, and how AWS words a malformed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Connection,
    Interconnect,
    Lag,
    VirtualInterface,
    BgpPeer,
    Gateway,
    Association,
    Proposal,
    ResiliencyGroup,
}

fn prefixed(id: &str, prefix: &str, len: usize, any_case: bool) -> bool {
    id.strip_prefix(prefix)
        .or_else(|| {
            if any_case {
                id.get(..prefix.len())
                    .filter(|p| p.eq_ignore_ascii_case(prefix))
                    .map(|_| &id[prefix.len()..])
            } else {
                None
            }
        })
        .is_some_and(|rest| {
            rest.len() == len
                && rest.bytes().all(|c| {
                    c.is_ascii_digit()
                        || c.is_ascii_lowercase()
                        || (any_case && c.is_ascii_uppercase())
                })
        })
}

/// A lowercase or uppercase UUID (`8-4-4-4-12` hex digits).
pub fn is_uuid(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

impl IdKind {
    /// Whether `id` has this kind's format (`dxcon-` and 8 lowercase alphanumerics, a UUID, ...).
    pub fn well_formed(self, id: &str) -> bool {
        match self {
            IdKind::Connection | IdKind::Interconnect => prefixed(id, "dxcon-", 8, false),
            IdKind::Lag => prefixed(id, "dxlag-", 8, false),
            IdKind::VirtualInterface => prefixed(id, "dxvif-", 8, false),
            IdKind::BgpPeer => prefixed(id, "dxpeer-", 8, false),
            IdKind::Gateway | IdKind::Association | IdKind::Proposal => is_uuid(id),
            IdKind::ResiliencyGroup => prefixed(id, "dxrg-", 17, true),
        }
    }

    /// AWS's answer to a malformed id: `Lag ID doesntexist has an invalid format.`
    pub fn invalid(self, id: &str) -> ApiError {
        ApiError::client(match self {
            IdKind::Connection => format!("Connection ID {id} has an invalid format."),
            IdKind::Interconnect => format!("Interconnect ID {id} has an invalid format."),
            IdKind::Lag => format!("Lag ID {id} has an invalid format."),
            IdKind::VirtualInterface => {
                format!("Virtual interface ID {id} has an invalid format.")
            }
            IdKind::BgpPeer => format!("BGP peer ID {id} has an invalid format."),
            IdKind::Gateway => format!("DirectConnectGatewayID {id} has an invalid format."),
            // Recorded without the id.
            IdKind::Association => "Association ID has an invalid format.".to_string(),
            IdKind::Proposal => format!("Proposal ID {id} has an invalid format."),
            IdKind::ResiliencyGroup => {
                format!("Resiliency group ID {id} has an invalid format.")
            }
        })
    }

    /// Fails with the invalid-format answer when `id` is malformed.
    pub fn check(self, id: &str) -> Result<(), ApiError> {
        if self.well_formed(id) {
            Ok(())
        } else {
            Err(self.invalid(id))
        }
    }

    /// The answer for an id that names nothing: invalid format when malformed, else `missing`.
    pub fn missing(self, id: &str, missing: impl FnOnce(&str) -> ApiError) -> ApiError {
        if self.well_formed(id) {
            missing(id)
        } else {
            self.invalid(id)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats() {
        let re = regex::Regex::new(r"^dxcon-[a-z0-9]{8}$").unwrap();
        for _ in 0..100 {
            assert!(re.is_match(&super::resource_id("dxcon")));
        }
        assert!(super::device("EqDC2").starts_with("EqDC2-"));
        assert_eq!(super::device("EqDC2").len(), "EqDC2-".len() + 12);
    }

    #[test]
    fn id_kinds() {
        use super::IdKind::*;
        assert!(Connection.well_formed("dxcon-fg31dyv6"));
        assert!(!Connection.well_formed("fake-connection"));
        assert!(!Connection.well_formed("dxcon-FG31DYV6"));
        assert!(!Connection.well_formed("dxcon-fg31dyv"));
        assert!(Lag.well_formed("dxlag-ffjhj9lx"));
        assert!(!Lag.well_formed("doesntexist"));
        assert!(!Lag.well_formed("dxcon-ffjhj9lx"));
        assert!(VirtualInterface.well_formed("dxvif-ffhhk74f"));
        assert!(BgpPeer.well_formed("dxpeer-fexample"));
        assert!(Gateway.well_formed("5f294f92-bafb-4011-916d-9b0bd0a1b2c3"));
        assert!(!Gateway.well_formed("dxcon-myid"));
        assert!(ResiliencyGroup.well_formed("DXRG-0123456789ABCDEFG"));
        assert!(!ResiliencyGroup.well_formed("dxrg-0123"));
        assert_eq!(
            Lag.missing("doesntexist", |_| unreachable!()).message,
            "Lag ID doesntexist has an invalid format."
        );
        assert_eq!(
            Connection
                .missing("dxcon-fzzzzzzz", |id| crate::api::ApiError::client(id))
                .message,
            "dxcon-fzzzzzzz"
        );
    }
}
