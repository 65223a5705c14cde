//! The Smithy RPC v2 CBOR protocol (`smithy.protocols#rpcv2Cbor`), served
//! beside AWS JSON 1.1 on the same port.
//!
//! A request is `POST {prefix?}/service/OvertureService/operation/<Name>`
//! with `smithy-protocol: rpc-v2-cbor` and a CBOR body (`application/cbor`;
//! empty for an operation without input). Only the edges differ from AWS
//! JSON 1.1: the body is converted, guided by the operation's input schema,
//! into the JSON document the validator and the generated dispatch already
//! take (tag-1 timestamps become epoch-second numbers, byte strings base64
//! text), and the JSON answer is converted back, guided by the generated
//! output shapes (`generated::output`), into CBOR: timestamps as tag 1 epoch
//! seconds, blobs as byte strings, absent members omitted. Errors are a CBOR
//! map of `__type` (the error's absolute shape id) and `message`, with the
//! error's HTTP status.

use super::generated::dispatch::input_shape;
use super::generated::output::output_shape;
use super::validate::Shape;
use super::{ApiError, ErrorCode, Operation};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ciborium::Value as Cbor;
use serde_json::Value as Json;

/// The media type of every request and answer body.
pub const CONTENT_TYPE: &str = "application/cbor";
/// The header naming the protocol on requests and answers.
pub const PROTOCOL_HEADER: &str = "smithy-protocol";
/// Its value for this protocol.
pub const RPC_V2_CBOR: &str = "rpc-v2-cbor";
/// The service's name in the path: its shape name (the JSON target prefix).
const SERVICE: &str = Operation::TARGET_PREFIX;

