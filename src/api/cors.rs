//! CORS, as AWS's JSON-protocol endpoints answer browsers: a preflight
//! `OPTIONS` is allowed for any origin, with the method and headers the
//! browser asks for; every answer to a cross-origin call names any origin as
//! allowed and exposes the request id and error headers to the page.
//!
//! [I] Recorded preflights of other AWS JSON 1.1 services (ACM, CodeBuild)
//! answer 200 with exactly these headers; none of Direct Connect's own was
//! found, so dxemu answers as they do.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

/// Response headers a page's script may read.
const EXPOSE: &str = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date";
/// How long (seconds) a browser may keep a preflight's answer.
const MAX_AGE: &str = "172800";
/// Headers allowed when a preflight names none.
const DEFAULT_HEADERS: &str = "Content-Type,X-Amz-Target,X-Amz-Date,X-Amz-Security-Token,X-Amz-User-Agent,Authorization,amz-sdk-invocation-id,amz-sdk-request,smithy-protocol";

/// The answer to a preflight `OPTIONS` request.
pub fn preflight(request: &HeaderMap, request_id: &str) -> Response {
    let method = request
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .cloned()
        .unwrap_or(HeaderValue::from_static("POST"));
    let headers = request
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or(HeaderValue::from_static(DEFAULT_HEADERS));
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::OK;
    let h = response.headers_mut();
    if let Ok(id) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-RequestId", id);
    }
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, method);
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, headers);
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    response
}

/// Whether a request comes from a page of another origin (a browser sends
/// `Origin` then): only such answers need the CORS headers.
pub fn cross_origin(request: &HeaderMap) -> bool {
    request.contains_key(header::ORIGIN)
}

/// Lets the page that made a cross-origin call read its answer.
pub fn allow(response: &mut Response) {
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preflight_allows_what_the_browser_asks_for() {
        let mut req = HeaderMap::new();
        req.insert(header::ORIGIN, HeaderValue::from_static("http://page.test"));
        req.insert(
            header::ACCESS_CONTROL_REQUEST_METHOD,
            HeaderValue::from_static("POST"),
        );
        req.insert(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            HeaderValue::from_static("content-type,x-amz-target,authorization"),
        );
        let r = preflight(&req, "id-1");
        let h = r.headers();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(h[header::ACCESS_CONTROL_ALLOW_METHODS], "POST");
        assert_eq!(
            h[header::ACCESS_CONTROL_ALLOW_HEADERS],
            "content-type,x-amz-target,authorization"
        );
        assert_eq!(h[header::ACCESS_CONTROL_EXPOSE_HEADERS], EXPOSE);
        assert_eq!(h[header::ACCESS_CONTROL_MAX_AGE], "172800");
        assert_eq!(h["x-amzn-RequestId"], "id-1");
    }

    #[test]
    fn answers_to_pages_expose_the_request_id() {
        let mut r = Response::new(Body::empty());
        allow(&mut r);
        assert_eq!(r.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(
            r.headers()[header::ACCESS_CONTROL_EXPOSE_HEADERS]
                .to_str()
                .is_ok_and(|v| v.contains("x-amzn-RequestId"))
        );
        let mut plain = HeaderMap::new();
        assert!(!cross_origin(&plain));
        plain.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(cross_origin(&plain));
    }
}
