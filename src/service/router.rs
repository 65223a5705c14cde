//! Customer router configurations for a VIF: the generic XML every VIF
//! carries, and vendor-specific text for DescribeRouterConfiguration.

use super::Emulator;
use super::vifs::{VifType, load_vif};
use crate::api::generated::types::*;
use crate::api::{ApiError, RequestContext};

/// A router dxemu can write a configuration for.
struct Router {
    id: &'static str,
    vendor: &'static str,
    platform: &'static str,
    software: &'static str,
    template: &'static str,
    macsec_template: Option<&'static str>,
    dialect: Dialect,
}

#[derive(Clone, Copy)]
enum Dialect {
    CiscoIos,
    CiscoNxos,
    Junos,
    PanOs,
}

const ROUTERS: &[Router] = &[
    Router {
        id: "CiscoSystemsInc-2900SeriesRouters-IOS124",
        vendor: "Cisco Systems, Inc.",
        platform: "2900 Series Routers",
        software: "IOS 12.4+",
        template: "customer-router-cisco-generic.xslt",
        macsec_template: None,
        dialect: Dialect::CiscoIos,
    },
    Router {
        id: "CiscoSystemsInc-7200SeriesRouters-IOS124",
        vendor: "Cisco Systems, Inc.",
        platform: "7200 Series Routers",
        software: "IOS 12.4+",
        template: "customer-router-cisco-generic.xslt",
        macsec_template: None,
        dialect: Dialect::CiscoIos,
    },
    Router {
        id: "CiscoSystemsInc-Nexus9KSeriesSwitches-NXOS93",
        vendor: "Cisco Systems, Inc.",
        platform: "Nexus 9K Series Switches",
        software: "NX-OS 9.3+",
        template: "customer-router-cisco-nexus-generic.xslt",
        macsec_template: Some("customer-router-cisco-nexus-macsec.xslt"),
        dialect: Dialect::CiscoNxos,
    },
    Router {
        id: "JuniperNetworksInc-MMXSeriesRouters-JunOS95",
        vendor: "Juniper Networks, Inc.",
        platform: "M/MX Series Routers",
        software: "JunOS 9.5+",
        template: "customer-router-juniper-generic.xslt",
        macsec_template: Some("customer-router-juniper-macsec.xslt"),
        dialect: Dialect::Junos,
    },
    Router {
        id: "JuniperNetworksInc-SRXSeriesRouters-JunOS95",
        vendor: "Juniper Networks, Inc.",
        platform: "SRX Series Routers",
        software: "JunOS 9.5+",
        template: "customer-router-juniper-generic.xslt",
        macsec_template: None,
        dialect: Dialect::Junos,
    },
    Router {
        id: "PaloAltoNetworks-PA3000and5000series-PANOS803",
        vendor: "Palo Alto Networks",
        platform: "PA-3000 and 5000 series",
        software: "PAN-OS 8.0.3+",
        template: "customer-router-palo-alto-generic.xslt",
        macsec_template: None,
        dialect: Dialect::PanOs,
    },
];

/// The router type identifiers dxemu knows.
pub fn router_type_ids() -> impl Iterator<Item = &'static str> {
    ROUTERS.iter().map(|r| r.id)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The XML every VIF carries in `customerRouterConfig`.
