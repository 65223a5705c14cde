//! The Direct Connect location catalog that `DescribeLocations` reports and
//! that `CreateConnection`, `CreateInterconnect` and `CreateLag` validate
//! against.
//!
//! Source: the public dataset `chriselsen/dx-location-details` (commit
//! 4b12cb7, 2026-02-17), as summarised in section 14 of the project's
//! behaviour reference (`aws-behaviour.md`). That dataset upper-cases codes;
//! the codes AWS is known to spell in mixed case keep AWS's spelling: `EqDC2`
//! (AWS CLI examples) and `EqSe2` (a recorded CreateConnection that AWS
//! accepted in us-west-2). Since the real case of the other codes is unknown,
//! a code is matched without regard to case and answered as catalogued. The two sa-east-1 entries come from the
//! AWS CLI `describe-locations` example. No public source lists the providers
//! of a location, so every provider list is empty.

/// A Direct Connect location as DescribeLocations reports it.
#[derive(Debug)]
pub struct LocationInfo {
    /// The location code, e.g. `EqDC2`.
    pub code: &'static str,
    /// The facility name, city, state and country.
    pub name: &'static str,
    /// The home region of the location.
    pub region: &'static str,
    /// Dedicated port speeds on offer: `"1G"`, `"10G"`, `"100G"`, `"400G"`.
    pub port_speeds: &'static [&'static str],
    /// Port speeds that support MACsec (a subset of `port_speeds`).
    pub macsec_speeds: &'static [&'static str],
    /// Partner names usable as `providerName`.
    pub providers: &'static [&'static str],
}

const P1_10: &[&str] = &["1G", "10G"];
const P1_100: &[&str] = &["1G", "10G", "100G"];
const P1_400: &[&str] = &["1G", "10G", "100G", "400G"];
const P10_100: &[&str] = &["10G", "100G"];

const M_NONE: &[&str] = &[];
const M10: &[&str] = &["10G"];
const M10_100: &[&str] = &["10G", "100G"];
const M10_400: &[&str] = &["10G", "100G", "400G"];

/// Builds one catalog row with no providers.
const fn loc(
    region: &'static str,
    code: &'static str,
    name: &'static str,
    port_speeds: &'static [&'static str],
    macsec_speeds: &'static [&'static str],
) -> LocationInfo {
    LocationInfo {
        code,
        name,
        region,
        port_speeds,
        macsec_speeds,
        providers: &[],
    }
}

