/// Who is calling, where, and when: built once per request.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The `x-amzn-RequestId` of this request.
    pub request_id: String,
    /// The caller's 12-digit account id.
    pub account: String,
    /// The region from the request's credential scope.
    pub region: String,
    /// Request time in epoch milliseconds, from the emulator's clock.
    pub now_ms: i64,
}

impl RequestContext {
    /// Request time as epoch seconds, the wire form of timestamps.
    pub fn now_secs(&self) -> f64 {
        self.now_ms as f64 / 1000.0
    }
}
