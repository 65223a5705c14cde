//! Virtual interfaces, BGP peers, router configurations, failover tests and
//! the virtual private gateways VIFs and associations name.

use super::{Doc, Emulator, decode_doc, new_record, store_error};
use crate::api::generated::types::*;
use crate::api::{ApiError, Operation, RequestContext};
use crate::store::{Expect, Kind, Query, Record, Write};
use serde::{Deserialize, Serialize};

/// What the emulator keeps about a VIF besides its wire form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct VifExtra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
    /// For a hosted VIF: the account that allocated it (owner of the connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocated_by: Option<String>,
    /// The state to return to when a failover test ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_test: Option<String>,
}

/// A stored VIF. Its record: kind `VirtualInterface`, account = VIF owner,
/// parent = connection or LAG id, link = Direct Connect gateway id (if any).
pub(crate) type VifDoc = Doc<VirtualInterface, VifExtra>;

/// The live VIFs attached to a Direct Connect gateway.
pub(crate) fn attached_to(
    svc: &Emulator,
    gateway_id: &str,
) -> Result<Vec<(Record, VifDoc)>, ApiError> {
    let mut q = Query::kind(Kind::VirtualInterface);
    q.link = Some(gateway_id);
    q.exclude_states = &["deleted", "rejected"];
    svc.store()
        .list(&q)
        .map_err(store_error)?
        .into_iter()
        .map(|r| decode_doc(&r).map(|d| (r, d)))
        .collect()
}

/// `vgw-` and 8 or 17 hex digits, as EC2 makes them.
pub(crate) fn is_vgw_id(id: &str) -> bool {
    hex_id(id, "vgw-", &[8, 17])
}

/// `tgw-` and 17 hex digits.
pub(crate) fn is_tgw_id(id: &str) -> bool {
    hex_id(id, "tgw-", &[17])
}

fn hex_id(id: &str, prefix: &str, lens: &[usize]) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        lens.contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

/// Remembers a VGW an account named, so DescribeVirtualGateways lists it.
/// Returns the write to add to the caller's batch when the VGW is new.
pub(crate) fn note_virtual_gateway(
    svc: &Emulator,
    account: &str,
    region: &str,
    vgw_id: &str,
) -> Result<Option<Write>, ApiError> {
    let key = format!("{account}/{region}/{vgw_id}");
    if svc
        .store()
        .get(Kind::VirtualGateway, &key)
        .map_err(store_error)?
        .is_some()
    {
        return Ok(None);
    }
    let cx = RequestContext {
        request_id: String::new(),
        account: account.to_string(),
        region: region.to_string(),
        now_ms: 0,
    };
    let doc = Doc {
        wire: VirtualGateway {
            virtual_gateway_id: Some(vgw_id.to_string()),
            virtual_gateway_state: Some("available".into()),
        },
        x: serde_json::Value::Null,
    };
    let rec = svc.record(
        &new_record(Kind::VirtualGateway, &key, &cx),
        "available",
        &doc,
        None,
    )?;
    Ok(Some(Write::Put(rec, Expect::Absent)))
}

pub(crate) fn create_private_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreatePrivateVirtualInterfaceRequest,
) -> Result<VirtualInterface, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::CreatePrivateVirtualInterface,
    ))
}

pub(crate) fn create_public_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreatePublicVirtualInterfaceRequest,
) -> Result<VirtualInterface, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::CreatePublicVirtualInterface,
    ))
}

pub(crate) fn create_transit_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateTransitVirtualInterfaceRequest,
) -> Result<CreateTransitVirtualInterfaceResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::CreateTransitVirtualInterface,
    ))
}

pub(crate) fn allocate_private_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: AllocatePrivateVirtualInterfaceRequest,
) -> Result<VirtualInterface, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::AllocatePrivateVirtualInterface,
    ))
}

pub(crate) fn allocate_public_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: AllocatePublicVirtualInterfaceRequest,
) -> Result<VirtualInterface, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::AllocatePublicVirtualInterface,
    ))
}

pub(crate) fn allocate_transit_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: AllocateTransitVirtualInterfaceRequest,
) -> Result<AllocateTransitVirtualInterfaceResult, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::AllocateTransitVirtualInterface,
    ))
}

pub(crate) fn confirm_private_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: ConfirmPrivateVirtualInterfaceRequest,
) -> Result<ConfirmPrivateVirtualInterfaceResponse, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::ConfirmPrivateVirtualInterface,
    ))
}

pub(crate) fn confirm_public_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: ConfirmPublicVirtualInterfaceRequest,
) -> Result<ConfirmPublicVirtualInterfaceResponse, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::ConfirmPublicVirtualInterface,
    ))
}

pub(crate) fn confirm_transit_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: ConfirmTransitVirtualInterfaceRequest,
) -> Result<ConfirmTransitVirtualInterfaceResponse, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::ConfirmTransitVirtualInterface,
    ))
}

pub(crate) fn delete_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteVirtualInterfaceRequest,
) -> Result<DeleteVirtualInterfaceResponse, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(Operation::DeleteVirtualInterface))
}

pub(crate) fn describe_virtual_interfaces(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeVirtualInterfacesRequest,
) -> Result<VirtualInterfaces, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::DescribeVirtualInterfaces,
    ))
}

pub(crate) fn associate_virtual_interface(
    svc: &Emulator,
    cx: &RequestContext,
    input: AssociateVirtualInterfaceRequest,
) -> Result<VirtualInterface, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::AssociateVirtualInterface,
    ))
}

pub(crate) fn update_virtual_interface_attributes(
    svc: &Emulator,
    cx: &RequestContext,
    input: UpdateVirtualInterfaceAttributesRequest,
) -> Result<VirtualInterface, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::UpdateVirtualInterfaceAttributes,
    ))
}

pub(crate) fn create_bgp_peer(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateBGPPeerRequest,
) -> Result<CreateBGPPeerResponse, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(Operation::CreateBGPPeer))
}

pub(crate) fn delete_bgp_peer(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteBGPPeerRequest,
) -> Result<DeleteBGPPeerResponse, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(Operation::DeleteBGPPeer))
}

pub(crate) fn describe_router_configuration(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeRouterConfigurationRequest,
) -> Result<DescribeRouterConfigurationResponse, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::DescribeRouterConfiguration,
    ))
}

pub(crate) fn start_bgp_failover_test(
    svc: &Emulator,
    cx: &RequestContext,
    input: StartBgpFailoverTestRequest,
) -> Result<StartBgpFailoverTestResponse, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(Operation::StartBgpFailoverTest))
}

pub(crate) fn stop_bgp_failover_test(
    svc: &Emulator,
    cx: &RequestContext,
    input: StopBgpFailoverTestRequest,
) -> Result<StopBgpFailoverTestResponse, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(Operation::StopBgpFailoverTest))
}

pub(crate) fn list_virtual_interface_test_history(
    svc: &Emulator,
    cx: &RequestContext,
    input: ListVirtualInterfaceTestHistoryRequest,
) -> Result<ListVirtualInterfaceTestHistoryResponse, ApiError> {
    let _ = (svc, cx, input);
    Err(ApiError::not_implemented(
        Operation::ListVirtualInterfaceTestHistory,
    ))
}

pub(crate) fn describe_virtual_gateways(
    svc: &Emulator,
    cx: &RequestContext,
) -> Result<VirtualGateways, ApiError> {
    let _ = (svc, cx);
    Err(ApiError::not_implemented(
        Operation::DescribeVirtualGateways,
    ))
}
