//! Resiliency groups: named sets of an account's dedicated connections and
//! LAGs in one Region, with the resiliency model the customer intends, and
//! the flat-rate port pairs AWS forms among their members.
//!
//! A group's record: kind `ResiliencyGroup`, account = owner, region = the
//! Region it was created in (its ARN has none, like a gateway's). A
//! membership's record: kind `ResiliencyGroupAssociation`, id
//! `<group id>:<member id>`, parent = group id, link = member (connection or
//! LAG) id, so a member's group is found through the link index.

use super::connections::{self, ConnectionDoc, ConnectionExtra};
use super::lags::{self, LagDoc, LagExtra};
use super::{Doc, Emulator, Loaded, decode_doc, ids, new_record, paging, store_error, tags};
use crate::api::generated::types::*;
use crate::api::{ApiError, ErrorCode, RequestContext};
use crate::store::{Expect, Kind, Query, Record, Write};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Groups one account may have per Region unless configured otherwise
/// [our model: AWS lists a quota without a figure].
pub const DEFAULT_MAX_GROUPS: usize = 100;
/// Members one group may have unless configured otherwise [the per-call
/// maximum of the API and CloudFormation].
pub const DEFAULT_MAX_MEMBERS: usize = 50;
/// Client tokens a group remembers; the oldest are forgotten first.
const KEPT_TOKENS: usize = 100;

/// What the emulator keeps about a group besides its wire form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct GroupExtra {
    /// The model the customer intends (no response shape carries it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ResiliencyModel>,
    /// Client tokens used with this group, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenUse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<i64>,
}

/// One use of a client token: the request it came with, and the answer a
/// repeat gets when the answer is not simply the group as it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TokenUse {
    pub token: String,
    pub request: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<serde_json::Value>,
}

/// A stored group.
pub(crate) type GroupDoc = Doc<ResiliencyGroup, GroupExtra>;
/// A stored membership.
pub(crate) type AssociationDoc = Doc<ResiliencyGroupAssociation>;

// ---------------------------------------------------------------------------
// Identifiers, messages and loaders
// ---------------------------------------------------------------------------

pub(crate) fn group_arn(account: &str, id: &str) -> String {
    format!("arn:aws:directconnect::{account}:dx-resiliency-group/{id}")
}

fn member_arn(cx: &RequestContext, kind: Kind, id: &str) -> String {
    let ty = if kind == Kind::Lag { "dxlag" } else { "dxcon" };
    format!(
        "arn:aws:directconnect:{}:{}:{ty}/{id}",
        cx.region, cx.account
    )
}

fn association_id(group: &str, member: &str) -> String {
    format!("{group}:{member}")
}

fn group_not_found(id: &str) -> ApiError {
    super::ids::IdKind::ResiliencyGroup.missing(id, |id| {
        ApiError::client(format!("Resiliency group {id} does not exist"))
    })
}

fn token_reused(token: &str) -> ApiError {
    ApiError::client(format!(
        "The clientToken {token} was already used with a different request."
    ))
}

/// A group of the caller (any state it is still stored in). Ids match in any case.
pub(crate) fn load_group(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
) -> Result<Loaded<ResiliencyGroup, GroupExtra>, ApiError> {
    let key = id.to_ascii_lowercase();
    match svc.load::<ResiliencyGroup, GroupExtra>(Kind::ResiliencyGroup, &key)? {
        Some((rec, doc)) if rec.account == cx.account && rec.region == cx.region => Ok((rec, doc)),
        _ => Err(group_not_found(id)),
    }
}

/// A group of the caller that is neither deleting nor deleted.
fn load_live_group(
    svc: &Emulator,
    cx: &RequestContext,
    id: &str,
) -> Result<Loaded<ResiliencyGroup, GroupExtra>, ApiError> {
    let (rec, doc) = load_group(svc, cx, id)?;
    if matches!(rec.state.as_str(), "deleting" | "deleted") {
        return Err(ApiError::client(format!(
            "Resiliency group {id} is in state {}.",
            rec.state
        )));
    }
    Ok((rec, doc))
}

/// The group as calls return it; the record's state is authoritative.
fn group_view(rec: &Record, doc: &GroupDoc) -> ResiliencyGroup {
    let mut g = doc.wire.clone();
    g.state = ResiliencyGroupState::from_wire(&rec.state).or(g.state);
    if g.tags.as_ref().is_some_and(Vec::is_empty) {
        g.tags = None;
    }
    g
}

fn summary_view(rec: &Record, doc: &GroupDoc) -> ResiliencyGroupSummary {
    let g = group_view(rec, doc);
    ResiliencyGroupSummary {
        resiliency_group_id: g.resiliency_group_id,
        resiliency_group_arn: g.resiliency_group_arn,
        resiliency_group_name: g.resiliency_group_name,
        resiliency_group_type: g.resiliency_group_type,
        owner_account: g.owner_account,
        state: g.state,
    }
}

fn association_view(rec: &Record, doc: &AssociationDoc) -> ResiliencyGroupAssociation {
    let mut a = doc.wire.clone();
    a.state = ResiliencyGroupAssociationState::from_wire(&rec.state).or(a.state);
    a
}

/// The memberships of a group (`states`: only those), in the order they were made.
fn memberships(
    svc: &Emulator,
    group: &str,
    exclude: &[&str],
) -> Result<Vec<Loaded<ResiliencyGroupAssociation, serde_json::Value>>, ApiError> {
    let mut q = Query::kind(Kind::ResiliencyGroupAssociation);
    q.parent = Some(group);
    q.exclude_states = exclude;
    svc.store()
        .list(&q)
        .map_err(store_error)?
        .into_iter()
        .map(|r| decode_doc(&r).map(|d| (r, d)))
        .collect()
}