/// Every known location, grouped by region, in catalog order.
static LOCATIONS: &[LocationInfo] = &[
    // us-east-1
    loc(
        "us-east-1",
        "165HS",
        "165 Halsey Meet-Me Room, Newark, NJ, US",
        P1_400,
        M10_400,
    ),
    loc(
        "us-east-1",
        "CS32A",
        "CoreSite - New York (NY1), New York, NY, US",
        P1_100,
        M10_100,
    ),
    loc(
        "us-east-1",
        "CSVA1",
        "CoreSite - Reston (VA1), Reston, VA, US",
        P1_400,
        M10_400,
    ),
    loc(
        "us-east-1",
        "EQDA2",
        "Equinix DA - Dallas (previously Infomart Dallas), Dallas, TX, US",
        P1_100,
        M10_100,
    ),
    loc(
        "us-east-1",
        "EqDC2",
        "Equinix DC1-DC15, Ashburn, VA, US",
        P1_400,
        M10_400,
    ),
    loc(
        "us-east-1",
        "EQMI1",
        "Equinix MI1 - Miami, Miami, FL, US",
        P1_100,
        M10_100,
    ),
    loc(
        "us-east-1",
        "EQNY5",
        "Equinix NY2/NY4/NY5/NY6 - New York, Secaucus, NJ, US",
        P1_100,
        M10_100,
    ),
    loc(
        "us-east-1",
        "KIOQ1",
        "KIO Querétaro 1 (QRO1), El Marques, MX",
        P1_100,
        M10_100,
    ),
    loc(
        "us-east-1",
        "LGT50",
        "Crown Castle Philadelphia (401 N Broad), Philadelphia, PA, US",
        P1_100,
        M10_100,
    ),
    loc(
        "us-east-1",
        "MB1SD",
        "Markley Group One Summer Street Boston, Boston, MA, US",
        P1_100,
        M10_100,
    ),
    loc(
        "us-east-1",
        "QTDC2",
        "QTS Atlanta-Metro (ATL1), Atlanta, GA, US",
        P1_100,
        M10_100,
    ),
    loc(
        "us-east-1",
        "TLLPJ",
        "Digital Realty IAD (44100 Digital Loudoun), Ashburn, VA, US",
        P1_100,
        M10_100,
    ),
    loc(
        "us-east-1",
        "TLXA1",
        "Digital Realty ATL (56 Marietta), Atlanta, GA, US",
        P1_100,
        M10_100,
    ),
    // us-west-2
    loc(
        "us-west-2",
        "ALN91",
        "AlohaNAP, Kapolei, HI, US",
        P10_100,
        M10_100,
    ),
    loc(
        "us-west-2",
        "CSDE1",
        "CoreSite - Denver (DE1), Denver, CO, US",
        P1_10,
        M10,
    ),
    loc(
        "us-west-2",
        "DBLV1",
        "DataBank Las Vegas (LAS1), Las Vegas, NV, US",
        P10_100,
        M10_100,
    ),
    loc(
        "us-west-2",
        "ECPO1",
        "EdgeConneX Portland (EDCPOR01), Hillsboro, OR, US",
        P1_100,
        M10_100,
    ),
    loc(
        "us-west-2",
        "EqSe2",
        "Equinix SE2/SE3 - Seattle, Seattle, WA, US",
        P1_400,
        M10_400,
    ),
    loc(
        "us-west-2",
        "PEH51",
        "The Pittock, Portland, OR, US",
        P1_100,
        M10_100,
    ),
    loc(
        "us-west-2",
        "SNAP",
        "Switch Las Vegas, Las Vegas, NV, US",
        P1_100,
        M10_100,
    ),
    loc(
        "us-west-2",
        "T5ALA",
        "Serverfarm LAX1 Los Angeles, El Segundo, CA, US",
        P1_100,
        M_NONE,
    ),
    loc(
        "us-west-2",
        "TPS19",
        "TierPoint Seattle, Seattle, WA, US",
        P1_10,
        M10,
    ),
    // eu-west-1
    loc(
        "eu-west-1",
        "EIRCL",
        "Eircom Dublin (Clonshaugh), Dublin, IE",
        P1_10,
        M10,
    ),
    loc(
        "eu-west-1",
        "EQDX1",
        "Equinix DX1 - Dubai, Dubai, AE",
        P1_10,
        M10,
    ),
    loc(
        "eu-west-1",
        "EQLD5",
        "Equinix LD5 - London, Slough, GB",
        P1_100,
        M10_100,
    ),
    loc(
        "eu-west-1",
        "EQLS1",
        "Equinix LS1 - Lisbon, Lisbon, PT",
        P10_100,
        M10_100,
    ),
    loc(
        "eu-west-1",
        "ETIFJ",
        "SmartHub Fujairah, Fujairah, AE",
        P1_10,
        M10,
    ),
    loc(
        "eu-west-1",
        "ITXD2",
        "Digital Realty Dublin DUB1-2, Dublin, IE",
        P1_100,
        M10_100,
    ),
    loc(
        "eu-west-1",
        "ITXM1",
        "Digital Realty Marseille MRS1-3, Marseille, FR",
        P1_10,
        M_NONE,
    ),
    loc(
        "eu-west-1",
        "SCDB9",
        "Servecentric (Blanchardstown), Dublin, IE",
        P1_100,
        M10_100,
    ),
    loc(
        "eu-west-1",
        "TCSH",
        "Digital Realty London LHR20, London, GB",
        P1_10,
        M10,
    ),
    loc(
        "eu-west-1",
        "TEJB1",
        "Teraco Johannesburg Campus, Johannesburg, ZA",
        P1_100,
        M10_100,
    ),
    // ap-southeast-2
    loc(
        "ap-southeast-2",
        "CBHU2",
        "CDC Canberra HU2, Hume, AU",
        P10_100,
        M10_100,
    ),
    loc(
        "ap-southeast-2",
        "DCDH6",
        "Datacom - Orbit Data Centre (Auckland), Auckland, NZ",
        P1_10,
        M10,
    ),
    loc(
        "ap-southeast-2",
        "EQSY3",
        "Equinix SY3 - Sydney, Sydney, AU",
        P1_100,
        M10_100,
    ),
    loc(
        "ap-southeast-2",
        "GBSY6",
        "Equinix SY6 - Sydney (formerly Metronode Sydney 2), Silverwater, AU",
        P1_10,
        M_NONE,
    ),
    loc(
        "ap-southeast-2",
        "NDCB2",
        "NEXTDC B2, Fortitude Valley, AU",
        P10_100,
        M10_100,
    ),
    loc(
        "ap-southeast-2",
        "NDCC1",
        "NEXTDC C1, Bruce, AU",
        P1_10,
        M10,
    ),
    loc(
        "ap-southeast-2",
        "NDCM1",
        "NEXTDC M1, Melbourne, AU",
        P1_100,
        M10_100,
    ),
    loc(
        "ap-southeast-2",
        "NDCP1",
        "NEXTDC P1, Málaga, AU",
        P1_100,
        M10_100,
    ),
    loc(
        "ap-southeast-2",
        "NDCS2",
        "NEXTDC S2, Macquarie Park, AU",
        P1_100,
        M10_100,
    ),
    // eu-central-1
    loc(
        "eu-central-1",
        "EQFA5",
        "Equinix FR5 - Frankfurt, Frankfurt, DE",
        P1_100,
        M10_100,
    ),
    loc(
        "eu-central-1",
        "INX6",
        "Digital Realty Frankfurt FRA1-16, Frankfurt, DE",
        P1_100,
        M10_100,
    ),
    loc(
        "eu-central-1",
        "EQAM3",
        "Equinix AM3 - Amsterdam, Amsterdam, NL",
        P1_100,
        M10_100,
    ),
    // sa-east-1
    loc(
        "sa-east-1",
        "TNDB",
        "NAP do Brasil, Barueri, Sao Paulo",
        P1_10,
        M_NONE,
    ),
    loc(
        "sa-east-1",
        "TIVIT",
        "Tivit - Site Transamerica (Sao Paulo)",
        P1_10,
        M_NONE,
    ),
];

