//! Input validation against the model's constraints, then typed decoding.
//!
//! The generated `schema` module describes every input shape; this module walks
//! a JSON body against it. A member of the wrong JSON type is a
//! `SerializationException`; a missing required member or a value outside its
//! length, enum or pattern is a `DirectConnectClientException` naming the member.

use super::ApiError;
use base64::Engine as _;
use regex::Regex;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::LazyLock;

/// Constraints of a string shape.
#[derive(Debug)]
pub struct StrRule {
    pub min: Option<usize>,
    pub max: Option<usize>,
    pub values: &'static [&'static str],
    pub pattern: Option<&'static LazyLock<Option<Regex>>>,
}

/// One member of a structure shape.
#[derive(Debug)]
pub struct Member {
    pub name: &'static str,
    pub required: bool,
    pub shape: &'static Shape,
}

/// An input shape of the model.
#[derive(Debug)]
pub enum Shape {
    Str(StrRule),
    Int,
    Long,
    Bool,
    Timestamp,
    Blob,
    List {
        member: &'static Shape,
        min: Option<usize>,
        max: Option<usize>,
    },
    Struct(&'static [Member]),
}

/// A structure with no members: what operations without input accept.
pub static ANY_STRUCT: Shape = Shape::Struct(&[]);

/// Validates `body` against `shape`, then decodes it into `T`.
pub fn decode<T: DeserializeOwned>(body: Value, shape: &Shape) -> Result<T, ApiError> {
    if !body.is_object() {
        return Err(ApiError::serialization(
            "Start of structure or map found where not expected: the request body must be a JSON object",
        ));
    }
    let mut problems = Vec::new();
    check(&body, shape, "", &mut problems)?;
    if !problems.is_empty() {
        let n = problems.len();
        let noun = if n == 1 { "error" } else { "errors" };
        return Err(ApiError::client(format!(
            "{n} validation {noun} detected: {}",
            problems.join("; ")
        )));
    }
    serde_json::from_value(body)
        .map_err(|e| ApiError::serialization(format!("Cannot decode the request: {e}")))
}

/// Encodes a response body.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, ApiError> {
    to_json(value).map_err(|e| {
        tracing::error!(error = %e, "failed to encode a response");
        ApiError::server("Internal error while encoding the response")
    })
}

/// JSON text of `value`, written into a buffer sized for one resource
/// ([`super::ENCODE_CAPACITY`]) so that serde need not regrow it.
pub fn to_json<T: Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(super::ENCODE_CAPACITY);
    serde_json::to_writer(&mut out, value)?;
    Ok(out)
}

fn type_error(path: &str, expected: &str) -> ApiError {
    let at = if path.is_empty() {
        "the request body"
    } else {
        path
    };
    ApiError::serialization(format!("Unexpected value at '{at}': expected {expected}"))
}

fn join(path: &str, member: &str) -> String {
    if path.is_empty() {
        member.to_string()
    } else {
        format!("{path}.{member}")
    }
}

