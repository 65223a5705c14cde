//! Tags on any taggable resource, addressed by ARN.

use super::{Doc, Emulator};
use crate::api::generated::types::*;
use crate::api::{ApiError, ErrorCode, RequestContext};
use crate::store::{Expect, Kind, Record, Write};
use serde_json::Value;
use std::collections::HashSet;

/// User tags a resource may carry (`aws:` tags do not count).
pub const MAX_TAGS: usize = 50;

fn is_reserved(key: &str) -> bool {
    key.starts_with("aws:")
}

fn reserved_error(key: &str) -> ApiError {
    ApiError::client(format!(
        "Tag key {key} is not allowed: keys starting with 'aws:' are reserved for AWS use."
    ))
}

fn check_request(tags: &[Tag]) -> Result<(), ApiError> {
    let mut seen = HashSet::new();
    for t in tags {
        if !seen.insert(t.key.as_str()) {
            return Err(ApiError::new(
                ErrorCode::DuplicateTagKeysException,
                format!("Duplicate tag key in the request: {}", t.key),
            ));
        }
        if is_reserved(&t.key) {
            return Err(reserved_error(&t.key));
        }
    }
    Ok(())
}

fn too_many(count: usize) -> ApiError {
    ApiError::new(
        ErrorCode::TooManyTagsException,
        format!("A resource can have at most {MAX_TAGS} tags; this request would give it {count}."),
    )
}

/// Checks the tags given to a resource at creation.
pub(crate) fn validate_new(tags: Vec<Tag>) -> Result<Vec<Tag>, ApiError> {
    check_request(&tags)?;
    if tags.len() > MAX_TAGS {
        return Err(too_many(tags.len()));
    }
    Ok(tags)
}

/// The resource an ARN names: `arn:<partition>:directconnect:<region>:<account>:<type>/<id>`.
struct ArnRef<'a> {
    region: &'a str,
    account: &'a str,
    kinds: &'static [Kind],
    id: &'a str,
}