/// Every location of a region, in catalog order (empty for an unknown region).
pub fn in_region(region: &str) -> impl Iterator<Item = &'static LocationInfo> {
    LOCATIONS.iter().filter(move |l| l.region == region)
}

/// The location with this code in this region, whatever the case of `code`
/// (the catalogue's spelling of most codes is the dataset's upper case, not
/// necessarily AWS's).
pub fn find(region: &str, code: &str) -> Option<&'static LocationInfo> {
    in_region(region).find(|l| l.code.eq_ignore_ascii_case(code))
}

/// The port-speed label of a dedicated bandwidth: "1Gbps" -> Some("1G"), "10Gbps" -> "10G", "100Gbps" -> "100G", "400Gbps" -> "400G"; anything else None.
pub fn port_speed(bandwidth: &str) -> Option<&'static str> {
    match bandwidth {
        "1Gbps" => Some("1G"),
        "10Gbps" => Some("10G"),
        "100Gbps" => Some("100G"),
        "400Gbps" => Some("400G"),
        _ => None,
    }
}

// --- billing modes ---

/// Commercial Regions (no China, no GovCloud) grouped by continent, for the
/// Regions a flat-rate tier includes [I: the flat-rate guide names Tier1
/// metro ... Tier5 global; the groups between are the emulator's].
const CONTINENTS: &[&[&str]] = &[
    &[
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "ca-central-1",
        "ca-west-1",
    ],
    &["sa-east-1", "mx-central-1"],
    &[
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
    ],
    &["me-south-1", "me-central-1", "il-central-1", "af-south-1"],
    &[
        "ap-southeast-2",
        "ap-southeast-4",
        "ap-southeast-6",
        "ap-southeast-1",
        "ap-southeast-3",
        "ap-southeast-5",
        "ap-southeast-7",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-east-1",
        "ap-east-2",
    ],
];

/// The continent group a commercial Region belongs to, if known.
pub fn continent_of(region: &str) -> Option<usize> {
    CONTINENTS.iter().position(|c| c.contains(&region))
}

