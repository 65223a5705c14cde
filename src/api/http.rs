//! The HTTP surface: `POST /` for the AWS API, `/_dxemu/*` for the emulator itself.

use super::cache::{self, ReadCache};
use super::faults::Faults;
use super::generated::dispatch::dispatch;
use super::generated::service::DirectConnect;
use super::{AccountMap, ApiError, Operation, RequestContext};
use crate::clock::Clock;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

const JSON_11: &str = "application/x-amz-json-1.1";

/// The wire protocol of an API request; its answer speaks the same one.
/// Only the decoding of the body and the encoding of the answer differ:
/// authentication, faults, the read cache, the write queue, durability and
/// logging are the same for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// AWS JSON 1.1: `POST /` with `X-Amz-Target: OvertureService.<Name>`.
    Json11,
    /// Smithy RPC v2 CBOR: `POST /service/OvertureService/operation/<Name>`
    /// (see `super::cbor`).
    RpcV2Cbor,
}

/// What the HTTP layer needs from the emulator besides the operations.
pub trait Backend: DirectConnect + crate::control::Control {
    /// Runs before every operation that may write (the lifecycle engine
    /// catches up here).
    fn prepare(&self, cx: &RequestContext) -> Result<(), ApiError>;
    /// Runs before a read-only operation: like `prepare`, but it must not
    /// wait for a writer.
    fn prepare_read(&self, cx: &RequestContext) -> Result<(), ApiError> {
        self.prepare(cx)
    }
    /// The stored state's generation, when answers may be cached by it.
    fn generation(&self) -> Option<u64> {
        None
    }
    /// The number of the latest commit anyone may have read (see
    /// `Store::horizon`).
    fn horizon(&self) -> u64 {
        0
    }
    /// Follows how far commits are durable, for a store that makes them
    /// durable in the background (see `Store::durability`).
    fn durability(&self) -> Option<tokio::sync::watch::Receiver<crate::store::Durable>> {
        None
    }
    /// Runs `then` once commit `n` is durable (see `Store::after_durable`).
    fn after_durable(&self, n: u64, then: crate::store::OnDurable) {
        let _ = n;
        then(true);
    }
    /// Whether `group` commits many requests' writes together.
    fn groups_writes(&self) -> bool {
        false
    }
    /// Runs `body`, whose writes commit together when it returns (see
    /// `Store::group`); fails when that commit fails.
    fn group(&self, body: &mut dyn FnMut()) -> Result<(), ApiError> {
        body();
        Ok(())
    }
    /// Deferred housekeeping, run once a group's callers are answered (see
    /// `Store::maintain`).
    fn maintain(&self) {}
}

/// The HTTP handlers' handle on their shared state: cloned for every
/// request (by each extractor that takes it), so one reference count, not
/// one per member.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// Shared state of the HTTP handlers.
pub struct Shared {
    pub backend: Arc<dyn Backend>,
    pub accounts: Arc<AccountMap>,
    pub clock: Arc<dyn Clock>,
    /// Faults injected through the control API.
    pub faults: Arc<Faults>,
    /// How long an API request may take.
    pub request_timeout: std::time::Duration,
    /// Answers of read-only calls; `None` when caching is off.
    pub read_cache: Option<Arc<ReadCache>>,
    /// SigV4 verification and control API protection.
    pub auth: Arc<super::auth::AuthConfig>,
    /// The writer thread that commits writes in groups; `None` when the
    /// store cannot group them.
    pub writes: Option<Arc<super::writes::WriteQueue>>,
    /// How far commits are durable, when the store fsyncs in the
    /// background; answers wait for it.
    pub durable: Option<tokio::sync::watch::Receiver<crate::store::Durable>>,
}

/// Waits until every commit the answer about to be sent may reflect is on
/// disk; fails when it cannot get there (an fsync failed).
pub(crate) async fn settle(state: &AppState) -> Result<(), ApiError> {
    settle_through(state, None).await
}

