//! Direct Connect gateways, their associations with VGWs/TGWs, association
//! proposals between accounts, and attachments (the VIFs on a gateway).

use super::{Doc, Emulator};
use crate::api::generated::types::*;
use crate::api::{ApiError, Operation, RequestContext};
use crate::store::{Kind, Record};
use serde::{Deserialize, Serialize};

/// What the emulator keeps about a gateway besides its wire form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct GatewayExtra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
}

/// A stored gateway. Its record: kind `Gateway`, account = owner, region = ""
/// (gateways are global).
pub(crate) type GatewayDoc = Doc<DirectConnectGateway, GatewayExtra>;

/// A gateway of any account, unless unknown or deleted.
pub(crate) fn load_gateway(
    svc: &Emulator,
    id: &str,
) -> Result<Option<(Record, GatewayDoc)>, ApiError> {
    Ok(svc
        .load::<DirectConnectGateway, GatewayExtra>(Kind::Gateway, id)?
        .filter(|(rec, _)| !matches!(rec.state.as_str(), "deleting" | "deleted")))
}

pub(crate) fn create_direct_connect_gateway(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateDirectConnectGatewayRequest,
) -> Result<CreateDirectConnectGatewayResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::CreateDirectConnectGateway,
    ))
}

pub(crate) fn describe_direct_connect_gateways(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeDirectConnectGatewaysRequest,
) -> Result<DescribeDirectConnectGatewaysResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::DescribeDirectConnectGateways,
    ))
}

pub(crate) fn update_direct_connect_gateway(
    svc: &Emulator,
    cx: &RequestContext,
    input: UpdateDirectConnectGatewayRequest,
) -> Result<UpdateDirectConnectGatewayResponse, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::UpdateDirectConnectGateway,
    ))
}

pub(crate) fn delete_direct_connect_gateway(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteDirectConnectGatewayRequest,
) -> Result<DeleteDirectConnectGatewayResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::DeleteDirectConnectGateway,
    ))
}

pub(crate) fn create_direct_connect_gateway_association(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateDirectConnectGatewayAssociationRequest,
) -> Result<CreateDirectConnectGatewayAssociationResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::CreateDirectConnectGatewayAssociation,
    ))
}

pub(crate) fn describe_direct_connect_gateway_associations(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeDirectConnectGatewayAssociationsRequest,
) -> Result<DescribeDirectConnectGatewayAssociationsResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::DescribeDirectConnectGatewayAssociations,
    ))
}

pub(crate) fn update_direct_connect_gateway_association(
    svc: &Emulator,
    cx: &RequestContext,
    input: UpdateDirectConnectGatewayAssociationRequest,
) -> Result<UpdateDirectConnectGatewayAssociationResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::UpdateDirectConnectGatewayAssociation,
    ))
}

pub(crate) fn delete_direct_connect_gateway_association(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteDirectConnectGatewayAssociationRequest,
) -> Result<DeleteDirectConnectGatewayAssociationResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::DeleteDirectConnectGatewayAssociation,
    ))
}

pub(crate) fn create_direct_connect_gateway_association_proposal(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateDirectConnectGatewayAssociationProposalRequest,
) -> Result<CreateDirectConnectGatewayAssociationProposalResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::CreateDirectConnectGatewayAssociationProposal,
    ))
}

pub(crate) fn describe_direct_connect_gateway_association_proposals(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeDirectConnectGatewayAssociationProposalsRequest,
) -> Result<DescribeDirectConnectGatewayAssociationProposalsResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::DescribeDirectConnectGatewayAssociationProposals,
    ))
}

pub(crate) fn accept_direct_connect_gateway_association_proposal(
    svc: &Emulator,
    cx: &RequestContext,
    input: AcceptDirectConnectGatewayAssociationProposalRequest,
) -> Result<AcceptDirectConnectGatewayAssociationProposalResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::AcceptDirectConnectGatewayAssociationProposal,
    ))
}

pub(crate) fn delete_direct_connect_gateway_association_proposal(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteDirectConnectGatewayAssociationProposalRequest,
) -> Result<DeleteDirectConnectGatewayAssociationProposalResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::DeleteDirectConnectGatewayAssociationProposal,
    ))
}

pub(crate) fn describe_direct_connect_gateway_attachments(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeDirectConnectGatewayAttachmentsRequest,
) -> Result<DescribeDirectConnectGatewayAttachmentsResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::DescribeDirectConnectGatewayAttachments,
    ))
}