/// The type of an output member, as the encoder needs it (generated into
/// `generated::output` from the model).
#[derive(Debug)]
pub enum Out {
    Str,
    Int,
    Bool,
    Double,
    Timestamp,
    Blob,
    List(&'static Out),
    Struct(&'static [(&'static str, &'static Out)]),
}

/// Whether `path` has the protocol's form,
/// `{prefix?}/service/<service>/operation/<operation>`: such a request is
/// answered by this protocol, even when it names an unknown service or
/// operation.
pub fn is_rpc_path(path: &str) -> bool {
    split_path(path).is_some()
}

/// The service and operation segments of a path of the protocol's form.
fn split_path(path: &str) -> Option<(&str, &str)> {
    let at = path.rfind("/service/")?;
    let rest = &path[at + "/service/".len()..];
    let mut parts = rest.split('/');
    let (service, word, operation) = (parts.next()?, parts.next()?, parts.next()?);
    (parts.next().is_none() && word == "operation").then_some((service, operation))
}

/// Whether `s` is a Smithy identifier (`[A-Za-z_][A-Za-z0-9_]*`, not only
/// underscores).
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.chars().any(|c| c != '_')
}

/// The operation a request path names. The service segment is the service's
/// shape name, or its absolute shape id with `#` written as `.`
/// (`com.amazonaws.directconnect.OvertureService`), as the protocol says
/// servers should accept; the operation segment is the bare operation name.
pub fn operation(path: &str) -> Result<Operation, ApiError> {
    let unknown = |what: &str| {
        ApiError::new(
            ErrorCode::UnknownOperationException,
            format!(
                "{what} is not recognized: dxemu serves {SERVICE} on POST /service/{SERVICE}/operation/<OperationName>"
            ),
        )
    };
    let Some((service, name)) = split_path(path) else {
        return Err(unknown("The path"));
    };
    let service_ok = match service.rsplit_once('.') {
        None => service == SERVICE,
        Some((namespace, last)) => last == SERVICE && namespace.split('.').all(is_identifier),
    };
    if !service_ok {
        return Err(unknown(&format!(
            "Service {}",
            service.chars().take(80).collect::<String>()
        )));
    }
    let op = is_identifier(name)
        .then(|| Operation::from_name(name))
        .flatten();
    op.ok_or_else(|| {
        unknown(&format!(
            "Operation {}",
            name.chars().take(80).collect::<String>()
        ))
    })
}

/// Routes a request: checks the headers the protocol requires of it
/// (`smithy-protocol: rpc-v2-cbor`, no `X-Amz-Target`), then the operation
/// its path names, then that its body, if any, is `application/cbor` (the
/// order smithy-rs's server checks them in).
pub fn route(
    headers: &axum::http::HeaderMap,
    path: &str,
    body_len: usize,
) -> Result<Operation, ApiError> {
    check_headers(headers)?;
    let op = operation(path)?;
    check_content_type(headers, body_len)?;
    Ok(op)
}

fn check_headers(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    if headers.contains_key("x-amz-target") || headers.contains_key("x-amzn-target") {
        return Err(ApiError::new(
            ErrorCode::UnknownOperationException,
            "A Smithy RPC v2 CBOR request must not carry an X-Amz-Target header",
        ));
    }
    if !speaks_cbor(headers) {
        return Err(ApiError::new(
            ErrorCode::UnknownOperationException,
            format!(
                "Missing or unsupported {PROTOCOL_HEADER} header: requests to /service/.../operation/... must carry `{PROTOCOL_HEADER}: {RPC_V2_CBOR}`"
            ),
        ));
    }
    Ok(())
}

fn check_content_type(headers: &axum::http::HeaderMap, body_len: usize) -> Result<(), ApiError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?"));
    let essence = content_type.map(|t| {
        t.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    match essence {
        Some(t) if t == CONTENT_TYPE => Ok(()),
        None if body_len == 0 => Ok(()),
        other => Err(ApiError::new(
            ErrorCode::UnsupportedMediaTypeException,
            format!(
                "The request body must be of type {CONTENT_TYPE}, not {}",
                other.unwrap_or_else(|| "(no Content-Type)".into())
            ),
        )),
    }
}

/// Whether the request names this protocol in `smithy-protocol`.
pub fn speaks_cbor(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(PROTOCOL_HEADER)
        .is_some_and(|v| v.as_bytes() == RPC_V2_CBOR.as_bytes())
}

/// The HTTP status of an error in this protocol: as in AWS JSON 1.1, but an
/// unknown operation is a 404 (the path names no route) and a body of the
/// wrong media type a 415.
pub fn status(err: &ApiError) -> u16 {
    match err.code {
        ErrorCode::UnknownOperationException => 404,
        ErrorCode::UnsupportedMediaTypeException => 415,
        _ => err.status(),
    }
}

/// The body of an error answer: `{"__type": <shape id>, "message": ...}`.
pub fn error_body(err: &ApiError) -> Vec<u8> {
    let map = Cbor::Map(vec![
        (text("__type"), text(err.code.shape_id())),
        (text("message"), text(&err.message)),
    ]);
    to_bytes(&map).unwrap_or_default()
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_string())
}

fn to_bytes(value: &Cbor) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::with_capacity(super::ENCODE_CAPACITY);
    ciborium::ser::into_writer(value, &mut out).map_err(|e| {
        tracing::error!(error = %e, "failed to encode a CBOR answer");
        ApiError::server("Internal error while encoding the response")
    })?;
    Ok(out)
}

