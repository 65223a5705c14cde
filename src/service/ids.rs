//! Resource identifiers in AWS's formats.

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
}
