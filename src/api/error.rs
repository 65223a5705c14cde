use super::{ErrorCode, Operation};

/// An error as the client sees it: a modeled code and a message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct ApiError {
    /// The `__type` of the error body.
    pub code: ErrorCode,
    /// The human-readable `message`.
    pub message: String,
}

impl ApiError {
    /// An error with an explicit code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A `DirectConnectClientException`: the caller asked for something invalid.
    pub fn client(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::DirectConnectClientException, message)
    }

    /// A `DirectConnectServerException` with a message safe to show the caller.
    pub fn server(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::DirectConnectServerException, message)
    }

    /// A body that is not JSON, or a member of the wrong JSON type.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::SerializationException, message)
    }

    /// An operation of the model that dxemu does not answer yet.
    pub fn not_implemented(op: Operation) -> Self {
        Self::server(format!("{} is not implemented by dxemu yet", op.name()))
    }

    /// The HTTP status AWS uses for this code.
    pub fn status(&self) -> u16 {
        match self.code {
            ErrorCode::DirectConnectServerException => 500,
            ErrorCode::MissingAuthenticationTokenException => 403,
            _ => 400,
        }
    }
}