/// Waits until every commit up to `through` (by default, the horizon: all
/// anyone may have read) is on disk.
async fn settle_through(state: &AppState, through: Option<u64>) -> Result<(), ApiError> {
    let Some(mut durable) = state.durable.clone() else {
        return Ok(());
    };
    let horizon = through.unwrap_or_else(|| state.backend.horizon());
    let reached = durable
        .wait_for(|d| d.through >= horizon || d.failed)
        .await
        .map(|d| d.through >= horizon);
    match reached {
        Ok(true) => Ok(()),
        _ => {
            tracing::error!(horizon, "an answer cannot be made durable");
            Err(ApiError::server(
                "Internal error: the change could not be written to disk",
            ))
        }
    }
}

/// Builds the router for the AWS API and the emulator's own endpoints.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", post(aws_api).get(pointer))
        .route("/_dxemu", get(to_dashboard))
        .route("/_dxemu/", get(to_dashboard))
        .route("/_dxemu/health", get(health))
        .route("/_dxemu/login", get(super::guard::login))
        .merge(super::admin::routes())
        .merge(super::ui::routes())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            super::guard::admin_guard,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// The service the server runs: `POST /`, every AWS API call, goes straight
/// to its handler; everything else through the router (its admin guard lets
/// `POST /` through anyway, and the handler applies the body limit itself).
/// Skipping the router's matching and layers makes the calls that every
/// client makes cheaper.
#[derive(Clone)]
pub struct Front {
    state: AppState,
    router: Router,
}

impl Front {
    pub fn new(state: AppState) -> Self {
        Self {
            router: router(state.clone()),
            state,
        }
    }
}

type FrontFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, Infallible>> + Send>>;

impl tower_service::Service<axum::extract::Request> for Front {
    type Response = Response;
    type Error = Infallible;
    type Future = FrontFuture;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::extract::Request) -> FrontFuture {
        // Browsers: for the AWS API (not the emulator's own /_dxemu/ routes,
        // which no other page should read), a preflight is answered here, and
        // an answer to a page of another origin says the page may read it.
        let aws = !request.uri().path().starts_with("/_dxemu");
        if aws && request.method() == Method::OPTIONS {
            let answer = super::cors::preflight(request.headers(), &request_id());
            return Box::pin(async move { Ok(answer) });
        }
        let cross_origin = aws && super::cors::cross_origin(request.headers());
        let protocol = match request.uri().path() {
            _ if request.method() != Method::POST => None,
            "/" => Some(Protocol::Json11),
            path if super::cbor::is_rpc_path(path) => Some(Protocol::RpcV2Cbor),
            _ => None,
        };
        let answer: FrontFuture = if let Some(protocol) = protocol {
            let state = self.state.clone();
            Box::pin(async move { Ok(serve_api(state, request, protocol).await) })
        } else {
            Box::pin(tower_service::Service::call(&mut self.router, request))
        };
        if !cross_origin {
            return answer;
        }
        Box::pin(async move {
            let mut response = answer.await?;
            super::cors::allow(&mut response);
            Ok(response)
        })
    }
}

/// One `Front` per connection, as axum's server asks of the service it runs.
impl<L: axum::serve::Listener> tower_service::Service<axum::serve::IncomingStream<'_, L>>
    for Front
{
    type Response = Front;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Front, Infallible>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: axum::serve::IncomingStream<'_, L>) -> Self::Future {
        std::future::ready(Ok(self.clone()))
    }
}