pub fn generic_xml(vif: &VirtualInterface) -> String {
    let id = vif.virtual_interface_id.as_deref().unwrap_or_default();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!("<logical_connection id=\"{}\">\n", xml_escape(id)));
    out.push_str(&format!("  <vlan>{}</vlan>\n", vif.vlan.unwrap_or(0)));
    let peers = vif.bgp_peers.as_deref().unwrap_or_default();
    let v4 = peers
        .iter()
        .find(|p| p.address_family == Some(AddressFamily::Ipv4));
    let v6 = peers
        .iter()
        .find(|p| p.address_family == Some(AddressFamily::Ipv6));
    if let Some(p) = v4 {
        out.push_str(&format!(
            "  <customer_address>{}</customer_address>\n",
            p.customer_address.as_deref().unwrap_or_default()
        ));
        out.push_str(&format!(
            "  <amazon_address>{}</amazon_address>\n",
            p.amazon_address.as_deref().unwrap_or_default()
        ));
        out.push_str(&format!(
            "  <bgp_asn>{}</bgp_asn>\n",
            p.asn_long.unwrap_or_default()
        ));
        out.push_str(&format!(
            "  <bgp_auth_key>{}</bgp_auth_key>\n",
            xml_escape(p.auth_key.as_deref().unwrap_or_default())
        ));
    }
    if let Some(p) = v6 {
        out.push_str(&format!(
            "  <ipv6_customer_address>{}</ipv6_customer_address>\n",
            p.customer_address.as_deref().unwrap_or_default()
        ));
        out.push_str(&format!(
            "  <ipv6_amazon_address>{}</ipv6_amazon_address>\n",
            p.amazon_address.as_deref().unwrap_or_default()
        ));
        out.push_str(&format!(
            "  <ipv6_bgp_asn>{}</ipv6_bgp_asn>\n",
            p.asn_long.unwrap_or_default()
        ));
        out.push_str(&format!(
            "  <ipv6_bgp_auth_key>{}</ipv6_bgp_auth_key>\n",
            xml_escape(p.auth_key.as_deref().unwrap_or_default())
        ));
    }
    out.push_str(&format!(
        "  <amazon_bgp_asn>{}</amazon_bgp_asn>\n",
        vif.amazon_side_asn.unwrap_or_default()
    ));
    out.push_str(&format!(
        "  <connection_type>{}</connection_type>\n",
        VifType::of(vif).as_str()
    ));
    out.push_str("</logical_connection>\n");
    out
}

/// Splits `a.b.c.d/len` into the address and a dotted netmask.
fn v4_and_mask(cidr: &str) -> (String, String) {
    let (addr, len) = cidr.split_once('/').unwrap_or((cidr, "32"));
    let len: u32 = len.parse().unwrap_or(32).min(32);
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    (addr.to_string(), std::net::Ipv4Addr::from(mask).to_string())
}

fn bare(cidr: &str) -> &str {
    cidr.split_once('/').map_or(cidr, |(a, _)| a)
}