/// Decodes a request body into the JSON document the validator checks.
/// An empty body is an empty input structure.
pub fn decode_request(op: Operation, body: &[u8]) -> Result<Json, ApiError> {
    if body.is_empty() {
        return Ok(Json::Object(Default::default()));
    }
    let mut rest = body;
    let value: Cbor = ciborium::de::from_reader(&mut rest)
        .map_err(|e| ApiError::serialization(format!("The request body is not valid CBOR: {e}")))?;
    if !rest.is_empty() {
        return Err(ApiError::serialization(format!(
            "The request body is not valid CBOR: {} bytes follow its single data item",
            rest.len()
        )));
    }
    if !matches!(value, Cbor::Map(_)) {
        return Err(ApiError::serialization(
            "Start of structure or map found where not expected: the request body must be a CBOR map",
        ));
    }
    to_json(value, input_shape(op), "")
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

/// An integer as a JSON number; one beyond 64 bits is out of every
/// integer shape's range.
fn json_integer(i: ciborium::value::Integer, path: &str, expected: &str) -> Result<Json, ApiError> {
    let n = i128::from(i);
    if let Ok(n) = i64::try_from(n) {
        Ok(Json::from(n))
    } else if let Ok(n) = u64::try_from(n) {
        Ok(Json::from(n))
    } else {
        Err(type_error(path, expected))
    }
}

/// Converts one CBOR value of the input into JSON, as the shape expects
/// it. CBOR-only types (byte strings, tags) are accepted only where the
/// shape has them; other mismatches are left to the validator, which reports
/// them as it does for JSON. Members the shape does not have are dropped
/// (the JSON path ignores them too); `null` and `undefined` stay null
/// (absent).
fn to_json(value: Cbor, shape: &Shape, path: &str) -> Result<Json, ApiError> {
    Ok(match (value, shape) {
        (Cbor::Null, _) => Json::Null,
        (Cbor::Map(entries), Shape::Struct(members)) => {
            let mut map = serde_json::Map::with_capacity(entries.len());
            for (key, item) in entries {
                let Cbor::Text(key) = key else {
                    return Err(type_error(path, "a structure with text keys"));
                };
                if let Some(m) = members.iter().find(|m| m.name == key) {
                    let p = join(path, m.name);
                    map.insert(key, to_json(item, m.shape, &p)?);
                }
            }
            Json::Object(map)
        }
        (Cbor::Array(items), Shape::List { member, .. }) => Json::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, item)| to_json(item, member, &format!("{path}.{}.member", i + 1)))
                .collect::<Result<_, _>>()?,
        ),
        (Cbor::Tag(1, inner), Shape::Timestamp) => match *inner {
            Cbor::Integer(i) => json_integer(i, path, "a timestamp in epoch seconds")?,
            Cbor::Float(f) => serde_json::Number::from_f64(f)
                .map(Json::Number)
                .ok_or_else(|| type_error(path, "a finite timestamp in epoch seconds"))?,
            _ => return Err(type_error(path, "a timestamp in epoch seconds")),
        },
        (_, Shape::Timestamp) => {
            return Err(type_error(path, "a timestamp (CBOR tag 1, epoch seconds)"));
        }
        (Cbor::Bytes(bytes), Shape::Blob) => Json::String(STANDARD.encode(bytes)),
        (_, Shape::Blob) => return Err(type_error(path, "a byte string")),
        (Cbor::Text(s), _) => Json::String(s),
        (Cbor::Bool(b), _) => Json::Bool(b),
        (Cbor::Integer(i), _) => json_integer(i, path, "a 64-bit integer")?,
        // A float is never a valid integer, string or structure: the
        // validator says so with the member's expected type.
        (Cbor::Float(f), _) => serde_json::Number::from_f64(f)
            .map(Json::Number)
            .ok_or_else(|| type_error(path, "a finite number"))?,
        (Cbor::Map(_), _) => Json::Object(Default::default()),
        (Cbor::Array(_), _) => Json::Array(Vec::new()),
        (Cbor::Bytes(_), _) => return Err(type_error(path, "no byte string here")),
        (Cbor::Tag(tag, _), _) => {
            return Err(type_error(path, &format!("no CBOR tag {tag} here")));
        }
        (_, _) => return Err(type_error(path, "a value the model defines")),
    })
}

/// Converts the JSON answer of `op` into its CBOR body.
pub fn encode_answer(op: Operation, json: &[u8]) -> Result<Vec<u8>, ApiError> {
    let value: Json = serde_json::from_slice(json).map_err(|e| {
        tracing::error!(error = %e, operation = op.name(), "an answer is not JSON");
        ApiError::server("Internal error while encoding the response")
    })?;
    let cbor = to_cbor(value, output_shape(op)).map_err(|what| {
        tracing::error!(error = %what, operation = op.name(), "an answer does not fit its output shape");
        ApiError::server("Internal error while encoding the response")
    })?;
    to_bytes(&cbor)
}

/// Converts one JSON value of an answer into CBOR as its shape says.
/// Nulls never reach here: structures skip them (absent members are
/// omitted), and the typed answers have none in lists.
fn to_cbor(value: Json, shape: &Out) -> Result<Cbor, String> {
    Ok(match (value, shape) {
        (Json::Object(mut map), Out::Struct(members)) => {
            // In the model's member order, as the JSON answer has them.
            let mut entries = Vec::with_capacity(map.len());
            for (name, member) in members.iter() {
                match map.remove(*name) {
                    None | Some(Json::Null) => {}
                    Some(item) => {
                        let item = to_cbor(item, member).map_err(|e| format!("{name}: {e}"))?;
                        entries.push((Cbor::Text(name.to_string()), item));
                    }
                }
            }
            if let Some(key) = map.keys().next() {
                return Err(format!("member {key} is not in the output shape"));
            }
            Cbor::Map(entries)
        }
        (Json::Array(items), Out::List(member)) => Cbor::Array(
            items
                .into_iter()
                .filter(|item| !item.is_null())
                .map(|item| to_cbor(item, member))
                .collect::<Result<_, _>>()?,
        ),
        (Json::Number(n), Out::Timestamp) => Cbor::Tag(1, Box::new(number(&n, true)?)),
        (Json::String(s), Out::Blob) => Cbor::Bytes(
            STANDARD
                .decode(s.as_bytes())
                .map_err(|e| format!("a blob is not base64: {e}"))?,
        ),
        (Json::Number(n), Out::Double) => Cbor::Float(n.as_f64().ok_or("not a number")?),
        (Json::Number(n), Out::Int) => number(&n, false)?,
        (Json::String(s), Out::Str) => Cbor::Text(s),
        (Json::Bool(b), Out::Bool) => Cbor::Bool(b),
        (v, shape) => return Err(format!("{v} does not fit {shape:?}")),
    })
}