/// The live (associating or associated) membership of a connection or LAG, if any.
pub(crate) fn live_membership(svc: &Emulator, member: &str) -> Result<Option<Record>, ApiError> {
    let mut q = Query::kind(Kind::ResiliencyGroupAssociation);
    q.link = Some(member);
    q.exclude_states = &["disassociating", "disassociated"];
    Ok(svc
        .store()
        .list(&q)
        .map_err(store_error)?
        .into_iter()
        .next())
}

/// The ids of a group's live members, in the order they joined.
fn live_members(svc: &Emulator, group: &str) -> Result<Vec<String>, ApiError> {
    Ok(
        memberships(svc, group, &["disassociating", "disassociated"])?
            .into_iter()
            .filter_map(|(r, _)| r.link)
            .collect(),
    )
}

/// The request text a client token is compared on.
fn fingerprint<T: Serialize>(op: &str, input: &T) -> String {
    format!("{op} {}", serde_json::to_string(input).unwrap_or_default())
}

/// What an earlier use of `token` with this group answers: `Ok(Some)` for
/// the same request, an error for another one, `Ok(None)` when unused.
fn token_replay<'a>(
    doc: &'a GroupDoc,
    token: Option<&str>,
    request: &str,
) -> Result<Option<&'a TokenUse>, ApiError> {
    let Some(token) = token else {
        return Ok(None);
    };
    match doc.x.tokens.iter().find(|t| t.token == token) {
        Some(used) if used.request == request => Ok(Some(used)),
        Some(_) => Err(token_reused(token)),
        None => Ok(None),
    }
}

fn remember_token(
    doc: &mut GroupDoc,
    token: Option<String>,
    request: String,
    answer: Option<serde_json::Value>,
) {
    if let Some(token) = token {
        doc.x.tokens.push(TokenUse {
            token,
            request,
            answer,
        });
        let extra = doc.x.tokens.len().saturating_sub(KEPT_TOKENS);
        doc.x.tokens.drain(..extra);
    }
}

// ---------------------------------------------------------------------------
// Members
// ---------------------------------------------------------------------------

/// A connection or LAG named in a request.
struct Member {
    id: String,
    arn: String,
}

/// What an identifier names: a connection or LAG by kind and id, and
/// whether it can be the caller's (an ARN of another Region or account
/// cannot).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named {
    kind: Kind,
    id: String,
    callers: bool,
}

/// What an identifier (an id or an ARN) names; `None` when it names no
/// connection or LAG.
fn parse_identifier(cx: &RequestContext, ident: &str) -> Option<Named> {
    let kind_of = |id: &str| {
        if id.starts_with("dxcon-") {
            Some(Kind::Connection)
        } else if id.starts_with("dxlag-") {
            Some(Kind::Lag)
        } else {
            None
        }
    };
    if !ident.starts_with("arn:") {
        return kind_of(ident).map(|kind| Named {
            kind,
            id: ident.to_string(),
            callers: true,
        });
    }
    let parts: Vec<&str> = ident.splitn(6, ':').collect();
    let [_, _partition, "directconnect", region, account, resource] = parts[..] else {
        return None;
    };
    let (ty, id) = resource.split_once('/')?;
    let kind = kind_of(id)?;
    let matches_type = matches!(
        (ty, kind),
        ("dxcon", Kind::Connection) | ("dxlag", Kind::Lag)
    );
    matches_type.then(|| Named {
        kind,
        id: id.to_string(),
        callers: region == cx.region && account == cx.account,
    })
}

fn not_member(member: &str, group: &str) -> ApiError {
    ApiError::client(format!(
        "{member} does not belong to resiliency group {group}"
    ))
}

fn bad_identifier(ident: &str) -> ApiError {
    ApiError::client(format!(
        "connectionIdentifiers: {ident} is not the ID or ARN of a connection or LAG."
    ))
}

fn missing(kind: Kind, id: &str) -> ApiError {
    if kind == Kind::Lag {
        lags::not_found(id)
    } else {
        connections::not_found(id)
    }
}

/// Resolves an identifier to a dedicated connection or LAG the caller may put in a group.
fn joinable_member(svc: &Emulator, cx: &RequestContext, ident: &str) -> Result<Member, ApiError> {
    let Named { kind, id, callers } =
        parse_identifier(cx, ident).ok_or_else(|| bad_identifier(ident))?;
    // Another Region's or account's resource is not the caller's: not found.
    if !callers {
        return Err(missing(kind, &id));
    }
    if kind == Kind::Lag {
        let (rec, _) = svc
            .load_owned::<Lag, LagExtra>(cx, Kind::Lag, &id, lags::not_found)
            .map_err(|_| missing(kind, &id))?;
        if matches!(rec.state.as_str(), "deleting" | "deleted") {
            return Err(ApiError::client(format!(
                "Lag {id} is in state {}.",
                rec.state
            )));
        }
    } else {
        let own = |k: Kind| -> Result<Option<(Record, ConnectionDoc)>, ApiError> {
            Ok(svc
                .load::<Connection, ConnectionExtra>(k, &id)?
                .filter(|(r, _)| r.account == cx.account && r.region == cx.region))
        };
        if own(Kind::Interconnect)?.is_some() {
            return Err(ApiError::client(format!(
                "{id} is an interconnect: only dedicated connections and LAGs can join a resiliency group."
            )));
        }
        let Some((rec, doc)) = own(Kind::Connection)? else {
            return Err(missing(kind, &id));
        };
        if doc.x.hosted.is_some() {
            return Err(ApiError::client(format!(
                "Connection {id} is a hosted connection: only dedicated connections and LAGs can join a resiliency group."
            )));
        }
        if connections::is_gone(&rec.state) {
            return Err(ApiError::client(format!(
                "Connection {id} is in state {}.",
                rec.state
            )));
        }
        if let Some(lag) = doc.wire.lag_id.as_deref() {
            return Err(ApiError::client(format!(
                "Connection {id} is a member of Lag {lag}: add the LAG to the resiliency group instead."
            )));
        }
    }
    Ok(Member {
        arn: member_arn(cx, kind, &id),
        id,
    })
}

