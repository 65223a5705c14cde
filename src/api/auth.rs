//! SigV4 verification of AWS API requests (`--auth verify`).
//!
//! With `--auth none` (the default) any well-formed credential is accepted and
//! the account comes from the access key (see `identity.rs`). With
//! `--auth verify` every `POST /` must carry a valid AWS Signature Version 4
//! made with a secret registered here; the account of the request is then the
//! one registered with its access key.

use super::{ApiError, ErrorCode};
use crate::clock::Clock;
use axum::http::{HeaderMap, Method, Uri};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

type HmacSha256 = Hmac<Sha256>;

/// The only signing algorithm SigV4 defines for headers.
const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The signing name of Direct Connect.
pub const SERVICE: &str = "directconnect";
/// Largest accepted difference between the signing time and the real clock.
pub const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// How requests to the AWS API are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Any well-formed credential; nothing is checked.
    #[default]
    None,
    /// Full SigV4 verification against the registered credentials.
    Verify,
}

impl AuthMode {
    /// `none` or `verify`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Self::None),
            "verify" => Some(Self::Verify),
            _ => None,
        }
    }
}

#[derive(Clone)]
struct Secret {
    secret: String,
    account: String,
}

/// Authentication settings of a running server.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// How `POST /` requests are authenticated.
    pub mode: AuthMode,
    /// The keys `--auth verify` accepts (shared: keys may be added at run time).
    pub credentials: Arc<Credentials>,
    /// Who may use the control API.
    pub admin: super::guard::AdminAccess,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            mode: AuthMode::None,
            credentials: Arc::new(Credentials::new("123456789012")),
            admin: super::guard::AdminAccess {
                token: None,
                enabled: true,
            },
        }
    }
}

impl AuthConfig {
    /// In verify mode, checks the request's signature and makes `identity`
    /// the credential's account and the scope's region; in none mode, accepts.
    pub fn authenticate(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: &[u8],
        identity: &mut super::Identity,
    ) -> Result<(), ApiError> {
        if self.mode == AuthMode::None {
            return Ok(());
        }
        // Skew is judged on the real clock: the emulated one may be moved by days.
        let now_secs = crate::clock::SystemClock.now_ms().div_euclid(1000);
        let v = verify(&self.credentials, method, uri, headers, body, now_secs)?;
        identity.access_key = Some(v.access_key);
        identity.account = v.account;
        identity.region = v.region;
        Ok(())
    }
}

/// Registered access keys: access key id → secret and account.
pub struct Credentials {
    keys: RwLock<HashMap<String, Secret>>,
    default_account: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print secrets.
        f.debug_struct("Credentials")
            .field("keys", &self.len())
            .field("default_account", &self.default_account)
            .finish()
    }
}

impl Credentials {
    /// An empty registry; keys registered without an account (and that are
    /// not account ids themselves) belong to `default_account`.
    pub fn new(default_account: impl Into<String>) -> Self {
        Self {
            keys: RwLock::new(HashMap::new()),
            default_account: default_account.into(),
        }
    }

    /// Registers (or replaces) a key and returns the account it acts for.
    ///
    /// Without `account`, a 12-digit access key id is its own account and any
    /// other key belongs to the default account.
    pub fn insert(
        &self,
        access_key: &str,
        secret: &str,
        account: Option<&str>,
    ) -> Result<String, String> {
        if access_key.is_empty() || access_key.contains(['/', ',', ' ', '=']) {
            return Err(format!(
                "access key id {access_key:?} is empty or has a '/', ',', '=' or space"
            ));
        }
        if secret.is_empty() {
            return Err(format!("the secret of {access_key} is empty"));
        }
        let account = match account {
            Some(a) if super::is_account_id(a) => a.to_string(),
            Some(a) => {
                return Err(format!(
                    "account {a:?} of {access_key} is not a 12-digit account id"
                ));
            }
            None if super::is_account_id(access_key) => access_key.to_string(),
            None => self.default_account.clone(),
        };
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        keys.insert(
            access_key.to_string(),
            Secret {
                secret: secret.to_string(),
                account: account.clone(),
            },
        );
        Ok(account)
    }

