//! Customer agreements and metadata.

use super::{Doc, Emulator, new_record, store_error};
use crate::api::generated::types::*;
use crate::api::{ApiError, RequestContext};
use crate::store::{Expect, Kind, Query, Write};

/// The agreement confirmed when a request names none.
pub const DEFAULT_AGREEMENT: &str = "DirectConnectCustomerAgreement";

fn agreement_key(account: &str, name: &str) -> String {
    format!("{account}/{name}")
}

pub(crate) fn confirm_customer_agreement(
    svc: &Emulator,
    cx: &RequestContext,
    input: ConfirmCustomerAgreementRequest,
) -> Result<ConfirmCustomerAgreementResponse, ApiError> {
    let name = input
        .agreement_name
        .unwrap_or_else(|| DEFAULT_AGREEMENT.to_string());
    let key = agreement_key(&cx.account, &name);
    let _guard = svc.lock()?;
    let existing = svc.load::<CustomerAgreement, serde_json::Value>(Kind::Agreement, &key)?;
    if existing.is_none() {
        let doc = Doc {
            wire: CustomerAgreement {
                agreement_name: Some(name),
                status: Some("signed".into()),
            },
            x: serde_json::Value::Null,
        };
        let mut base = new_record(Kind::Agreement, &key, cx);
        // Agreements belong to the account, not to a region.
        base.region = String::new();
        let rec = svc.record(&base, "signed", &doc, None)?;
        svc.commit(cx, vec![Write::Put(rec, Expect::Absent)])?;
    }
    Ok(ConfirmCustomerAgreementResponse {
        status: Some("signed".into()),
    })
}

pub(crate) fn describe_customer_metadata(
    svc: &Emulator,
    cx: &RequestContext,
) -> Result<DescribeCustomerMetadataResponse, ApiError> {
    let mut q = Query::kind(Kind::Agreement);
    q.account = Some(&cx.account);
    let agreements = svc
        .store()
        .list(&q)
        .map_err(store_error)?
        .iter()
        .map(|r| super::decode_doc::<CustomerAgreement, serde_json::Value>(r).map(|d| d.wire))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(DescribeCustomerMetadataResponse {
        agreements: Some(agreements),
        nni_partner_type: Some(NniPartnerType::NonPartner),
    })
}
