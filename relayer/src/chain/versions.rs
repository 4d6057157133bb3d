//! What software a chain's node runs: the CometBFT RPC dialect the relayer speaks to it,
//! and the Cosmos SDK and ibc-go versions the application reports (for `query status`).
//!
//! The dialect follows the version the node reports in `/status`. CometBFT 0.39 and 1.x
//! keep 0.38's RPC encoding (`finalize_block_events`, base64-free event attributes), so
//! they are spoken to as 0.38; a version the relayer does not know falls back to the
//! newest dialect with a warning instead of refusing the chain.

use ibc_proto::cosmos::base::tendermint::v1beta1::VersionInfo;
use tendermint_rpc::client::CompatMode;

/// The dialect chosen for one node, and why when it is a guess.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// What the RPC client speaks to the node.
    pub mode: CompatMode,
    /// Set when the version is unknown or unparsable: the warning to log once.
    pub fallback: Option<String>,
}

/// The dialect to speak to a node that reports CometBFT `version` (e.g. `0.38.19`,
/// `v1.0.1`, `0.37.4-rc1`).
pub fn dialect_for(version: &str) -> Dialect {
    let known = |mode| Dialect {
        mode,
        fallback: None,
    };
    let guess = |why: String| Dialect {
        mode: CompatMode::latest(),
        fallback: Some(format!(
            "{why}; speaking the CometBFT {} RPC dialect to it",
            CompatMode::latest()
        )),
    };
    let Ok(parsed) = semver::Version::parse(version.trim().trim_start_matches('v')) else {
        return guess(format!(
            "the node reports CometBFT version `{version}`, which does not parse"
        ));
    };
    match (parsed.major, parsed.minor) {
        (0, 34) => known(CompatMode::V0_34),
        (0, 37) => known(CompatMode::V0_37),
        (0, 38) | (0, 39) | (1, _) => known(CompatMode::V0_38),
        _ => guess(format!(
            "the node runs CometBFT {parsed}, a version the relayer does not know"
        )),
    }
}

/// The versions one chain's node reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainVersions {
    /// CometBFT, from `/status` (e.g. `0.38.19`).
    pub cometbft: String,
    /// The Cosmos SDK the application was built with (e.g. `v0.53.4`), when reported.
    pub cosmos_sdk: Option<String>,
    /// ibc-go, from the application's build dependencies (e.g. `v10.7.0`), when reported.
    pub ibc_go: Option<String>,
    /// The application's name and version (e.g. `simd v10.7.0`), when reported.
    pub app: Option<String>,
}

impl ChainVersions {
    /// From the CometBFT version of `/status` and the application's `GetNodeInfo` answer.
    pub fn new(cometbft: &str, app: Option<&VersionInfo>) -> Self {
        let non_empty = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        Self {
            cometbft: cometbft.to_string(),
            cosmos_sdk: app.and_then(|a| non_empty(&a.cosmos_sdk_version)),
            ibc_go: app.and_then(ibc_go_version),
            app: app.and_then(|a| {
                non_empty(&format!("{} {}", a.app_name, a.version)).or_else(|| non_empty(&a.name))
            }),
        }
    }
}

impl ChainVersions {
    /// The ibc-go major version (10 for `v10.7.0`), when reported.
    pub fn ibc_go_major(&self) -> Option<u64> {
        let v = self.ibc_go.as_deref()?.trim_start_matches('v');
        v.split('.').next()?.parse().ok()
    }

    /// Why a channel cannot be opened with an ICS-29 fee version on this chain: ibc-go v10
    /// removed the fee middleware. `None` when the chain has it or does not say.
    pub fn lacks_fee_middleware(&self) -> Option<String> {
        self.ibc_go_major().filter(|major| *major >= 10)?;
        Some(format!(
            "the chain runs ibc-go {}, which has no ICS-29 fee middleware (ibc-go removed it \
             in v10): open the channel with the application's own version, e.g. --version ics20-1",
            self.ibc_go.as_deref().unwrap_or_default()
        ))
    }
}

/// Whether a channel version asks for the ICS-29 fee middleware (a JSON object with
/// `fee_version`, e.g. `{"fee_version":"ics29-1","app_version":"ics20-1"}`).
pub fn is_fee_version(version: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(version)
        .ok()
        .is_some_and(|v| v.get("fee_version").is_some())
}

