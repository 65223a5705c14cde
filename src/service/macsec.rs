//! MACsec keys (CKN/CAK pairs held as secrets) on dedicated connections.

use super::connections::{ConnectionDoc, load_own};
use super::lags::LagDoc;
use super::{Doc, Emulator, ids, new_record};
use crate::api::generated::types::*;
use crate::api::{ApiError, RequestContext};
use crate::store::{Expect, Kind, Record, Write};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A secret dxemu created for a CKN/CAK pair (the CAK itself is not kept).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Secret {
    ckn: String,
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn start_on(now_ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp(now_ms.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// What a key is associated with: a connection, or a LAG and its members.
enum Target {
    Connection(Record, ConnectionDoc),
    Lag(Record, LagDoc, Vec<(Record, ConnectionDoc)>),
}

impl Target {
    fn keys(&mut self) -> &mut Vec<MacSecKey> {
        match self {
            Target::Connection(_, d) => d.wire.mac_sec_keys.get_or_insert_with(Vec::new),
            Target::Lag(_, d, _) => d.wire.mac_sec_keys.get_or_insert_with(Vec::new),
        }
    }

    fn encryption_mode(&mut self) -> &mut Option<String> {
        match self {
            Target::Connection(_, d) => &mut d.wire.encryption_mode,
            Target::Lag(_, d, _) => &mut d.wire.encryption_mode,
        }
    }

    /// The writes that store the target; a LAG's keys and mode reach its members.
    fn writes(self, svc: &Emulator, encryption_up: bool) -> Result<Vec<Write>, ApiError> {
        let status = if encryption_up {
            "Encryption Up"
        } else {
            "Encryption Down"
        };
        let mut out = Vec::new();
        match self {
            Target::Connection(rec, mut doc) => {
                doc.wire.port_encryption_status = Some(status.into());
                out.push(Write::Put(
                    svc.record(&rec, &rec.state, &doc, None)?,
                    Expect::Version(rec.version),
                ));
            }
            Target::Lag(rec, doc, members) => {
                for (mrec, mut mdoc) in members {
                    mdoc.wire.mac_sec_keys = doc.wire.mac_sec_keys.clone();
                    mdoc.wire.encryption_mode = doc.wire.encryption_mode.clone();
                    mdoc.wire.port_encryption_status = Some(status.into());
                    out.push(Write::Put(
                        svc.record(&mrec, &mrec.state, &mdoc, None)?,
                        Expect::Version(mrec.version),
                    ));
                }
                out.push(Write::Put(
                    svc.record(&rec, &rec.state, &doc, None)?,
                    Expect::Version(rec.version),
                ));
            }
        }
        Ok(out)
    }
}

/// Loads a MACsec-capable connection or LAG of the caller.
fn load_target(svc: &Emulator, cx: &RequestContext, id: &str) -> Result<Target, ApiError> {
    let (state, capable, target) = if id.starts_with("dxlag-") {
        let (rec, doc) = super::lags::load_own(svc, cx, id)?;
        let members = super::lags::members(svc, id)?;
        (
            rec.state.clone(),
            doc.wire.mac_sec_capable,
            Target::Lag(rec, doc, members),
        )
    } else {
        let (rec, doc) = load_own(svc, cx, id)?;
        (
            rec.state.clone(),
            doc.wire.mac_sec_capable,
            Target::Connection(rec, doc),
        )
    };
    if matches!(state.as_str(), "deleting" | "deleted" | "rejected") {
        return Err(ApiError::client(format!("{id} is in state {state}.")));
    }
    if capable != Some(true) {
        return Err(ApiError::client(format!(
            "Connection {id} does not support MAC Security (MACsec)."
        )));
    }
    Ok(target)
}

fn is_secret_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    matches!(parts[..], ["arn", _, "secretsmanager", _, _, "secret", name] if !name.is_empty())
}

pub(crate) fn associate_mac_sec_key(
    svc: &Emulator,
    cx: &RequestContext,
    input: AssociateMacSecKeyRequest,
) -> Result<AssociateMacSecKeyResponse, ApiError> {
    let _guard = svc.lock()?;
    let mut target = load_target(svc, cx, &input.connection_id)?;
    let mut writes = Vec::new();
    let (secret_arn, ckn) = match (input.secret_arn, input.ckn, input.cak) {
        (Some(arn), None, None) => {
            if !is_secret_arn(&arn) {
                return Err(ApiError::client(format!(
                    "secretARN {arn} is not a valid Secrets Manager secret ARN."
                )));
            }
            let known = svc
                .load::<Secret, serde_json::Value>(Kind::MacSecSecret, &arn)?
                .filter(|(r, _)| r.account == cx.account)
                .map(|(_, d)| d.wire.ckn);
            (arn, known)
        }
        (None, Some(ckn), Some(cak)) => {
            if !is_hex64(&ckn) || !is_hex64(&cak) {
                return Err(ApiError::client(
                    "ckn and cak must each be 64 hexadecimal characters.",
                ));
            }
            let arn = format!(
                "arn:aws:secretsmanager:{}:{}:secret:directconnect!prod/{}/directconnect/{}-{}",
                cx.region,
                cx.account,
                cx.region,
                ids::hex(16),
                ids::alnum(6)
            );
            let secret = Doc {
                wire: Secret { ckn: ckn.clone() },
                x: serde_json::Value::Null,
            };
            let srec = svc.record(
                &new_record(Kind::MacSecSecret, &arn, cx),
                "active",
                &secret,
                None,
            )?;
            writes.push(Write::Put(srec, Expect::Absent));
            (arn, Some(ckn))
        }
        _ => {
            return Err(ApiError::client(
                "Specify either secretARN, or both ckn and cak.",
            ));
        }
    };
    let keys = target.keys();
    if keys
        .iter()
        .any(|k| k.secret_arn.as_deref() == Some(secret_arn.as_str()))
    {
        return Err(ApiError::client(format!(
            "The MACsec secret {secret_arn} is already associated with {}.",
            input.connection_id
        )));
    }
    if ckn.is_some() && keys.iter().any(|k| k.ckn == ckn) {
        return Err(ApiError::client(format!(
            "A MACsec key with this CKN is already associated with {}.",
            input.connection_id
        )));
    }
    keys.push(MacSecKey {
        secret_arn: Some(secret_arn),
        ckn,
        state: Some("associated".into()),
        start_on: Some(start_on(cx.now_ms)),
    });
    let keys = keys.clone();
    writes.extend(target.writes(svc, true)?);
    svc.commit(cx, writes)?;
    Ok(AssociateMacSecKeyResponse {
        connection_id: Some(input.connection_id),
        mac_sec_keys: Some(keys),
    })
}

pub(crate) fn disassociate_mac_sec_key(
    svc: &Emulator,
    cx: &RequestContext,
    input: DisassociateMacSecKeyRequest,
) -> Result<DisassociateMacSecKeyResponse, ApiError> {
    let _guard = svc.lock()?;
    let mut target = load_target(svc, cx, &input.connection_id)?;
    let keys = target.keys();
    let Some(pos) = keys
        .iter()
        .position(|k| k.secret_arn.as_deref() == Some(input.secret_arn.as_str()))
    else {
        return Err(ApiError::client(format!(
            "The MACsec secret {} is not associated with {}.",
            input.secret_arn, input.connection_id
        )));
    };
    let mut removed = keys.remove(pos);
    let none_left = keys.is_empty();
    removed.state = Some("disassociated".into());
    // Without a key, must_encrypt would take the port down: AWS relaxes it.
    let mode = target.encryption_mode();
    if none_left && mode.as_deref() == Some("must_encrypt") {
        *mode = Some("should_encrypt".into());
    }
    svc.commit(cx, target.writes(svc, !none_left)?)?;
    Ok(DisassociateMacSecKeyResponse {
        connection_id: Some(input.connection_id),
        mac_sec_keys: Some(vec![removed]),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn secret_arns() {
        assert!(super::is_secret_arn(
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:dx-key-abc123"
        ));
        assert!(!super::is_secret_arn("arn:aws:s3:::bucket"));
        assert_eq!(super::start_on(0), "1970-01-01T00:00:00Z");
    }
}