async fn health() -> Response {
    let body = serde_json::json!({
        "status": "ok",
        "service": "dxemu",
        "version": env!("CARGO_PKG_VERSION"),
        "operations": super::generated::OPERATION_COUNT,
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `GET /`: a person who opens the endpoint in a browser learns where to go.
async fn pointer() -> Response {
    let body = serde_json::json!({
        "service": "dxemu",
        "message": "A local emulator of the AWS Direct Connect API: send AWS API calls to POST / (AWS JSON 1.1); see the dashboard and the control API under /_dxemu/.",
        "dashboard": "/_dxemu/ui",
        "health": "/_dxemu/health",
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// `/_dxemu/`: the dashboard.
async fn to_dashboard() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, "/_dxemu/ui")]).into_response()
}

async fn not_found() -> Response {
    let err = ApiError::new(
        super::ErrorCode::UnknownOperationException,
        "dxemu answers the Direct Connect API on POST / (AWS JSON 1.1) and on POST /service/OvertureService/operation/<OperationName> (Smithy RPC v2 CBOR), and its own endpoints under /_dxemu/",
    );
    let mut resp = error_response(&err, &request_id());
    *resp.status_mut() = StatusCode::NOT_FOUND;
    resp
}

async fn aws_api(State(state): State<AppState>, request: axum::extract::Request) -> Response {
    serve_api(state, request, Protocol::Json11).await
}

/// Answers one API call in `protocol`.
async fn serve_api(
    state: AppState,
    request: axum::extract::Request,
    protocol: Protocol,
) -> Response {
    let started = Instant::now();
    // Taken apart rather than extracted piece by piece: the extractors
    // would copy the method, the URI and every header.
    let (parts, body) = request.into_parts();
    let (method, uri, headers) = (&parts.method, &parts.uri, &parts.headers);
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES).await;
    let request_id = request_id();
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let mut identity = state.accounts.resolve(auth);
    let verified = match &body {
        Ok(bytes) => state
            .auth
            .authenticate(method, uri, headers, bytes, &mut identity),
        Err(_) => Ok(()),
    };
    let (op, op_name): (_, std::borrow::Cow<'static, str>) = match protocol {
        Protocol::Json11 => {
            let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok());
            let op = parse_target(target);
            let name = match (&op, target) {
                (Ok(op), _) => op.name().into(),
                (Err(_), Some(t)) => t.chars().take(80).collect::<String>().into(),
                (Err(_), None) => "-".into(),
            };
            (op, name)
        }
        Protocol::RpcV2Cbor => {
            let body_len = body.as_ref().map_or(0, |b| b.len());
            let op = super::cbor::route(headers, uri.path(), body_len);
            let name = match &op {
                Ok(op) => op.name().into(),
                Err(_) => uri.path().chars().take(120).collect::<String>().into(),
            };
            (op, name)
        }
    };
    // An answer speaks the protocol only to a client that named it.
    let speaks = protocol == Protocol::Json11 || super::cbor::speaks_cbor(headers);
    let cx = RequestContext {
        request_id: request_id.clone(),
        account: identity.account,
        region: identity.region,
        now_ms: state.clock.now_ms(),
    };
    let result = match (verified, op, body) {
        (Err(e), _, _) => Err(e),
        (Ok(()), Ok(op), Ok(body)) => {
            let call = async {
                match inject(&state, op, &cx.account).await {
                    Some(err) => Err(err),
                    None => run(&state, cx.clone(), op, body, protocol).await,
                }
            };
            match tokio::time::timeout(state.request_timeout, call).await {
                Ok(result) => result,
                Err(_) => Err(ApiError::server(format!(
                    "The request did not complete within {} s",
                    state.request_timeout.as_secs_f64()
                ))),
            }
        }
        (Ok(()), Err(e), _) => Err(e),
        (Ok(()), Ok(_), Err(rejection)) => Err(ApiError::serialization(format!(
            "The request body could not be read: {rejection} (the limit is {MAX_BODY_BYTES} bytes)"
        ))),
    };
    let (resp, failed) = match (protocol, result) {
        (Protocol::Json11, Ok(bytes)) => {
            let mut resp = Response::new(Body::from(bytes));
            set_common_headers(&mut resp, &request_id);
            (resp, None)
        }
        (Protocol::Json11, Err(err)) => (error_response(&err, &request_id), Some(err)),
        (Protocol::RpcV2Cbor, Ok(bytes)) => {
            let mut resp = Response::new(Body::from(bytes));
            set_cbor_headers(&mut resp, &request_id, speaks);
            (resp, None)
        }
        (Protocol::RpcV2Cbor, Err(err)) => {
            let mut resp = Response::new(Body::from(super::cbor::error_body(&err)));
            *resp.status_mut() = StatusCode::from_u16(super::cbor::status(&err))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            set_cbor_headers(&mut resp, &request_id, speaks);
            (resp, Some(err))
        }
    };
    let status = resp.status().as_u16();
    let latency_us = started.elapsed().as_micros() as u64;
    match &failed {
        // The error's type and text, so a log tells why a call was refused.
        Some(err) if status >= 500 => {
            tracing::error!(operation = %op_name, account = %cx.account, region = %cx.region, status, latency_us, request_id = %request_id, error = %err.code.as_str(), error_message = %err.message, "request")
        }
        Some(err) => {
            tracing::info!(operation = %op_name, account = %cx.account, region = %cx.region, status, latency_us, error = %err.code.as_str(), error_message = %err.message, "request")
        }
        None => {
            tracing::info!(operation = %op_name, account = %cx.account, region = %cx.region, status, latency_us, "request")
        }
    }
    resp
}