/// Vendor configuration text for one VIF.
fn render(router: &Router, vif: &VirtualInterface) -> String {
    let id = vif.virtual_interface_id.as_deref().unwrap_or_default();
    let vlan = vif.vlan.unwrap_or(0);
    let amazon_asn = vif.amazon_side_asn.unwrap_or_default();
    let peers = vif.bgp_peers.as_deref().unwrap_or_default();
    let mut out = String::new();
    let header = |c: &str| {
        format!(
            "{c} Amazon Web Services Direct Connect (emulated by dxemu)\n{c} Virtual interface: {id} ({})\n{c} Router: {} {} ({})\n\n",
            VifType::of(vif).as_str(),
            router.vendor,
            router.platform,
            router.software
        )
    };
    match router.dialect {
        Dialect::CiscoIos | Dialect::CiscoNxos => {
            out.push_str(&header("!"));
            let iface = if matches!(router.dialect, Dialect::CiscoNxos) {
                "Ethernet1/1"
            } else {
                "GigabitEthernet0/1"
            };
            out.push_str(&format!("interface {iface}.{vlan}\n  description AWS Direct Connect {id}\n  encapsulation dot1Q {vlan}\n"));
            for p in peers {
                let cust = p.customer_address.as_deref().unwrap_or_default();
                if p.address_family == Some(AddressFamily::Ipv6) {
                    out.push_str(&format!("  ipv6 address {cust}\n"));
                } else {
                    let (a, m) = v4_and_mask(cust);
                    out.push_str(&format!("  ip address {a} {m}\n"));
                }
            }
            out.push_str("!\n");
            let asn = peers.first().and_then(|p| p.asn_long).unwrap_or_default();
            out.push_str(&format!("router bgp {asn}\n"));
            for p in peers {
                let neighbor = bare(p.amazon_address.as_deref().unwrap_or_default());
                out.push_str(&format!("  neighbor {neighbor} remote-as {amazon_asn}\n"));
                out.push_str(&format!(
                    "  neighbor {neighbor} password {}\n",
                    p.auth_key.as_deref().unwrap_or_default()
                ));
            }
            out.push_str("!\n");
        }
        Dialect::Junos => {
            out.push_str(&header("#"));
            out.push_str(&format!("set interfaces ge-0/0/1 vlan-tagging\nset interfaces ge-0/0/1 unit {vlan} vlan-id {vlan}\n"));
            out.push_str(&format!(
                "set interfaces ge-0/0/1 unit {vlan} description \"AWS Direct Connect {id}\"\n"
            ));
            for p in peers {
                let fam = if p.address_family == Some(AddressFamily::Ipv6) {
                    "inet6"
                } else {
                    "inet"
                };
                let group = if fam == "inet6" {
                    "EBGP-AWS-V6"
                } else {
                    "EBGP-AWS"
                };
                out.push_str(&format!(
                    "set interfaces ge-0/0/1 unit {vlan} family {fam} address {}\n",
                    p.customer_address.as_deref().unwrap_or_default()
                ));
                let neighbor = bare(p.amazon_address.as_deref().unwrap_or_default());
                out.push_str(&format!("set protocols bgp group {group} type external\n"));
                out.push_str(&format!(
                    "set protocols bgp group {group} local-as {}\n",
                    p.asn_long.unwrap_or_default()
                ));
                out.push_str(&format!(
                    "set protocols bgp group {group} neighbor {neighbor} peer-as {amazon_asn}\n"
                ));
                out.push_str(&format!(
                    "set protocols bgp group {group} neighbor {neighbor} authentication-key \"{}\"\n",
                    p.auth_key.as_deref().unwrap_or_default()
                ));
            }
        }
        Dialect::PanOs => {
            out.push_str(&header("#"));
            let name = format!("ethernet1/1.{vlan}");
            out.push_str(&format!(
                "set network interface ethernet ethernet1/1 layer3 units {name} tag {vlan}\n"
            ));
            for p in peers {
                out.push_str(&format!(
                    "set network interface ethernet ethernet1/1 layer3 units {name} ip {}\n",
                    p.customer_address.as_deref().unwrap_or_default()
                ));
            }
            let asn = peers.first().and_then(|p| p.asn_long).unwrap_or_default();
            out.push_str(&format!(
                "set network virtual-router default protocol bgp enable yes local-as {asn}\n"
            ));
            for (i, p) in peers.iter().enumerate() {
                let neighbor = bare(p.amazon_address.as_deref().unwrap_or_default());
                out.push_str(&format!(
                    "set network virtual-router default protocol bgp peer-group AWS peer aws-{i} peer-as {amazon_asn} peer-address ip {neighbor} local-address interface {name}\n"
                ));
                out.push_str(&format!(
                    "set network virtual-router default protocol bgp auth-profile aws-{i} secret {}\n",
                    p.auth_key.as_deref().unwrap_or_default()
                ));
            }
        }
    }
    out
}

pub(crate) fn describe_router_configuration(
    svc: &Emulator,
    cx: &RequestContext,
    input: DescribeRouterConfigurationRequest,
) -> Result<DescribeRouterConfigurationResponse, ApiError> {
    let (_, doc) = load_vif(svc, cx, &input.virtual_interface_id, true)?;
    let vif = doc.wire;
    let (config, router) = match input.router_type_identifier.as_deref() {
        None => (generic_xml(&vif), None),
        Some(id) => {
            let router = ROUTERS.iter().find(|r| r.id == id).ok_or_else(|| {
                ApiError::client(format!(
                    "Router type {id} is not supported. Supported router types: {}.",
                    router_type_ids().collect::<Vec<_>>().join(", ")
                ))
            })?;
            let kind = RouterType {
                vendor: Some(router.vendor.into()),
                platform: Some(router.platform.into()),
                software: Some(router.software.into()),
                xslt_template_name: Some(router.template.into()),
                xslt_template_name_for_mac_sec: router.macsec_template.map(Into::into),
                router_type_identifier: Some(router.id.into()),
            };
            (render(router, &vif), Some(kind))
        }
    };
    Ok(DescribeRouterConfigurationResponse {
        customer_router_config: Some(config),
        router,
        virtual_interface_id: vif.virtual_interface_id,
        virtual_interface_name: vif.virtual_interface_name,
    })
}