/// The identifiers of a request, resolved, each resource once, in order.
fn resolve_all(
    idents: &[String],
    mut resolve: impl FnMut(&str) -> Result<Member, ApiError>,
) -> Result<Vec<Member>, ApiError> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for ident in idents {
        let m = resolve(ident)?;
        if seen.insert(m.id.clone()) {
            out.push(m);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Port pairs
// ---------------------------------------------------------------------------

/// What pairing looks at in a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PairFacts {
    pub device: String,
    pub speed: String,
    /// The flat-rate tier (1-5), `None` for pay-as-you-go or no mode.
    pub tier: Option<u8>,
}

/// The flat-rate tier of a billing mode, paired or not.
pub(crate) fn tier_of(mode: Option<BillingMode>) -> Option<u8> {
    use BillingMode::*;
    match mode? {
        FlatRateTier1 | PortPairFlatRateTier1 => Some(1),
        FlatRateTier2 | PortPairFlatRateTier2 => Some(2),
        FlatRateTier3 | PortPairFlatRateTier3 => Some(3),
        FlatRateTier4 | PortPairFlatRateTier4 => Some(4),
        FlatRateTier5 | PortPairFlatRateTier5 => Some(5),
        PayAsYouGo => None,
    }
}

/// The billing mode a member shows, paired or single; modes other than
/// flat rate stay as they are.
pub(crate) fn shown_mode(current: Option<BillingMode>, paired: bool) -> Option<BillingMode> {
    use BillingMode::*;
    let Some(tier) = tier_of(current) else {
        return current;
    };
    let (single, pair) = match tier {
        1 => (FlatRateTier1, PortPairFlatRateTier1),
        2 => (FlatRateTier2, PortPairFlatRateTier2),
        3 => (FlatRateTier3, PortPairFlatRateTier3),
        4 => (FlatRateTier4, PortPairFlatRateTier4),
        _ => (FlatRateTier5, PortPairFlatRateTier5),
    };
    Some(if paired { pair } else { single })
}

/// A mode once its port pair has ended.
pub(crate) fn unpaired(mode: Option<BillingMode>) -> Option<BillingMode> {
    shown_mode(mode, false)
}

/// Pairs the members of one group, in their order: each flat-rate member
/// without a partner takes the first later one without a partner on another
/// device with the same tier and speed. Returns each member's partner.
pub(crate) fn pair_up(members: &[PairFacts]) -> Vec<Option<usize>> {
    let mut partner = vec![None; members.len()];
    for i in 0..members.len() {
        if partner[i].is_some() || members[i].tier.is_none() {
            continue;
        }
        let a = &members[i];
        let found = (i + 1..members.len()).find(|&j| {
            let b = &members[j];
            partner[j].is_none() && b.tier == a.tier && b.speed == a.speed && b.device != a.device
        });
        if let Some(j) = found {
            partner[i] = Some(j);
            partner[j] = Some(i);
        }
    }
    partner
}

/// A member's stored documents, ready to show another billing mode.
enum Billed {
    Connection(Record, ConnectionDoc),
    /// A LAG and its member connections, which show its mode.
    Lag(Record, LagDoc, Vec<(Record, ConnectionDoc)>),
}

impl Billed {
    fn load(svc: &Emulator, id: &str) -> Result<Option<Self>, ApiError> {
        if id.starts_with("dxlag-") {
            let Some((rec, doc)) = svc.load::<Lag, LagExtra>(Kind::Lag, id)? else {
                return Ok(None);
            };
            let members = lags::members(svc, id)?;
            return Ok(Some(Billed::Lag(rec, doc, members)));
        }
        Ok(svc
            .load::<Connection, ConnectionExtra>(Kind::Connection, id)?
            .map(|(rec, doc)| Billed::Connection(rec, doc)))
    }

    fn facts(&self) -> PairFacts {
        let device = |v2: &Option<String>, v1: &Option<String>| {
            v2.clone().or_else(|| v1.clone()).unwrap_or_default()
        };
        match self {
            Billed::Connection(_, d) => PairFacts {
                device: device(&d.wire.aws_device_v2, &d.wire.aws_device),
                speed: d.wire.bandwidth.clone().unwrap_or_default(),
                tier: tier_of(d.wire.billing_mode),
            },
            Billed::Lag(_, d, _) => PairFacts {
                device: device(&d.wire.aws_device_v2, &d.wire.aws_device),
                speed: d.wire.connections_bandwidth.clone().unwrap_or_default(),
                tier: tier_of(d.wire.billing_mode),
            },
        }
    }

    /// The writes that make it show `paired` (none when it already does),
    /// leaving out the records in `skip`.
    fn show(
        self,
        svc: &Emulator,
        paired: bool,
        skip: &mut HashSet<String>,
        out: &mut Vec<Write>,
    ) -> Result<(), ApiError> {
        let mut connection = |rec: Record, mut doc: ConnectionDoc| -> Result<(), ApiError> {
            let mode = shown_mode(doc.wire.billing_mode, paired);
            if mode != doc.wire.billing_mode && skip.insert(rec.id.clone()) {
                doc.wire.billing_mode = mode;
                let state = rec.state.clone();
                out.push(Write::Put(
                    svc.record(&rec, &state, &doc, None)?,
                    Expect::Version(rec.version),
                ));
            }
            Ok(())
        };
        match self {
            Billed::Connection(rec, doc) => connection(rec, doc),
            Billed::Lag(rec, mut doc, members) => {
                for (mrec, mdoc) in members {
                    connection(mrec, mdoc)?;
                }
                let mode = shown_mode(doc.wire.billing_mode, paired);
                if mode != doc.wire.billing_mode && skip.insert(rec.id.clone()) {
                    doc.wire.billing_mode = mode;
                    let state = rec.state.clone();
                    out.push(Write::Put(
                        svc.record(&rec, &state, &doc, None)?,
                        Expect::Version(rec.version),
                    ));
                }
                Ok(())
            }
        }
    }
}

/// The writes that make the members of one group (`members`, in joining
/// order) show their port pairs, and `leavers` show none. Records in `skip`
/// (written by the caller) are left alone.
fn pair_writes(
    svc: &Emulator,
    members: &[String],
    leavers: &[String],
    skip: &mut HashSet<String>,
) -> Result<Vec<Write>, ApiError> {
    let mut loaded = Vec::new();
    for id in members {
        if let Some(b) = Billed::load(svc, id)? {
            loaded.push(b);
        }
    }
    let facts: Vec<PairFacts> = loaded.iter().map(Billed::facts).collect();
    let partners = pair_up(&facts);
    let mut out = Vec::new();
    for (b, partner) in loaded.into_iter().zip(partners) {
        b.show(svc, partner.is_some(), skip, &mut out)?;
    }
    for id in leavers {
        if let Some(b) = Billed::load(svc, id)? {
            b.show(svc, false, skip, &mut out)?;
        }
    }
    Ok(out)
}

/// The writes that bring the port pairs of the groups of `ids` (connections
/// or LAGs of any state) up to date with what is stored now: call after a
/// change to their billing mode has been committed, under the write lock,
/// and commit what it returns. A resource in no group shows no pair.
// For the billing-mode operations (UpdateConnectionsBillingMode).
pub(crate) fn repair_port_pairs(svc: &Emulator, ids: &[&str]) -> Result<Vec<Write>, ApiError> {
    let mut groups = Vec::new();
    let mut single = Vec::new();
    for id in ids {
        match live_membership(svc, id)?.and_then(|r| r.parent) {
            Some(g) if !groups.contains(&g) => groups.push(g),
            Some(_) => {}
            None => single.push(id.to_string()),
        }
    }
    let mut skip = HashSet::new();
    let mut out = pair_writes(svc, &[], &single, &mut skip)?;
    for g in groups {
        let members = live_members(svc, &g)?;
        out.extend(pair_writes(svc, &members, &[], &mut skip)?);
    }
    Ok(out)
}

/// Ends the membership of a connection or LAG being deleted (the caller
/// writes its own record, and those in `skip`): its association is
/// `disassociated` and the rest of its group pair up again.
pub(crate) fn end_membership(
    svc: &Emulator,
    cx: &RequestContext,
    member: &str,
    skip: &[String],
) -> Result<Vec<Write>, ApiError> {
    let Some(rec) = live_membership(svc, member)? else {
        return Ok(Vec::new());
    };
    let doc: AssociationDoc = decode_doc(&rec)?;
    let mut writes = vec![Write::Put(
        svc.record(&rec, "disassociated", &doc, Some(cx.now_ms))?,
        Expect::Version(rec.version),
    )];
    if let Some(group) = rec.parent.as_deref() {
        let rest: Vec<String> = live_members(svc, group)?
            .into_iter()
            .filter(|m| m != member)
            .collect();
        let mut skip: HashSet<String> = skip.iter().cloned().collect();
        skip.insert(member.to_string());
        writes.extend(pair_writes(svc, &rest, &[], &mut skip)?);
    }
    Ok(writes)
}

// ---------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------

pub(crate) fn create_resiliency_group(
    svc: &Emulator,
    cx: &RequestContext,
    input: CreateResiliencyGroupRequest,
) -> Result<CreateResiliencyGroupResult, ApiError> {
    let request = fingerprint("CreateResiliencyGroup", &input);
    let tags = tags::validate_new(input.tags.unwrap_or_default())?;
    let _guard = svc.lock()?;
    let mut q = Query::kind(Kind::ResiliencyGroup);
    q.account = Some(&cx.account);
    q.region = Some(&cx.region);
    if let Some(token) = input.client_token.as_deref() {
        for rec in svc.store().list(&q).map_err(store_error)? {
            let doc: GroupDoc = decode_doc(&rec)?;
            if token_replay(&doc, Some(token), &request)?.is_some() {
                return Ok(CreateResiliencyGroupResult {
                    resiliency_group: Some(group_view(&rec, &doc)),
                });
            }
        }
    }
    q.exclude_states = &["deleted"];
    let limit = svc.settings().max_resiliency_groups;
    if svc.store().count(&q).map_err(store_error)? >= limit {
        return Err(ApiError::new(
            ErrorCode::LimitExceededException,
            format!(
                "Account {} has reached its limit of {limit} resiliency groups in {}.",
                cx.account, cx.region
            ),
        ));
    }
    let id = fresh_id(svc)?;
    let settled = svc.settle(Kind::ResiliencyGroup, "pending", cx.now_ms);
    let mut doc = GroupDoc {
        wire: ResiliencyGroup {
            resiliency_group_id: Some(id.clone()),
            resiliency_group_arn: Some(group_arn(&cx.account, &id)),
            resiliency_group_name: Some(input.resiliency_group_name),
            resiliency_group_type: Some(ResiliencyGroupType::Managed),
            owner_account: Some(cx.account.clone()),
            state: ResiliencyGroupState::from_wire(settled.state),
            tags: Some(tags),
        },
        x: GroupExtra {
            model: Some(input.intended_resiliency_model),
            ..GroupExtra::default()
        },
    };
    remember_token(&mut doc, input.client_token, request, None);
    let mut base = new_record(Kind::ResiliencyGroup, &id, cx);
    base.due_at = settled.due_at;
    let rec = svc.record(&base, settled.state, &doc, None)?;
    svc.commit(cx, vec![Write::Put(rec.clone(), Expect::Absent)])?;
    svc.took_steps(settled.steps);
    tracing::debug!(group = %id, model = input.intended_resiliency_model.as_str(), "resiliency group created");
    let mut answer = rec;
    answer.state = "pending".into();
    Ok(CreateResiliencyGroupResult {
        resiliency_group: Some(group_view(&answer, &doc)),
    })
}

/// A new group id no stored group has. Call under the write lock.
fn fresh_id(svc: &Emulator) -> Result<String, ApiError> {
    for _ in 0..16 {
        let id = format!("dxrg-{}", ids::alnum(17));
        if !svc
            .store()
            .exists(Kind::ResiliencyGroup, &id)
            .map_err(store_error)?
        {
            return Ok(id);
        }
    }
    Err(ApiError::server(
        "Could not allocate a resource id; retry the request",
    ))
}

pub(crate) fn get_resiliency_group(
    svc: &Emulator,
    cx: &RequestContext,
    input: GetResiliencyGroupRequest,
) -> Result<GetResiliencyGroupResult, ApiError> {
    let (rec, doc) = load_group(svc, cx, &input.resiliency_group_id)?;
    Ok(GetResiliencyGroupResult {
        resiliency_group: Some(group_view(&rec, &doc)),
    })
}

pub(crate) fn update_resiliency_group(
    svc: &Emulator,
    cx: &RequestContext,
    input: UpdateResiliencyGroupRequest,
) -> Result<UpdateResiliencyGroupResult, ApiError> {
    let request = fingerprint("UpdateResiliencyGroup", &input);
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_group(svc, cx, &input.resiliency_group_id)?;
    if token_replay(&doc, input.client_token.as_deref(), &request)?.is_some() {
        return Ok(UpdateResiliencyGroupResult {
            resiliency_group: Some(group_view(&rec, &doc)),
        });
    }
    load_live_group(svc, cx, &input.resiliency_group_id)?;
    doc.wire.resiliency_group_name = Some(input.resiliency_group_name);
    remember_token(&mut doc, input.client_token, request, None);
    let state = rec.state.clone();
    let new = svc.record(&rec, &state, &doc, None)?;
    svc.commit(cx, vec![Write::Put(new, Expect::Version(rec.version))])?;
    Ok(UpdateResiliencyGroupResult {
        resiliency_group: Some(group_view(&rec, &doc)),
    })
}

pub(crate) fn delete_resiliency_group(
    svc: &Emulator,
    cx: &RequestContext,
    input: DeleteResiliencyGroupRequest,
) -> Result<DeleteResiliencyGroupResult, ApiError> {
    let id = &input.resiliency_group_id;
    let _guard = svc.lock()?;
    let (rec, mut doc) = load_group(svc, cx, id)?;
    if matches!(rec.state.as_str(), "deleting" | "deleted") {
        return Ok(DeleteResiliencyGroupResult {
            resiliency_group: Some(group_view(&rec, &doc)),
        });
    }
    let members = live_members(svc, &rec.id)?;
    if !members.is_empty() {
        return Err(ApiError::client(format!(
            "Resiliency group {id} cannot be deleted while it has connections ({}): disassociate them first.",
            members.len()
        )));
    }
    let settled = svc.settle(Kind::ResiliencyGroup, "deleting", cx.now_ms);
    doc.wire.state = ResiliencyGroupState::from_wire(settled.state);
    doc.x.deleted_at = Some(cx.now_ms);
    let mut base = rec.clone();
    base.due_at = settled.due_at;
    let new = svc.record(&base, settled.state, &doc, None)?;
    svc.commit(
        cx,
        vec![Write::Put(new.clone(), Expect::Version(rec.version))],
    )?;
    svc.took_steps(settled.steps);
    let mut answer = new;
    answer.state = "deleting".into();
    Ok(DeleteResiliencyGroupResult {
        resiliency_group: Some(group_view(&answer, &doc)),
    })
}

pub(crate) fn list_resiliency_groups(
    svc: &Emulator,
    cx: &RequestContext,
    input: ListResiliencyGroupsRequest,
) -> Result<ListResiliencyGroupsResult, ApiError> {
    let mut q = Query::kind(Kind::ResiliencyGroup);
    q.account = Some(&cx.account);
    q.region = Some(&cx.region);
    q.exclude_states = &["deleted"];
    let (recs, next_token) = paging::page(svc, q, input.max_results, input.next_token.as_deref())?;
    let items = recs
        .iter()
        .map(|r| decode_doc::<ResiliencyGroup, GroupExtra>(r).map(|d| summary_view(r, &d)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ListResiliencyGroupsResult {
        items: Some(items),
        next_token,
    })
}

pub(crate) fn list_resiliency_group_associations(
    svc: &Emulator,
    cx: &RequestContext,
    input: ListResiliencyGroupAssociationsRequest,
) -> Result<ListResiliencyGroupAssociationsResult, ApiError> {
    let (group, _) = load_group(svc, cx, &input.resiliency_group_id)?;
    let mut q = Query::kind(Kind::ResiliencyGroupAssociation);
    q.parent = Some(&group.id);
    let (recs, next_token) = paging::page(svc, q, input.max_results, input.next_token.as_deref())?;
    let items = recs
        .iter()
        .map(|r| {
            decode_doc::<ResiliencyGroupAssociation, serde_json::Value>(r)
                .map(|d| association_view(r, &d))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ListResiliencyGroupAssociationsResult {
        items: Some(items),
        next_token,
    })
}

/// The association answer a token repeat gets back.
fn replayed(used: &TokenUse) -> Result<Vec<ResiliencyGroupAssociation>, ApiError> {
    serde_json::from_value(used.answer.clone().unwrap_or_default())
        .map_err(|_| ApiError::server("Internal error while reading the resource"))
}

fn answer_value(items: &[ResiliencyGroupAssociation]) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(items)
        .map_err(|_| ApiError::server("Internal error while storing the resource"))
}

pub(crate) fn associate_connections_to_resiliency_group(
    svc: &Emulator,
    cx: &RequestContext,
    input: AssociateConnectionsToResiliencyGroupRequest,
) -> Result<AssociateConnectionsToResiliencyGroupResult, ApiError> {
    let request = fingerprint("AssociateConnectionsToResiliencyGroup", &input);
    let _guard = svc.lock()?;
    let (grec, mut gdoc) = load_group(svc, cx, &input.resiliency_group_id)?;
    if let Some(used) = token_replay(&gdoc, input.client_token.as_deref(), &request)? {
        return Ok(AssociateConnectionsToResiliencyGroupResult {
            resiliency_group_associations: Some(replayed(used)?),
        });
    }
    load_live_group(svc, cx, &input.resiliency_group_id)?;
    let group = grec.id.clone();
    let members = resolve_all(&input.connection_identifiers, |i| {
        joinable_member(svc, cx, i)
    })?;
    let mut current = live_members(svc, &group)?;
    let mut writes = Vec::new();
    let mut answer = Vec::new();
    let mut steps = 0;
    for m in &members {
        if let Some(live) = live_membership(svc, &m.id)? {
            let other = live.parent.clone().unwrap_or_default();
            if other != group {
                return Err(ApiError::client(format!(
                    "{} already belongs to resiliency group {other}",
                    m.id
                )));
            }
            // Already a member: nothing changes.
            let doc: AssociationDoc = decode_doc(&live)?;
            answer.push(association_view(&live, &doc));
            continue;
        }
        let aid = association_id(&group, &m.id);
        let old = svc
            .store()
            .get(Kind::ResiliencyGroupAssociation, &aid)
            .map_err(store_error)?;
        let settled = svc.settle(Kind::ResiliencyGroupAssociation, "associating", cx.now_ms);
        steps += settled.steps;
        let doc = AssociationDoc {
            wire: ResiliencyGroupAssociation {
                resiliency_group_id: Some(group.clone()),
                connection_arn: Some(m.arn.clone()),
                state: ResiliencyGroupAssociationState::from_wire(settled.state),
            },
            x: serde_json::Value::Null,
        };
        let mut base = new_record(Kind::ResiliencyGroupAssociation, &aid, cx);
        base.parent = Some(group.clone());
        base.link = Some(m.id.clone());
        base.due_at = settled.due_at;
        let expect = match &old {
            Some(o) => Expect::Version(o.version),
            None => Expect::Absent,
        };
        writes.push(Write::Put(
            svc.record(&base, settled.state, &doc, None)?,
            expect,
        ));
        let mut shown = doc.wire;
        shown.state = Some(ResiliencyGroupAssociationState::Associating);
        answer.push(shown);
        current.push(m.id.clone());
    }
    let limit = svc.settings().max_resiliency_group_members;
    if current.len() > limit {
        return Err(ApiError::new(
            ErrorCode::LimitExceededException,
            format!(
                "Resiliency group {} can have at most {limit} connections; this request would give it {}.",
                input.resiliency_group_id,
                current.len()
            ),
        ));
    }
    writes.extend(pair_writes(svc, &current, &[], &mut HashSet::new())?);
    finish_membership_change(
        svc,
        cx,
        (&grec, &mut gdoc),
        (input.client_token, request),
        &answer,
        writes,
        steps,
    )?;
    Ok(AssociateConnectionsToResiliencyGroupResult {
        resiliency_group_associations: Some(answer),
    })
}

/// Ends an associate or disassociate call: remembers its client token (and
/// answer) on the group when it has one, and commits everything at once.
fn finish_membership_change(
    svc: &Emulator,
    cx: &RequestContext,
    (grec, gdoc): (&Record, &mut GroupDoc),
    (token, request): (Option<String>, String),
    answer: &[ResiliencyGroupAssociation],
    mut writes: Vec<Write>,
    steps: u64,
) -> Result<(), ApiError> {
    if token.is_some() {
        remember_token(gdoc, token, request, Some(answer_value(answer)?));
        let state = grec.state.clone();
        writes.push(Write::Put(
            svc.record(grec, &state, gdoc, None)?,
            Expect::Version(grec.version),
        ));
    }
    if !writes.is_empty() {
        svc.commit(cx, writes)?;
        svc.took_steps(steps);
    }
    Ok(())
}

pub(crate) fn disassociate_connections_from_resiliency_group(
    svc: &Emulator,
    cx: &RequestContext,
    input: DisassociateConnectionsFromResiliencyGroupRequest,
) -> Result<DisassociateConnectionsFromResiliencyGroupResult, ApiError> {
    let request = fingerprint("DisassociateConnectionsFromResiliencyGroup", &input);
    let _guard = svc.lock()?;
    let (grec, mut gdoc) = load_group(svc, cx, &input.resiliency_group_id)?;
    if let Some(used) = token_replay(&gdoc, input.client_token.as_deref(), &request)? {
        return Ok(DisassociateConnectionsFromResiliencyGroupResult {
            resiliency_group_associations: Some(replayed(used)?),
        });
    }
    let group = grec.id.clone();
    // Members are looked up through the group: a member that is gone was
    // disassociated when it went.
    let members = resolve_all(&input.connection_identifiers, |ident| {
        let Named { kind, id, callers } =
            parse_identifier(cx, ident).ok_or_else(|| bad_identifier(ident))?;
        if !callers {
            return Err(not_member(&id, &input.resiliency_group_id));
        }
        Ok(Member {
            arn: member_arn(cx, kind, &id),
            id,
        })
    })?;
    let mut writes = Vec::new();
    let mut answer = Vec::new();
    let mut leavers = Vec::new();
    let mut steps = 0;
    for m in &members {
        let aid = association_id(&group, &m.id);
        let found = svc
            .store()
            .get(Kind::ResiliencyGroupAssociation, &aid)
            .map_err(store_error)?
            .filter(|r| r.state != "disassociated");
        let Some(rec) = found else {
            return Err(not_member(&m.id, &input.resiliency_group_id));
        };
        let mut doc: AssociationDoc = decode_doc(&rec)?;
        if rec.state == "disassociating" {
            // Already leaving: nothing changes.
            answer.push(association_view(&rec, &doc));
            continue;
        }
        let settled = svc.settle(
            Kind::ResiliencyGroupAssociation,
            "disassociating",
            cx.now_ms,
        );
        steps += settled.steps;
        doc.wire.state = ResiliencyGroupAssociationState::from_wire(settled.state);
        let mut base = rec.clone();
        base.due_at = settled.due_at;
        writes.push(Write::Put(
            svc.record(&base, settled.state, &doc, None)?,
            Expect::Version(rec.version),
        ));
        let mut shown = doc.wire;
        shown.state = Some(ResiliencyGroupAssociationState::Disassociating);
        answer.push(shown);
        leavers.push(m.id.clone());
    }
    let rest: Vec<String> = live_members(svc, &group)?
        .into_iter()
        .filter(|id| !leavers.contains(id))
        .collect();
    writes.extend(pair_writes(svc, &rest, &leavers, &mut HashSet::new())?);
    finish_membership_change(
        svc,
        cx,
        (&grec, &mut gdoc),
        (input.client_token, request),
        &answer,
        writes,
        steps,
    )?;
    Ok(DisassociateConnectionsFromResiliencyGroupResult {
        resiliency_group_associations: Some(answer),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(device: &str, speed: &str, tier: Option<u8>) -> PairFacts {
        PairFacts {
            device: device.into(),
            speed: speed.into(),
            tier,
        }
    }

    #[test]
    fn members_pair_on_other_devices_with_equal_tier_and_speed() {
        let members = [
            port("d1", "10Gbps", Some(2)),
            port("d1", "10Gbps", Some(2)),  // same device as the first
            port("d2", "10Gbps", Some(3)),  // another tier
            port("d3", "100Gbps", Some(2)), // another speed
            port("d4", "10Gbps", Some(2)),
            port("d5", "10Gbps", None), // pay-as-you-go
            port("d6", "10Gbps", Some(2)),
        ];
        assert_eq!(
            pair_up(&members),
            vec![Some(4), Some(6), None, None, Some(0), None, Some(1)]
        );
        // Two pay-as-you-go ports never pair.
        assert_eq!(
            pair_up(&[port("a", "10Gbps", None), port("b", "10Gbps", None)]),
            vec![None, None]
        );
        assert_eq!(pair_up(&[]), Vec::<Option<usize>>::new());
    }

    #[test]
    fn modes_show_and_end_pairs() {
        use BillingMode::*;
        assert_eq!(
            shown_mode(Some(FlatRateTier3), true),
            Some(PortPairFlatRateTier3)
        );
        assert_eq!(
            shown_mode(Some(PortPairFlatRateTier3), true),
            Some(PortPairFlatRateTier3)
        );
        assert_eq!(unpaired(Some(PortPairFlatRateTier5)), Some(FlatRateTier5));
        assert_eq!(shown_mode(Some(PayAsYouGo), true), Some(PayAsYouGo));
        assert_eq!(shown_mode(None, true), None);
        assert_eq!(tier_of(Some(PortPairFlatRateTier1)), Some(1));
        assert_eq!(tier_of(Some(PayAsYouGo)), None);
    }

    /// What the billing-mode operations do: change a mode, commit, then
    /// commit what `repair_port_pairs` returns.
    #[test]
    fn a_billing_change_repairs_the_pairs_of_its_group() {
        use BillingMode::*;
        let store = std::sync::Arc::new(crate::store::SqliteStore::in_memory().unwrap());
        let svc = Emulator::new(store, super::super::Settings::default()).unwrap();
        let cx = RequestContext {
            request_id: String::new(),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            now_ms: 1_000_000,
        };
        let port_at = |name: &str, location: &str| {
            connections::create_connection(
                &svc,
                &cx,
                CreateConnectionRequest {
                    location: location.into(),
                    bandwidth: "10Gbps".into(),
                    connection_name: name.into(),
                    ..Default::default()
                },
            )
            .unwrap()
            .connection_id
            .unwrap()
        };
        let port = |name: &str| port_at(name, "EqDC2");
        let (a, b) = (port("a"), port("b"));
        let set_mode = |id: &str, mode: BillingMode| {
            let (rec, mut doc) = connections::load_own(&svc, &cx, id).unwrap();
            doc.wire.billing_mode = Some(mode);
            let new = svc.record(&rec, &rec.state, &doc, None).unwrap();
            svc.commit(&cx, vec![Write::Put(new, Expect::Version(rec.version))])
                .unwrap();
        };
        let mode = |id: &str| {
            connections::load_own(&svc, &cx, id)
                .unwrap()
                .1
                .wire
                .billing_mode
        };
        set_mode(&a, FlatRateTier2);
        set_mode(&b, FlatRateTier3);
        let group = create_resiliency_group(
            &svc,
            &cx,
            CreateResiliencyGroupRequest {
                resiliency_group_name: "g".into(),
                intended_resiliency_model: ResiliencyModel::BasicResiliency,
                ..Default::default()
            },
        )
        .unwrap()
        .resiliency_group
        .unwrap()
        .resiliency_group_id
        .unwrap();
        associate_connections_to_resiliency_group(
            &svc,
            &cx,
            AssociateConnectionsToResiliencyGroupRequest {
                connection_identifiers: vec![a.clone(), b.clone()],
                resiliency_group_id: group,
                client_token: None,
            },
        )
        .unwrap();
        assert_eq!(
            (mode(&a), mode(&b)),
            (Some(FlatRateTier2), Some(FlatRateTier3))
        );
        // b moves to tier 2: the pair forms.
        set_mode(&b, FlatRateTier2);
        let writes = repair_port_pairs(&svc, &[b.as_str()]).unwrap();
        assert_eq!(writes.len(), 2);
        svc.commit(&cx, writes).unwrap();
        assert_eq!(
            (mode(&a), mode(&b)),
            (Some(PortPairFlatRateTier2), Some(PortPairFlatRateTier2))
        );
        // Nothing more to do once repaired.
        assert!(
            repair_port_pairs(&svc, &[a.as_str(), b.as_str()])
                .unwrap()
                .is_empty()
        );
        // b goes back to pay-as-you-go: a is single again.
        set_mode(&b, PayAsYouGo);
        let writes = repair_port_pairs(&svc, &[b.as_str()]).unwrap();
        svc.commit(&cx, writes).unwrap();
        assert_eq!(
            (mode(&a), mode(&b)),
            (Some(FlatRateTier2), Some(PayAsYouGo))
        );
        // A resource in no group shows no pair (at another location: this
        // one's connections are billed flat and pay-as-you-go already).
        let c = port_at("c", "165HS");
        set_mode(&c, PortPairFlatRateTier4);
        let writes = repair_port_pairs(&svc, &[c.as_str()]).unwrap();
        svc.commit(&cx, writes).unwrap();
        assert_eq!(mode(&c), Some(FlatRateTier4));
    }

    #[test]
    fn identifiers() {
        let cx = RequestContext {
            request_id: String::new(),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            now_ms: 0,
        };
        let named = |kind, id: &str, callers| {
            Some(Named {
                kind,
                id: id.into(),
                callers,
            })
        };
        assert_eq!(
            parse_identifier(&cx, "dxcon-fabc1234"),
            named(Kind::Connection, "dxcon-fabc1234", true)
        );
        assert_eq!(
            parse_identifier(
                &cx,
                "arn:aws:directconnect:us-east-1:111111111111:dxlag/dxlag-fabc1234"
            ),
            named(Kind::Lag, "dxlag-fabc1234", true)
        );
        // Another Region's or account's ARN names nothing of the caller's.
        for foreign in [
            "arn:aws:directconnect:us-west-2:111111111111:dxcon/dxcon-fabc1234",
            "arn:aws:directconnect:us-east-1:222222222222:dxcon/dxcon-fabc1234",
        ] {
            assert_eq!(
                parse_identifier(&cx, foreign),
                named(Kind::Connection, "dxcon-fabc1234", false)
            );
        }
        for bad in [
            "dxvif-fabc1234",
            "arn:aws:directconnect:us-east-1:111111111111:dxlag/dxcon-fabc1234",
            "arn:aws:ec2:us-east-1:111111111111:dxcon/dxcon-fabc1234",
            "arn:aws:directconnect:us-east-1:111111111111",
        ] {
            assert_eq!(parse_identifier(&cx, bad), None, "{bad}");
        }
        assert_eq!(
            group_arn("111111111111", "dxrg-0123456789abcdefg"),
            "arn:aws:directconnect::111111111111:dx-resiliency-group/dxrg-0123456789abcdefg"
        );
    }
}