/// Applies the injected faults that match this call: waits out added
/// latency; returns the error to answer with, if one fires.
async fn inject(state: &AppState, op: Operation, account: &str) -> Option<ApiError> {
    let verdict = state.faults.check(op, account);
    if let Some(delay) = verdict.delay {
        tokio::time::sleep(delay).await;
    }
    verdict.error
}

/// Runs the operation, then holds its answer until what it reflects is durable.
async fn run(
    state: &AppState,
    cx: RequestContext,
    op: Operation,
    body: Bytes,
    protocol: Protocol,
) -> Result<Bytes, ApiError> {
    let (answer, through) = execute(state, cx, op, body, protocol).await;
    settle_through(state, through).await?;
    answer
}

/// Parses the body and runs the operation: on the writer thread when it
/// may write, else on a blocking thread (the store is synchronous) or from
/// the read cache. With the answer, the last commit it may reflect when that
/// is known (the writer's group), else `None`: anything read so far.
async fn execute(
    state: &AppState,
    cx: RequestContext,
    op: Operation,
    body: Bytes,
    protocol: Protocol,
) -> (Result<Bytes, ApiError>, Option<u64>) {
    let value: serde_json::Value = if protocol == Protocol::RpcV2Cbor {
        match super::cbor::decode_request(op, &body) {
            Ok(v) => v,
            Err(e) => return (Err(e), None),
        }
    } else if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Value::Object(Default::default())
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                let e = ApiError::serialization(format!("The request body is not valid JSON: {e}"));
                return (Err(e), None);
            }
        }
    };
    if let Some(queue) = &state.writes
        && super::writes::writes(op)
    {
        return match queue.run(cx, op, value).await {
            Ok(answer) => (
                answer.result.and_then(|json| answer_in(protocol, op, json)),
                Some(answer.through),
            ),
            Err(e) => (Err(e), None),
        };
    }
    (read(state, cx, op, body, value, protocol).await, None)
}

/// An operation's JSON answer in `protocol`.
fn answer_in(protocol: Protocol, op: Operation, json: Bytes) -> Result<Bytes, ApiError> {
    match protocol {
        Protocol::Json11 => Ok(json),
        Protocol::RpcV2Cbor => super::cbor::encode_answer(op, &json).map(Bytes::from),
    }
}

