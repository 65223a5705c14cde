//! The AWS JSON 1.1 wire layer: HTTP in, typed calls to the service out.
//!
//! Nothing here knows about storage; nothing in `service` knows about HTTP.

pub mod admin;
pub mod auth;
pub mod cache;
pub mod cbor;
mod context;
pub mod cors;
mod error;
pub mod faults;
pub mod generated;
pub mod guard;
pub mod http;
mod identity;
pub mod ui;
pub mod validate;
pub mod wire;
pub mod writes;

pub use context::RequestContext;
pub use error::ApiError;
pub use generated::errors::ErrorCode;
pub use generated::operation::Operation;
pub use identity::{AccountMap, Identity, is_account_id};

/// Bytes set aside for an encoded answer or stored document: a single
/// resource fits, so serde writes it without regrowing its buffer.
pub const ENCODE_CAPACITY: usize = 640;