/// The version of the ibc-go module among the application's build dependencies (its
/// module path is `github.com/cosmos/ibc-go` or `github.com/cosmos/ibc-go/vN`; not its
/// submodules such as `.../modules/capability`).
fn ibc_go_version(app: &VersionInfo) -> Option<String> {
    app.build_deps.iter().find_map(|dep| {
        let rest = dep.path.strip_prefix("github.com/cosmos/ibc-go")?;
        let core = match rest.strip_prefix("/v") {
            Some(major) => !major.is_empty() && major.chars().all(|c| c.is_ascii_digit()),
            None => rest.is_empty(),
        };
        if !core {
            return None;
        }
        (!dep.version.is_empty()).then(|| dep.version.clone())
    })
}

#[cfg(test)]
mod tests {
    use ibc_proto::cosmos::base::tendermint::v1beta1::Module;

    use super::*;

    #[test]
    fn each_cometbft_line_gets_its_dialect() {
        for (version, mode) in [
            ("0.34.27", CompatMode::V0_34),
            ("v0.34.29", CompatMode::V0_34),
            ("0.37.4", CompatMode::V0_37),
            ("0.37.0-rc1", CompatMode::V0_37),
            ("0.38.19", CompatMode::V0_38),
            ("0.39.0", CompatMode::V0_38),
            ("1.0.1", CompatMode::V0_38),
            ("v1.0.0-rc2", CompatMode::V0_38),
        ] {
            let d = dialect_for(version);
            assert_eq!(d.mode, mode, "{version}");
            assert_eq!(d.fallback, None, "{version}");
        }
    }

    #[test]
    fn an_unknown_version_falls_back_to_the_newest_dialect_with_a_warning() {
        for version in ["2.0.0", "0.35.9", "", "cometbft-next", "0.38"] {
            let d = dialect_for(version);
            assert_eq!(d.mode, CompatMode::latest(), "{version}");
            let why = d.fallback.expect(version);
            assert!(why.contains("speaking the CometBFT v0.38"), "{why}");
        }
    }

    fn module(path: &str, version: &str) -> Module {
        Module {
            path: path.into(),
            version: version.into(),
            sum: String::new(),
        }
    }

    #[test]
    fn versions_are_read_from_the_application_info() {
        let app = VersionInfo {
            name: "sim".into(),
            app_name: "simd".into(),
            version: "v10.7.0".into(),
            cosmos_sdk_version: "v0.53.4".into(),
            build_deps: vec![
                module("github.com/cosmos/ibc-go/modules/capability", "v1.0.1"),
                module("github.com/cosmos/ibc-go/v10", "v10.7.0"),
                module("github.com/cosmos/cosmos-sdk", "v0.53.4"),
            ],
            ..VersionInfo::default()
        };
        let v = ChainVersions::new("0.38.19", Some(&app));
        assert_eq!(v.cometbft, "0.38.19");
        assert_eq!(v.cosmos_sdk.as_deref(), Some("v0.53.4"));
        assert_eq!(v.ibc_go.as_deref(), Some("v10.7.0"));
        assert_eq!(v.app.as_deref(), Some("simd v10.7.0"));
    }

    #[test]
    fn a_fee_version_is_refused_from_ibc_go_v10_on() {
        let fee = r#"{"fee_version":"ics29-1","app_version":"ics20-1"}"#;
        assert!(is_fee_version(fee));
        assert!(!is_fee_version("ics20-1"));
        assert!(!is_fee_version(r#"{"version":"ics27-1"}"#));
        let on = |ibc_go: &str| ChainVersions {
            ibc_go: Some(ibc_go.into()),
            ..ChainVersions::default()
        };
        assert_eq!(on("v8.8.0").ibc_go_major(), Some(8));
        assert_eq!(on("v8.8.0").lacks_fee_middleware(), None);
        let why = on("v10.7.0").lacks_fee_middleware().unwrap();
        assert!(
            why.contains("ibc-go v10.7.0") && why.contains("--version ics20-1"),
            "{why}"
        );
        assert!(on("v11.2.0").lacks_fee_middleware().is_some());
        assert_eq!(ChainVersions::default().lacks_fee_middleware(), None);
    }

    #[test]
    fn what_the_application_does_not_report_is_not_invented() {
        let app = VersionInfo {
            build_deps: vec![
                module("github.com/cosmos/ibc-go-extra", "v1.0.0"),
                module("github.com/cosmos/ibc-go/v8", "v8.8.0"),
            ],
            ..VersionInfo::default()
        };
        let v = ChainVersions::new("0.38.17", Some(&app));
        assert_eq!(v.ibc_go.as_deref(), Some("v8.8.0"));
        assert_eq!(v.cosmos_sdk, None);
        assert_eq!(v.app, None);
        assert_eq!(ChainVersions::new("0.38.17", None).ibc_go, None);
    }
}