/// Walks one value. Type mismatches abort at once; constraint violations are collected.
fn check(
    value: &Value,
    shape: &Shape,
    path: &str,
    problems: &mut Vec<String>,
) -> Result<(), ApiError> {
    match shape {
        Shape::Str(rule) => {
            let Value::String(s) = value else {
                return Err(type_error(path, "a string"));
            };
            check_str(s, rule, path, problems);
        }
        Shape::Int => {
            let ok = value.as_i64().is_some_and(|n| i32::try_from(n).is_ok());
            if !ok {
                return Err(type_error(path, "a 32-bit integer"));
            }
        }
        Shape::Long => {
            if value.as_i64().is_none() {
                return Err(type_error(path, "a 64-bit integer"));
            }
        }
        Shape::Bool => {
            if !value.is_boolean() {
                return Err(type_error(path, "a boolean"));
            }
        }
        Shape::Timestamp => {
            if !value.is_number() {
                return Err(type_error(path, "a timestamp in epoch seconds"));
            }
        }
        Shape::Blob => {
            let ok = value.as_str().is_some_and(|s| {
                base64::engine::general_purpose::STANDARD
                    .decode(s.as_bytes())
                    .is_ok()
            });
            if !ok {
                return Err(type_error(path, "base64-encoded binary data"));
            }
        }
        Shape::List { member, min, max } => {
            let Value::Array(items) = value else {
                return Err(type_error(path, "a list"));
            };
            if let Some(min) = min
                && items.len() < *min
            {
                problems.push(format!(
                    "Value at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
                ));
            }
            if let Some(max) = max
                && items.len() > *max
            {
                problems.push(format!(
                    "Value at '{path}' failed to satisfy constraint: Member must have length less than or equal to {max}"
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let p = format!("{path}.{}.member", i + 1);
                if item.is_null() {
                    return Err(type_error(&p, "a value, not null"));
                }
                check(item, member, &p, problems)?;
            }
        }
        Shape::Struct(members) => {
            let Value::Object(map) = value else {
                return Err(type_error(path, "a structure"));
            };
            // A member's path is written out only for a member that is
            // there or missing: most optional ones are neither.
            for m in members.iter() {
                match map.get(m.name) {
                    None | Some(Value::Null) => {
                        if m.required {
                            let p = join(path, m.name);
                            problems.push(format!(
                                "Value null at '{p}' failed to satisfy constraint: Member must not be null"
                            ));
                        }
                    }
                    Some(v) if path.is_empty() => check(v, m.shape, m.name, problems)?,
                    Some(v) => check(v, m.shape, &join(path, m.name), problems)?,
                }
            }
        }
    }
    Ok(())
}

fn check_str(s: &str, rule: &StrRule, path: &str, problems: &mut Vec<String>) {
    // The value as quoted in a message (only written out for one).
    let shown = || s.chars().take(64).collect::<String>();
    if !rule.values.is_empty() && !rule.values.contains(&s) {
        let shown = shown();
        problems.push(format!(
            "Value '{shown}' at '{path}' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
            rule.values.join(", ")
        ));
        return;
    }
    let len = s.chars().count();
    if let Some(min) = rule.min
        && len < min
    {
        let shown = shown();
        problems.push(format!(
            "Value '{shown}' at '{path}' failed to satisfy constraint: Member must have length greater than or equal to {min}"
        ));
    }
    if let Some(max) = rule.max
        && len > max
    {
        let shown = shown();
        problems.push(format!(
            "Value '{shown}' at '{path}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        ));
    }
    if let Some(pattern) = rule.pattern
        && let Some(re) = pattern.as_ref()
        && !re.is_match(s)
    {
        let shown = shown();
        problems.push(format!(
            "Value '{shown}' at '{path}' failed to satisfy constraint: Member must satisfy regular expression pattern: {}",
            re.as_str()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ErrorCode;
    use crate::api::generated::schema;
    use crate::api::generated::types::{CreateConnectionRequest, TagResourceRequest};
    use serde_json::json;

    #[test]
    fn missing_required_member_is_named() {
        let err = decode::<CreateConnectionRequest>(
            json!({"location": "EqDC2", "bandwidth": "1Gbps"}),
            &schema::S_CREATE_CONNECTION_REQUEST,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::DirectConnectClientException);
        assert!(err.message.contains("'connectionName'"), "{}", err.message);
    }

    #[test]
    fn wrong_type_is_a_serialization_error() {
        let err = decode::<CreateConnectionRequest>(
            json!({"location": "EqDC2", "bandwidth": 1, "connectionName": "x"}),
            &schema::S_CREATE_CONNECTION_REQUEST,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::SerializationException);
        assert!(err.message.contains("'bandwidth'"), "{}", err.message);
    }

    #[test]
    fn tag_constraints_name_the_nested_member() {
        let long = "k".repeat(129);
        let err = decode::<TagResourceRequest>(
            json!({"resourceArn": "arn", "tags": [{"key": "ok"}, {"key": long, "value": "bad<"}]}),
            &schema::S_TAG_RESOURCE_REQUEST,
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::DirectConnectClientException);
        assert!(
            err.message.starts_with("2 validation errors"),
            "{}",
            err.message
        );
        assert!(err.message.contains("tags.2.member.key"), "{}", err.message);
        assert!(
            err.message.contains("tags.2.member.value"),
            "{}",
            err.message
        );
    }

    #[test]
    fn unknown_members_are_ignored() {
        let req: CreateConnectionRequest = decode(
            json!({"location": "EqDC2", "bandwidth": "1Gbps", "connectionName": "x", "future": 1}),
            &schema::S_CREATE_CONNECTION_REQUEST,
        )
        .unwrap();
        assert_eq!(req.connection_name, "x");
    }
}