fn parse_arn(arn: &str) -> Result<ArnRef<'_>, ApiError> {
    let bad = || {
        ApiError::client(format!(
            "The ARN {arn} is not a valid Direct Connect resource ARN."
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [scheme, _partition, service, region, account, resource] = parts[..] else {
        return Err(bad());
    };
    if scheme != "arn" || service != "directconnect" {
        return Err(bad());
    }
    let (ty, id) = resource.split_once('/').ok_or_else(bad)?;
    let kinds: &'static [Kind] = match ty {
        "dxcon" => &[Kind::Connection, Kind::Interconnect],
        "dxlag" => &[Kind::Lag],
        "dxvif" => &[Kind::VirtualInterface],
        "dx-gateway" => &[Kind::Gateway],
        "dx-resiliency-group" => &[Kind::ResiliencyGroup],
        _ => return Err(bad()),
    };
    if id.is_empty() {
        return Err(bad());
    }
    Ok(ArnRef {
        region,
        account,
        kinds,
        id,
    })
}

/// Finds the caller's resource an ARN names. An empty region or account in the ARN matches any.
fn resolve(
    svc: &Emulator,
    cx: &RequestContext,
    arn: &str,
) -> Result<(Record, Doc<Value, Value>), ApiError> {
    let r = parse_arn(arn)?;
    // Resiliency group ids match in any case; they are stored in lower case.
    let id = if r.kinds == [Kind::ResiliencyGroup] {
        std::borrow::Cow::Owned(r.id.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(r.id)
    };
    for kind in r.kinds {
        let Some((rec, doc)) = svc.load::<Value, Value>(*kind, &id)? else {
            continue;
        };
        let regional = *kind != Kind::Gateway;
        let visible = rec.account == cx.account
            && (!regional || rec.region == cx.region)
            && (r.account.is_empty() || r.account == rec.account)
            && (!regional || r.region.is_empty() || r.region == rec.region);
        if visible {
            return Ok((rec, doc));
        }
    }
    Err(ApiError::client(format!(
        "Could not find a resource with ARN {arn}"
    )))
}

fn tags_of(doc: &Doc<Value, Value>) -> Vec<Tag> {
    doc.wire
        .get("tags")
        .and_then(|t| serde_json::from_value(t.clone()).ok())
        .unwrap_or_default()
}

fn save_tags(
    svc: &Emulator,
    cx: &RequestContext,
    rec: &Record,
    mut doc: Doc<Value, Value>,
    tags: Vec<Tag>,
) -> Result<(), ApiError> {
    if let Some(obj) = doc.wire.as_object_mut() {
        let value = serde_json::to_value(tags)
            .map_err(|_| ApiError::server("Internal error while storing tags"))?;
        obj.insert("tags".into(), value);
    }
    let new = svc.record(rec, &rec.state, &doc, None)?;
    svc.commit(cx, vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(())
}

pub(crate) fn tag_resource(
    svc: &Emulator,
    cx: &RequestContext,
    input: TagResourceRequest,
) -> Result<TagResourceResponse, ApiError> {
    check_request(&input.tags)?;
    let _guard = svc.lock()?;
    let (rec, doc) = resolve(svc, cx, &input.resource_arn)?;
    let mut tags = tags_of(&doc);
    for t in input.tags {
        match tags.iter_mut().find(|e| e.key == t.key) {
            Some(existing) => existing.value = t.value,
            None => tags.push(t),
        }
    }
    let count = tags.iter().filter(|t| !is_reserved(&t.key)).count();
    if count > MAX_TAGS {
        return Err(too_many(count));
    }
    save_tags(svc, cx, &rec, doc, tags)?;
    Ok(TagResourceResponse {})
}

pub(crate) fn untag_resource(
    svc: &Emulator,
    cx: &RequestContext,
    input: UntagResourceRequest,
) -> Result<UntagResourceResponse, ApiError> {
    if let Some(k) = input.tag_keys.iter().find(|k| is_reserved(k)) {
        return Err(reserved_error(k));
    }
    let _guard = svc.lock()?;
    let (rec, doc) = resolve(svc, cx, &input.resource_arn)?;
    let mut tags = tags_of(&doc);
    tags.retain(|t| !input.tag_keys.contains(&t.key));
    save_tags(svc, cx, &rec, doc, tags)?;
    Ok(UntagResourceResponse {})
}

pub(crate) fn describe_tags(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeTagsRequest,
) -> Result<DescribeTagsResponse, ApiError> {
    let resource_tags = input
        .resource_arns
        .into_iter()
        .map(|arn| {
            let (_, doc) = resolve(svc, cx, &arn)?;
            Ok(ResourceTag {
                tags: Some(tags_of(&doc)),
                resource_arn: Some(arn),
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(DescribeTagsResponse {
        resource_tags: Some(resource_tags),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns() {
        let r =
            parse_arn("arn:aws:directconnect:us-east-1:111111111111:dxcon/dxcon-fabc1234").unwrap();
        assert_eq!(
            (r.region, r.account, r.id),
            ("us-east-1", "111111111111", "dxcon-fabc1234")
        );
        let g = parse_arn(
            "arn:aws:directconnect::111111111111:dx-gateway/5f294f92-bafb-4011-916d-9b0bd0000000",
        )
        .unwrap();
        assert_eq!(g.kinds, &[Kind::Gateway]);
        let empty_account =
            parse_arn("arn:aws:directconnect:us-east-1::dxvif/dxvif-fabc1234").unwrap();
        assert_eq!(empty_account.account, "");
        for bad in [
            "",
            "arn:aws:ec2:us-east-1:1:dxcon/x",
            "arn:aws:directconnect:r:a:thing/x",
            "arn:aws:directconnect:r:a:dxcon/",
        ] {
            assert!(parse_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_checks() {
        let t = |k: &str| Tag {
            key: k.into(),
            value: None,
        };
        assert_eq!(
            check_request(&[t("a"), t("a")]).unwrap_err().code,
            ErrorCode::DuplicateTagKeysException
        );
        assert_eq!(
            check_request(&[t("aws:x")]).unwrap_err().code,
            ErrorCode::DirectConnectClientException
        );
        let many: Vec<_> = (0..51).map(|i| t(&format!("k{i}"))).collect();
        assert_eq!(
            validate_new(many).unwrap_err().code,
            ErrorCode::TooManyTagsException
        );
    }
}
