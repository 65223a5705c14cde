//! Pagination shared by every paginated Describe call.

use super::{Emulator, store_error};
use crate::api::ApiError;
use crate::store::{Query, Record};
use base64::Engine as _;

/// Page size cap of every paginated Describe call.
pub const MAX_PAGE: usize = 100;

/// An opaque pagination token: base64 of a small JSON document.
fn encode_token(seq: i64) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"v\":1,\"s\":{seq}}}"))
}

fn decode_token(token: &str) -> Result<i64, ApiError> {
    let bad = || ApiError::client("The nextToken provided is not valid.");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(token.as_bytes())
        .map_err(|_| bad())?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    v.get("s")
        .and_then(serde_json::Value::as_i64)
        .ok_or_else(bad)
}

/// The page size a request asks for: all when absent, at most 100.
fn page_size(max_results: Option<i32>) -> Result<Option<usize>, ApiError> {
    match max_results {
        None => Ok(None),
        Some(n) if n < 1 => Err(ApiError::client(format!(
            "maxResults must be at least 1, got {n}."
        ))),
        Some(n) => Ok(Some((n as usize).min(MAX_PAGE))),
    }
}

/// One page of `query`: the records and the token of the next page, if any.
pub(crate) fn page(
    svc: &Emulator,
    mut query: Query<'_>,
    max_results: Option<i32>,
    next_token: Option<&str>,
) -> Result<(Vec<Record>, Option<String>), ApiError> {
    let limit = page_size(max_results)?;
    query.after_seq = next_token.map(decode_token).transpose()?;
    // One more than the page tells whether another page follows.
    query.limit = limit.map(|n| n + 1);
    let mut recs = svc.store().list(&query).map_err(store_error)?;
    let mut token = None;
    if let Some(n) = limit
        && recs.len() > n
    {
        recs.truncate(n);
        token = recs.last().map(|r| encode_token(r.seq));
    }
    Ok((recs, token))
}

/// One page of items already filtered in memory and ordered by their record's `seq`.
pub(crate) fn page_items<T>(
    items: Vec<(i64, T)>,
    max_results: Option<i32>,
    next_token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let limit = page_size(max_results)?.unwrap_or(usize::MAX);
    let after = next_token.map(decode_token).transpose()?;
    let mut out = Vec::new();
    let mut last = None;
    let mut token = None;
    for (seq, item) in items {
        if after.is_some_and(|a| seq <= a) {
            continue;
        }
        if out.len() == limit {
            token = last.map(encode_token);
            break;
        }
        out.push(item);
        last = Some(seq);
    }
    Ok((out, token))
}