/// A JSON number as a CBOR integer when it is one (a whole timestamp is
/// sent as an integer), else as a float.
fn number(n: &serde_json::Number, whole_floats: bool) -> Result<Cbor, String> {
    if let Some(i) = n.as_i64() {
        return Ok(Cbor::Integer(i.into()));
    }
    if let Some(u) = n.as_u64() {
        return Ok(Cbor::Integer(u.into()));
    }
    let f = n.as_f64().ok_or("not a number")?;
    if whole_floats && f.fract() == 0.0 && f.abs() < 9.0e15 {
        return Ok(Cbor::Integer((f as i64).into()));
    }
    if whole_floats {
        Ok(Cbor::Float(f))
    } else {
        Err(format!("{f} is not an integer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cbor(v: &Cbor) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(v, &mut out).unwrap();
        out
    }

    fn decode(bytes: &[u8]) -> Cbor {
        ciborium::de::from_reader(bytes).unwrap()
    }

    #[test]
    fn paths() {
        for ok in [
            "/service/OvertureService/operation/DescribeConnections",
            "/v1/service/OvertureService/operation/DescribeConnections",
            "/service/com.amazonaws.directconnect.OvertureService/operation/DescribeConnections",
        ] {
            assert_eq!(
                operation(ok).unwrap(),
                Operation::DescribeConnections,
                "{ok}"
            );
        }
        for unknown in [
            "/service/OvertureService/operation/Nope",
            "/service/Other/operation/DescribeConnections",
            "/service/com.x#OvertureService/operation/DescribeConnections",
            "/service/.OvertureService/operation/DescribeConnections",
            "/service/OvertureService/operation/OvertureService.DescribeConnections",
        ] {
            assert!(is_rpc_path(unknown), "{unknown}");
            assert_eq!(
                operation(unknown).unwrap_err().code,
                ErrorCode::UnknownOperationException,
                "{unknown}"
            );
        }
        for other in [
            "/",
            "/service/OvertureService",
            "/service/OvertureService/operation/DescribeConnections/",
            "/service/OvertureService/op/DescribeConnections",
        ] {
            assert!(!is_rpc_path(other), "{other}");
        }
    }

    #[test]
    fn requests_become_the_json_the_validator_checks() {
        let body = cbor(&Cbor::Map(vec![
            (text("connectionId"), text("dxcon-12345678")),
            (text("unknownMember"), Cbor::Bytes(vec![1])),
        ]));
        let v = decode_request(Operation::DescribeConnections, &body).unwrap();
        assert_eq!(v, serde_json::json!({"connectionId": "dxcon-12345678"}));
        assert_eq!(
            decode_request(Operation::DescribeLocations, b"").unwrap(),
            serde_json::json!({})
        );
        // An empty indefinite-length map, as some clients send for no input.
        assert_eq!(
            decode_request(Operation::DescribeLocations, &[0xbf, 0xff]).unwrap(),
            serde_json::json!({})
        );
        for bad in [&[0xff][..], &[0xa1, 0x61], &[0xa0, 0x00], &[0x01], &[0x9f]] {
            let err = decode_request(Operation::DescribeConnections, bad).unwrap_err();
            assert_eq!(err.code, ErrorCode::SerializationException, "{bad:?}");
        }
        let bytes_for_string = cbor(&Cbor::Map(vec![(
            text("connectionId"),
            Cbor::Bytes(b"x".to_vec()),
        )]));
        let err = decode_request(Operation::DescribeConnections, &bytes_for_string).unwrap_err();
        assert_eq!(
            err.message,
            "Unexpected value at 'connectionId': expected no byte string here"
        );
    }

    #[test]
    fn tagged_timestamps_and_byte_strings_of_inputs() {
        // No input of the model has one today: a shape made up for the test.
        use crate::api::validate::Member;
        static TS: Shape = Shape::Timestamp;
        static BLOB: Shape = Shape::Blob;
        static S: Shape = Shape::Struct(&[
            Member {
                name: "at",
                required: false,
                shape: &TS,
            },
            Member {
                name: "data",
                required: false,
                shape: &BLOB,
            },
        ]);
        let input = |at: Cbor, data: Cbor| {
            to_json(
                Cbor::Map(vec![(text("at"), at), (text("data"), data)]),
                &S,
                "",
            )
        };
        let tag = |v: Cbor| Cbor::Tag(1, Box::new(v));
        assert_eq!(
            input(
                tag(Cbor::Integer(1_700_000_000.into())),
                Cbor::Bytes(b"%PDF".to_vec())
            )
            .unwrap(),
            serde_json::json!({"at": 1_700_000_000, "data": "JVBERg=="})
        );
        assert_eq!(
            input(tag(Cbor::Float(1.5)), Cbor::Bytes(vec![])).unwrap(),
            serde_json::json!({"at": 1.5, "data": ""})
        );
        let untagged = input(Cbor::Integer(5.into()), Cbor::Bytes(vec![])).unwrap_err();
        assert_eq!(
            untagged.message,
            "Unexpected value at 'at': expected a timestamp (CBOR tag 1, epoch seconds)"
        );
        let text_blob = input(tag(Cbor::Integer(5.into())), text("JVBERg==")).unwrap_err();
        assert_eq!(
            text_blob.message,
            "Unexpected value at 'data': expected a byte string"
        );
        let tag_text = input(tag(text("2026-01-01")), Cbor::Bytes(vec![])).unwrap_err();
        assert_eq!(tag_text.code, ErrorCode::SerializationException);
    }

    #[test]
    fn answers_carry_tagged_timestamps_and_byte_strings() {
        let json = br#"{"loaContent":"JVBERg==","loaContentType":"application/pdf"}"#;
        let out = decode(&encode_answer(Operation::DescribeLoa, json).unwrap());
        assert_eq!(
            out,
            Cbor::Map(vec![
                (text("loaContent"), Cbor::Bytes(b"%PDF".to_vec())),
                (text("loaContentType"), text("application/pdf")),
            ])
        );
        let json = br#"{"connections":[{"connectionId":"dxcon-1","vlan":5,"loaIssueTime":1700000000.0,"jumboFrameCapable":true}]}"#;
        let out = decode(&encode_answer(Operation::DescribeConnections, json).unwrap());
        let Cbor::Map(top) = out else { panic!() };
        let Cbor::Array(list) = &top[0].1 else {
            panic!()
        };
        assert_eq!(
            list[0],
            Cbor::Map(vec![
                (text("connectionId"), text("dxcon-1")),
                (text("vlan"), Cbor::Integer(5.into())),
                (
                    text("loaIssueTime"),
                    Cbor::Tag(1, Box::new(Cbor::Integer(1_700_000_000.into())))
                ),
                (text("jumboFrameCapable"), Cbor::Bool(true)),
            ])
        );
        let fractional = br#"{"connections":[{"loaIssueTime":1700000000.25}]}"#;
        let out = decode(&encode_answer(Operation::DescribeConnections, fractional).unwrap());
        let Cbor::Map(top) = out else { panic!() };
        let Cbor::Array(list) = &top[0].1 else {
            panic!()
        };
        assert_eq!(
            list[0],
            Cbor::Map(vec![(
                text("loaIssueTime"),
                Cbor::Tag(1, Box::new(Cbor::Float(1_700_000_000.25)))
            )])
        );
    }

    #[test]
    fn errors_name_the_absolute_shape() {
        let err = ApiError::client("nope");
        assert_eq!(
            decode(&error_body(&err)),
            Cbor::Map(vec![
                (
                    text("__type"),
                    text("com.amazonaws.directconnect#DirectConnectClientException")
                ),
                (text("message"), text("nope")),
            ])
        );
        assert_eq!(status(&err), 400);
        let unknown = ApiError::new(ErrorCode::UnknownOperationException, "x");
        assert_eq!(status(&unknown), 404);
    }
}