/// The Regions a flat-rate tier (1-5) of a location whose home Region is
/// `home` includes, home first; cumulative: Tier1 the home Region, Tier2 its
/// neighbours on the same coast or country, Tier3 its continent, Tier4 the
/// continent and the next one (Americas, Europe with Middle East and Africa,
/// Asia Pacific with Middle East), Tier5 every commercial Region.
pub fn tier_regions(home: &str, tier: u8) -> Vec<String> {
    let mut out = vec![home.to_string()];
    let mut add = |list: &[&str]| {
        for r in list {
            if !out.iter().any(|o| o == r) {
                out.push((*r).to_string());
            }
        }
    };
    let continent = CONTINENTS
        .iter()
        .position(|c| c.contains(&home))
        .unwrap_or(0);
    if tier >= 2 {
        let neighbours: &[&str] = match home {
            "us-east-1" | "us-east-2" => &["us-east-1", "us-east-2"],
            "us-west-1" | "us-west-2" => &["us-west-1", "us-west-2"],
            "eu-west-1" | "eu-west-2" => &["eu-west-1", "eu-west-2"],
            "eu-central-1" | "eu-central-2" => &["eu-central-1", "eu-central-2"],
            "ap-southeast-2" | "ap-southeast-4" => &["ap-southeast-2", "ap-southeast-4"],
            "sa-east-1" => &["sa-east-1"],
            _ => &[],
        };
        add(neighbours);
    }
    if tier >= 3 {
        add(CONTINENTS[continent]);
    }
    if tier >= 4 {
        let next = match continent {
            0 => 1,
            1 => 0,
            2 => 3,
            3 => 2,
            _ => 3,
        };
        add(CONTINENTS[next]);
    }
    if tier >= 5 {
        for c in CONTINENTS {
            add(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const REGIONS: &[&str] = &[
        "us-east-1",
        "us-west-2",
        "eu-west-1",
        "ap-southeast-2",
        "eu-central-1",
        "sa-east-1",
    ];

    #[test]
    fn every_region_has_locations() {
        for region in REGIONS {
            assert!(in_region(region).count() > 0, "{region} has no locations");
        }
        assert_eq!(in_region("xx-nowhere-1").count(), 0);
    }

    #[test]
    fn every_location_is_in_a_listed_region() {
        for l in LOCATIONS {
            assert!(REGIONS.contains(&l.region), "{l:?}");
            assert!(!l.port_speeds.is_empty(), "{l:?}");
            assert!(l.providers.is_empty(), "{l:?}");
        }
    }

    #[test]
    fn eqdc2_offers_400g_and_macsec() {
        let l = find("us-east-1", "EqDC2").unwrap();
        assert_eq!(l.name, "Equinix DC1-DC15, Ashburn, VA, US");
        assert!(l.port_speeds.contains(&"400G"));
        assert_eq!(l.macsec_speeds, &["10G", "100G", "400G"]);
        // Codes match whatever their case (the catalogue's case is the dataset's).
        assert_eq!(find("us-east-1", "EQDC2").unwrap().code, "EqDC2");
        assert_eq!(find("us-west-2", "EqSe2").unwrap().code, "EqSe2");
        assert!(find("us-west-2", "EqDC2").is_none());
    }

    #[test]
    fn sa_east_1_entries() {
        let codes: Vec<_> = in_region("sa-east-1").map(|l| l.code).collect();
        assert_eq!(codes, ["TNDB", "TIVIT"]);
        let l = find("sa-east-1", "TIVIT").unwrap();
        assert_eq!(l.name, "Tivit - Site Transamerica (Sao Paulo)");
        assert!(l.macsec_speeds.is_empty());
    }

    #[test]
    fn macsec_speeds_are_port_speeds() {
        for l in LOCATIONS {
            for m in l.macsec_speeds {
                assert!(l.port_speeds.contains(m), "{} {m}", l.code);
            }
        }
    }

    #[test]
    fn codes_unique_per_region() {
        for region in REGIONS {
            let mut seen = HashSet::new();
            for l in in_region(region) {
                assert!(seen.insert(l.code), "duplicate {} in {region}", l.code);
            }
        }
    }

    #[test]
    fn region_counts_and_order() {
        assert_eq!(in_region("us-east-1").count(), 13);
        assert_eq!(in_region("us-west-2").count(), 9);
        assert_eq!(in_region("eu-west-1").count(), 10);
        assert_eq!(in_region("ap-southeast-2").count(), 9);
        assert_eq!(in_region("eu-central-1").count(), 3);
        assert_eq!(in_region("us-east-1").next().unwrap().code, "165HS");
    }

    #[test]
    fn port_speed_mapping() {
        assert_eq!(port_speed("1Gbps"), Some("1G"));
        assert_eq!(port_speed("10Gbps"), Some("10G"));
        assert_eq!(port_speed("100Gbps"), Some("100G"));
        assert_eq!(port_speed("400Gbps"), Some("400G"));
        assert_eq!(port_speed("500Mbps"), None);
        assert_eq!(port_speed("10gbps"), None);
        assert_eq!(port_speed(""), None);
    }
}