/// Runs a read-only call on a blocking thread or answers it from the cache.
async fn read(
    state: &AppState,
    cx: RequestContext,
    op: Operation,
    body: Bytes,
    value: serde_json::Value,
    protocol: Protocol,
) -> Result<Bytes, ApiError> {
    let backend = state.backend.clone();
    let read_cache = state.read_cache.clone().filter(|_| cache::cacheable(op));
    let joined = tokio::task::spawn_blocking(move || {
        backend.prepare_read(&cx)?;
        // The generation is read before the answer, so a kept answer is
        // never older than the generation it is filed under.
        let cached = read_cache.zip(backend.generation()).map(|(c, generation)| {
            let key = cache::Key {
                op,
                protocol,
                account: cx.account.clone(),
                region: cx.region.clone(),
                body,
            };
            (c, generation, key)
        });
        if let Some((c, generation, key)) = &cached
            && let Some(answer) = c.get(*generation, key)
        {
            return Ok(answer);
        }
        let answer = Bytes::from(dispatch(backend.as_ref(), &cx, op, value)?);
        let answer = answer_in(protocol, op, answer)?;
        if let Some((c, generation, key)) = cached {
            c.put(generation, key, answer.clone());
        }
        Ok(answer)
    })
    .await;
    match joined {
        Ok(result) => result,
        Err(e) => {
            tracing::error!(error = %e, operation = op.name(), "operation task failed");
            Err(ApiError::server("An internal error occurred"))
        }
    }
}

/// A fresh request id: a version 4 UUID, as AWS's look. Drawn from a fast
/// per-thread generator rather than the OS (a system call per request): it
/// names a request, it guards nothing.
fn request_id() -> String {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes())
        .into_uuid()
        .to_string()
}

fn parse_target(target: Option<&str>) -> Result<Operation, ApiError> {
    let unknown = |t: &str| {
        ApiError::new(
            super::ErrorCode::UnknownOperationException,
            format!("Operation {t} is not recognized"),
        )
    };
    let Some(target) = target else {
        return Err(ApiError::new(
            super::ErrorCode::UnknownOperationException,
            "Missing X-Amz-Target header",
        ));
    };
    let name = target
        .strip_prefix(Operation::TARGET_PREFIX)
        .and_then(|rest| rest.strip_prefix('.'))
        .ok_or_else(|| unknown(target))?;
    Operation::from_name(name).ok_or_else(|| unknown(target))
}

fn set_common_headers(resp: &mut Response, request_id: &str) {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_11));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
}

/// The headers of every Smithy RPC v2 CBOR answer; `smithy-protocol` only
/// to a request that named the protocol (the answer must match it).
fn set_cbor_headers(resp: &mut Response, request_id: &str, speaks: bool) {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(super::cbor::CONTENT_TYPE),
    );
    if speaks {
        h.insert(
            super::cbor::PROTOCOL_HEADER,
            HeaderValue::from_static(super::cbor::RPC_V2_CBOR),
        );
    }
    if let Ok(v) = HeaderValue::from_str(request_id) {
        h.insert("x-amzn-requestid", v);
    }
}

fn error_response(err: &ApiError, request_id: &str) -> Response {
    let body = serde_json::json!({ "__type": err.code.as_str(), "message": err.message });
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() =
        StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    set_common_headers(&mut resp, request_id);
    resp.headers_mut().insert(
        "x-amzn-errortype",
        HeaderValue::from_static(err.code.as_str()),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_version_4_uuids() {
        let (a, b) = (request_id(), request_id());
        assert_ne!(a, b);
        let parsed = uuid::Uuid::parse_str(&a).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
    }

    #[test]
    fn targets() {
        assert_eq!(
            parse_target(Some("OvertureService.DescribeConnections")).unwrap(),
            Operation::DescribeConnections
        );
        for bad in [
            "DescribeConnections",
            "OvertureService.Nope",
            "Other.DescribeConnections",
        ] {
            assert_eq!(
                parse_target(Some(bad)).unwrap_err().code,
                super::super::ErrorCode::UnknownOperationException
            );
        }
        assert!(parse_target(None).is_err());
    }
}