    /// Registers a `AKID:SECRET[:ACCOUNT]` specification.
    pub fn insert_spec(&self, spec: &str) -> Result<String, String> {
        let (key, rest) = spec
            .split_once(':')
            .ok_or_else(|| "a credential is AKID:SECRET[:ACCOUNT]".to_string())?;
        let (secret, account) = match rest.rsplit_once(':') {
            Some((secret, account)) if super::is_account_id(account) => (secret, Some(account)),
            _ => (rest, None),
        };
        self.insert(key.trim(), secret.trim(), account)
    }

    /// Number of registered keys.
    pub fn len(&self) -> usize {
        self.keys.read().map(|k| k.len()).unwrap_or(0)
    }

    /// True when no key is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, access_key: &str) -> Option<Secret> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        keys.get(access_key).cloned()
    }
}

/// The caller of a request whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub access_key: String,
    pub account: String,
    pub region: String,
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::IncompleteSignatureException, message)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidSignatureException, message)
}

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// The parts of an `Authorization: AWS4-HMAC-SHA256 ...` header.
struct AuthHeader<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

/// Splits the header into its key=value parameters (separated by commas
/// and/or spaces, as AWS accepts both).
/// `has_date` tells whether the request carries `X-Amz-Date` (reported with
/// the missing parameters, as AWS does).
fn parse_header(header: &str, has_date: bool) -> Result<AuthHeader<'_>, ApiError> {
    let rest = header
        .trim()
        .strip_prefix(ALGORITHM)
        .filter(|r| r.is_empty() || r.starts_with([' ', ',']))
        .ok_or_else(|| {
            let algorithm = header.split_whitespace().next().unwrap_or_default();
            incomplete(format!(
                "Unsupported AWS 'algorithm': '{algorithm}' (only {ALGORITHM} for now). "
            ))
        })?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split([',', ' ']).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return Err(incomplete(format!(
                "'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )));
        };
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed_headers = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let mut missing = String::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if value.is_none_or(str::is_empty) {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if !has_date {
        // dxemu reads only X-Amz-Date (no SDK signs with `Date`).
        missing.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    match (credential, signed_headers, signature) {
        (Some(c), Some(h), Some(s)) if missing.is_empty() => Ok(AuthHeader {
            credential: c,
            signed_headers: h,
            signature: s,
        }),
        _ => Err(incomplete(format!("{missing}Authorization={header}"))),
    }
}

/// `20261129T044423Z` → seconds since the epoch.
fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let month = time::Month::try_from(u8::try_from(digits(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(digits(0..4)?).ok()?,
        month,
        u8::try_from(digits(6..8)?).ok()?,
    )
    .ok()?;
    let t = time::Time::from_hms(
        u8::try_from(digits(9..11)?).ok()?,
        u8::try_from(digits(11..13)?).ok()?,
        u8::try_from(digits(13..15)?).ok()?,
    )
    .ok()?;
    Some(
        time::PrimitiveDateTime::new(date, t)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Seconds since the epoch → `20261129T044423Z`.
fn format_amz_date(secs: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => secs.to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(data);
    mac
}

/// Percent-encodes everything but the unreserved characters (and `/` when asked).
fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The canonical URI of a non-S3 service: dot segments and empty segments
/// removed, then each byte of the (already encoded) path encoded once more.
fn canonical_uri(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut normalized = format!("/{}", segments.join("/"));
    if path.ends_with('/') && normalized != "/" {
        normalized.push('/');
    }
    uri_encode(&normalized, true)
}

fn canonical_query(query: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `name:value\n` for each signed header, values trimmed, inner runs of
/// spaces collapsed and repeated headers joined with commas.
fn canonical_headers(headers: &HeaderMap, names: &[&str]) -> String {
    let mut out = String::new();
    for name in names {
        let values: Vec<String> = headers
            .get_all(*name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        out.push_str(name);
        out.push(':');
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// Checks the SigV4 signature of a request against `credentials`, with
/// `now_secs` the real time (never the emulator's adjustable clock).
pub fn verify(
    credentials: &Credentials,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now_secs: i64,
) -> Result<Verified, ApiError> {
    let Some(header) = headers.get(axum::http::header::AUTHORIZATION) else {
        return Err(ApiError::new(
            ErrorCode::MissingAuthenticationTokenException,
            "Request is missing Authentication Token",
        ));
    };
    let header = String::from_utf8_lossy(header.as_bytes()).into_owned();
    if !header.trim_start().starts_with("AWS4-") {
        return Err(ApiError::new(
            ErrorCode::MissingAuthenticationTokenException,
            "Request is missing Authentication Token",
        ));
    }
    let amz_date = headers.get("x-amz-date").and_then(|v| v.to_str().ok());
    let auth = parse_header(&header, amz_date.is_some())?;
    let amz_date = amz_date.unwrap_or_default();
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
        incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        ))
    })?;
    if signed_at < now_secs - MAX_SKEW_SECONDS {
        return Err(invalid(format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
            format_amz_date(now_secs - MAX_SKEW_SECONDS),
            format_amz_date(now_secs)
        )));
    }
    if signed_at > now_secs + MAX_SKEW_SECONDS {
        return Err(invalid(format!(
            "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
            format_amz_date(now_secs + MAX_SKEW_SECONDS),
            format_amz_date(now_secs)
        )));
    }
    let signed_names: Vec<&str> = auth.signed_headers.split(';').collect();
    if !signed_names.iter().any(|n| n.eq_ignore_ascii_case("host")) {
        return Err(invalid(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let scope: Vec<&str> = auth.credential.trim_end_matches('/').split('/').collect();
    let [access_key, date, region, service, terminator] = scope[..] else {
        return Err(incomplete(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{}'",
            auth.credential
        )));
    };
    let mut scope_errors = String::new();
    let region_ok = !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_ok {
        scope_errors.push_str(&format!(
            "Credential should be scoped to a valid region, not '{region}'. "
        ));
    }
    if service != SERVICE {
        scope_errors.push_str(&format!(
            "Credential should be scoped to correct service: '{SERVICE}'. "
        ));
    }
    if terminator != "aws4_request" {
        scope_errors.push_str(&format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
        ));
    }
    let day = amz_date.get(..8).unwrap_or_default();
    if date != day {
        scope_errors.push_str(&format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{date}' != '{day}', from '{amz_date}'."
        ));
    }
    if !scope_errors.is_empty() {
        return Err(invalid(scope_errors.trim_end()));
    }
    let Some(secret) = credentials.get(access_key) else {
        return Err(ApiError::new(
            ErrorCode::UnrecognizedClientException,
            "The security token included in the request is invalid.",
        ));
    };

    let lower_names: Vec<String> = signed_names
        .iter()
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let lower_refs: Vec<&str> = lower_names.iter().map(String::as_str).collect();
    let canonical_request = format!(
        "{method}\n{}\n{}\n{}\n{}\n{}",
        canonical_uri(uri.path()),
        canonical_query(uri.query()),
        canonical_headers(headers, &lower_refs),
        lower_refs.join(";"),
        sha256_hex(body),
    );
    let scope = format!("{date}/{region}/{service}/{terminator}");
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let mut key = hmac(format!("AWS4{}", secret.secret).as_bytes(), date.as_bytes())
        .finalize()
        .into_bytes()
        .to_vec();
    for part in [region, service, terminator] {
        key = hmac(&key, part.as_bytes()).finalize().into_bytes().to_vec();
    }
    let provided = unhex(auth.signature).unwrap_or_default();
    if hmac(&key, string_to_sign.as_bytes())
        .verify_slice(&provided)
        .is_err()
    {
        return Err(invalid(format!(
            "{MISMATCH}\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
        )));
    }
    Ok(Verified {
        access_key: access_key.to_string(),
        account: secret.account,
        region: region.to_string(),
    })
}

/// Equality of two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let (da, db) = (Sha256::digest(a), Sha256::digest(b));
    da.iter()
        .zip(db.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    // An independent signer for the tests: the textbook SigV4 steps.
    fn sign(secret: &str, headers: &mut HeaderMap, body: &[u8], amz_date: &str, key: &str) {
        let date = &amz_date[..8];
        headers.insert("x-amz-date", HeaderValue::from_str(amz_date).unwrap());
        let names = ["content-type", "host", "x-amz-date"];
        let canonical = format!(
            "POST\n/\n\n{}\n{}\n{}",
            canonical_headers(headers, &names),
            names.join(";"),
            sha256_hex(body)
        );
        let scope = format!("{date}/us-west-2/directconnect/aws4_request");
        let sts = format!(
            "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
            sha256_hex(canonical.as_bytes())
        );
        let mut k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes())
            .finalize()
            .into_bytes()
            .to_vec();
        for p in ["us-west-2", "directconnect", "aws4_request"] {
            k = hmac(&k, p.as_bytes()).finalize().into_bytes().to_vec();
        }
        let sig = hex(&hmac(&k, sts.as_bytes()).finalize().into_bytes());
        let auth = format!(
            "{ALGORITHM} Credential={key}/{scope}, SignedHeaders={}, Signature={sig}",
            names.join(";")
        );
        headers.insert("authorization", HeaderValue::from_str(&auth).unwrap());
    }

    fn request() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("127.0.0.1:4566"));
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        h
    }

    const NOW: i64 = 1_795_000_000;

    fn creds() -> Credentials {
        let c = Credentials::new("123456789012");
        c.insert("AKIDEXAMPLE", "s3cr3t", Some("444455556666"))
            .unwrap();
        c
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(0));
        assert_eq!(format_amz_date(NOW), "20261118T110640Z");
        assert_eq!(parse_amz_date(&format_amz_date(NOW)), Some(NOW));
        for bad in [
            "2026-11-19T08:26:40Z",
            "20261319T082640Z",
            "20261119T082640",
            "x",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn good_and_tampered_signatures() {
        let uri: Uri = "/".parse().unwrap();
        let mut h = request();
        sign(
            "s3cr3t",
            &mut h,
            b"{}",
            &format_amz_date(NOW),
            "AKIDEXAMPLE",
        );
        let ok = verify(&creds(), &Method::POST, &uri, &h, b"{}", NOW).unwrap();
        assert_eq!(
            (ok.account.as_str(), ok.region.as_str()),
            ("444455556666", "us-west-2")
        );
        let err = verify(&creds(), &Method::POST, &uri, &h, b"{ }", NOW).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidSignatureException);
        assert!(err.message.starts_with(MISMATCH));
        let mut wrong = request();
        sign(
            "other",
            &mut wrong,
            b"{}",
            &format_amz_date(NOW),
            "AKIDEXAMPLE",
        );
        let err = verify(&creds(), &Method::POST, &uri, &wrong, b"{}", NOW).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidSignatureException);
        let mut unknown = request();
        sign(
            "s3cr3t",
            &mut unknown,
            b"{}",
            &format_amz_date(NOW),
            "AKIDNOBODY",
        );
        let err = verify(&creds(), &Method::POST, &uri, &unknown, b"{}", NOW).unwrap_err();
        assert_eq!(err.code, ErrorCode::UnrecognizedClientException);
    }

    #[test]
    fn skew_is_fifteen_minutes_each_way() {
        let uri: Uri = "/".parse().unwrap();
        for (offset, ok) in [
            (-14 * 60, true),
            (14 * 60, true),
            (-16 * 60, false),
            (16 * 60, false),
        ] {
            let mut h = request();
            sign(
                "s3cr3t",
                &mut h,
                b"",
                &format_amz_date(NOW + offset),
                "AKIDEXAMPLE",
            );
            let r = verify(&creds(), &Method::POST, &uri, &h, b"", NOW);
            assert_eq!(r.is_ok(), ok, "{offset}: {r:?}");
            if let Err(e) = r {
                let prefix = if offset < 0 {
                    "Signature expired: "
                } else {
                    "Signature not yet current: "
                };
                assert!(e.message.starts_with(prefix), "{}", e.message);
            }
        }
    }

    #[test]
    fn malformed_headers() {
        let uri: Uri = "/".parse().unwrap();
        let check = |auth: &str, date: Option<&str>| {
            let mut h = request();
            h.insert("authorization", HeaderValue::from_str(auth).unwrap());
            if let Some(d) = date {
                h.insert("x-amz-date", HeaderValue::from_str(d).unwrap());
            }
            verify(&creds(), &Method::POST, &uri, &h, b"", NOW).unwrap_err()
        };
        let now = format_amz_date(NOW);
        let e = check("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x", Some(&now));
        assert_eq!(e.code, ErrorCode::IncompleteSignatureException);
        assert!(
            e.message.contains("requires 'Signature' parameter"),
            "{}",
            e.message
        );
        let e = check("AWS4-HMAC-SHA256 Credential", Some(&now));
        assert!(e.message.contains("missing equal-sign"), "{}", e.message);
        let e = check(
            "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00",
            None,
        );
        assert!(e.message.contains("'X-Amz-Date'"), "{}", e.message);
        let e = check(
            "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=00",
            Some(&now),
        );
        assert!(
            e.message.starts_with("Credential must have exactly 5"),
            "{}",
            e.message
        );
        let e = check(
            &format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{}/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00",
                &now[..8]
            ),
            Some(&now),
        );
        assert_eq!(e.code, ErrorCode::InvalidSignatureException);
        assert!(
            e.message.contains("correct service: 'directconnect'"),
            "{}",
            e.message
        );
        let e = check(
            "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=x-amz-date, Signature=00",
            Some(&now),
        );
        assert!(e.message.contains("'Host'"), "{}", e.message);
        let e = check("Bearer abc", Some(&now));
        assert_eq!(e.code, ErrorCode::MissingAuthenticationTokenException);
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/a/./b/../c//d/"), "/a/c/d/");
        assert_eq!(canonical_uri("/a%20b"), "/a%2520b");
        assert_eq!(canonical_query(Some("b=2&a=%7e x&a=1")), "a=1&a=~%20x&b=2");
        let mut h = HeaderMap::new();
        h.append("x-a", HeaderValue::from_static("  one   two "));
        h.append("x-a", HeaderValue::from_static("three"));
        assert_eq!(canonical_headers(&h, &["x-a"]), "x-a:one two,three\n");
    }

    #[test]
    fn credential_specs() {
        let c = Credentials::new("123456789012");
        assert_eq!(c.insert_spec("AKID1:sec:ret").unwrap(), "123456789012");
        assert_eq!(
            c.insert_spec("AKID2:secret:210987654321").unwrap(),
            "210987654321"
        );
        assert_eq!(
            c.insert_spec("111122223333:secret").unwrap(),
            "111122223333"
        );
        assert_eq!(c.get("AKID1").unwrap().secret, "sec:ret");
        assert!(c.insert_spec("nosecret").is_err());
        assert!(c.insert_spec("AKID:").is_err());
        assert!(c.insert("AKID", "s", Some("12")).is_err());
        assert!(constant_time_eq(b"abc", b"abc") && !constant_time_eq(b"abc", b"abd"));
    }
}
