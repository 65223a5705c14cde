//! Who is calling: the account and region behind a request's SigV4 credential.

use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

/// Access key id → account id, for keys that are not themselves account ids.
/// Keys can be added while the server runs (the control API does).
#[derive(Debug, Default)]
pub struct AccountMap {
    keys: RwLock<HashMap<String, String>>,
    default_account: String,
    default_region: String,
}

/// The caller as the credential scope names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub access_key: Option<String>,
    pub account: String,
    pub region: String,
}

impl AccountMap {
    /// A map with the account and region used when a request names none.
    pub fn new(default_account: String, default_region: String) -> Self {
        Self {
            keys: RwLock::new(HashMap::new()),
            default_account,
            default_region,
        }
    }

    /// Maps an access key id to an account (replacing an earlier mapping).
    pub fn insert(&self, access_key: String, account: String) {
        self.write().insert(access_key, account);
    }

    /// Every mapped access key and its account, sorted by key.
    pub fn mappings(&self) -> BTreeMap<String, String> {
        self.read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// The account a request without a usable credential belongs to.
    pub fn default_account(&self) -> &str {
        &self.default_account
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, String>> {
        // A map insert cannot be observed half-done; a poisoned lock is reusable.
        self.keys.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, String>> {
        self.keys.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Resolves the identity of a request from its `Authorization` header.
    ///
    /// A 12-digit access key id is the account itself; a mapped key is its
    /// account; anything else (or no header at all) is the default account.
    pub fn resolve(&self, authorization: Option<&str>) -> Identity {
        let scope = authorization.and_then(credential_scope);
        let (access_key, region) = match scope {
            Some((key, region)) => (Some(key.to_string()), region.map(str::to_string)),
            None => (None, None),
        };
        let account = match access_key.as_deref() {
            Some(k) if is_account_id(k) => k.to_string(),
            Some(k) => self
                .read()
                .get(k)
                .cloned()
                .unwrap_or_else(|| self.default_account.clone()),
            None => self.default_account.clone(),
        };
        Identity {
            access_key,
            account,
            region: region.unwrap_or_else(|| self.default_region.clone()),
        }
    }
}

/// True for a 12-digit AWS account id.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `Credential=AKID/20260101/us-east-1/directconnect/aws4_request` → (AKID, region).
fn credential_scope(header: &str) -> Option<(&str, Option<&str>)> {
    let start = header.find("Credential=")? + "Credential=".len();
    let rest = &header[start..];
    let end = rest.find([',', ' ']).unwrap_or(rest.len());
    let mut parts = rest[..end].split('/');
    let key = parts.next().filter(|k| !k.is_empty())?;
    let _date = parts.next();
    let region = parts
        .next()
        .filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    Some((key, region))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> AccountMap {
        let m = AccountMap::new("123456789012".into(), "us-east-1".into());
        m.insert("AKIDEXAMPLE".into(), "444455556666".into());
        m
    }

    #[test]
    fn account_from_numeric_key_and_region_from_scope() {
        let id = map().resolve(Some(
            "AWS4-HMAC-SHA256 Credential=111111111111/20261129/eu-west-1/directconnect/aws4_request, SignedHeaders=host, Signature=abc",
        ));
        assert_eq!(id.account, "111111111111");
        assert_eq!(id.region, "eu-west-1");
    }

    #[test]
    fn mapped_unmapped_and_missing_keys() {
        let m = map();
        let h = |k: &str| {
            format!("AWS4-HMAC-SHA256 Credential={k}/20261129/us-west-2/directconnect/aws4_request")
        };
        assert_eq!(m.resolve(Some(&h("AKIDEXAMPLE"))).account, "444455556666");
        assert_eq!(m.resolve(Some(&h("AKIDOTHER"))).account, "123456789012");
        let none = m.resolve(None);
        assert_eq!(
            (none.account.as_str(), none.region.as_str()),
            ("123456789012", "us-east-1")
        );
    }
}
