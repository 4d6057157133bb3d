//! `health-check` and `query packet pending`.

use std::collections::HashMap;

use stateset_channels::HandshakeState;

use super::{connect, print_json};
use crate::chain::ChainEndpoint;
use crate::client::{self, ClientStatus};
use crate::config::{ChainConfig, Config, SignerKind};
use crate::keys::Signer;

/// Checks every configured chain: reachable, the relayer's key present and funded (gas
/// denom; with a PKCS#11 signer, the token logged in to and the key signing a test
/// digest), and every client behind an OPEN connection to another configured chain not
/// expired or frozen. Fails (non-zero exit) when anything is wrong.
pub async fn health_check(config: &Config, json: bool) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    let mut report = Vec::new();
    let token_addresses = token_check(config, &mut problems).await;
    let file_keys = config.signer.kind == SignerKind::File;
    for chain in &config.chains {
        let id = chain.id.to_string();
        let endpoint = match connect(config, &id, file_keys).await {
            Ok(e) => e,
            Err(e) => {
                problems.push(format!("{id}: {e:#}"));
                continue;
            }
        };
        let height = endpoint
            .rpc()
            .latest_height()
            .await
            .map(|h| h.value())
            .unwrap_or(0);
        let address = match token_addresses.get(&id) {
            Some(a) => a.clone(),
            None => endpoint.signer_address().unwrap_or_default().to_string(),
        };
        let balance = endpoint
            .grpc()
            .balance(&address, &chain.gas_price.denom)
            .await
            .unwrap_or(0);
        if balance == 0 {
            problems.push(format!(
                "{id}: the relayer's account {address} has no {}",
                chain.gas_price.denom
            ));
        }
        let clients = clients_report(config, chain, &endpoint, &mut problems).await;
        report.push(serde_json::json!({
            "chain": id, "height": height, "address": address, "balance": balance.to_string(),
            "denom": chain.gas_price.denom, "clients": clients,
        }));
    }
    print_report(json, &report, &problems);
    anyhow::ensure!(problems.is_empty(), "{} problem(s) found", problems.len());
    Ok(())
}

/// The clients of the other configured chains on `chain`; those behind an open
/// connection that are not Active go to `problems`.
async fn clients_report(
    config: &Config,
    chain: &ChainConfig,
    endpoint: &ChainEndpoint,
    problems: &mut Vec<String>,
) -> Vec<serde_json::Value> {
    let id = chain.id.to_string();
    let mut clients = Vec::new();
    for other in config.chains.iter().filter(|o| o.id != chain.id) {
        for c in client::find_clients(endpoint, other.id.as_str())
            .await
            .unwrap_or_default()
        {
            let used = endpoint
                .grpc()
                .client_connections(&c.client_id)
                .await
                .unwrap_or_default();
            let mut open = false;
            for conn in used {
                if let Ok(Some(end)) = endpoint.grpc().connection(&conn, None).await {
                    open |=
                        HandshakeState::from_connection_state(end.state) == HandshakeState::Open;
                }
            }
            if open && c.status != ClientStatus::Active {
                problems.push(format!(
                    "{id}: client {} of {} is {} (an open connection uses it)",
                    c.client_id, other.id, c.status
                ));
            }
            clients.push(serde_json::json!({
                "client": c.client_id, "counterparty": other.id.as_str(), "status": c.status.to_string(),
                "seconds_left": c.time_left.as_secs(), "in_use": open,
            }));
        }
    }
    clients
}

/// Prints the health report, as JSON or text.
fn print_report(json: bool, report: &[serde_json::Value], problems: &[String]) {
    if json {
        print_json(
            &serde_json::json!({ "healthy": problems.is_empty(), "chains": report, "problems": problems }),
        );
    } else {
        for r in report {
            println!(
                "{}: height {}, relayer {} holds {} {}, {} client(s) of configured chains",
                r["chain"].as_str().unwrap_or_default(),
                r["height"],
                r["address"].as_str().unwrap_or_default(),
                r["balance"].as_str().unwrap_or_default(),
                r["denom"].as_str().unwrap_or_default(),
                r["clients"].as_array().map_or(0, Vec::len)
            );
        }
        for p in problems {
            println!("PROBLEM {p}");
        }
        if problems.is_empty() {
            println!("healthy");
        }
    }
}

/// With `[signer] kind = "pkcs11"`: logs in to the token and, for every chain, finds its
/// key (labelled with the chain's key_name) and signs a test digest with it. The
/// addresses of the keys that signed, by chain id; what failed goes to `problems`.
async fn token_check(config: &Config, problems: &mut Vec<String>) -> HashMap<String, String> {
    let mut addresses = HashMap::new();
    if config.signer.kind != SignerKind::Pkcs11 {
        return addresses;
    }
    let token = match super::keys::open_token(config).await {
        Ok(t) => t,
        Err(e) => {
            problems.push(format!("signer: {e:#}"));
            return addresses;
        }
    };
    for chain in &config.chains {
        let id = chain.id.to_string();
        let signed = async {
            let signer = Signer::Pkcs11(token.signer(&chain.key_name, &id).await?);
            signer.sign(b"stateset-relayer health-check").await?;
            signer.address(&chain.account_prefix)
        };
        match signed.await {
            Ok(address) => {
                addresses.insert(id, address);
            }
            Err(e) => problems.push(format!("{id}: {e}")),
        }
    }
    addresses
}

/// Packets pending on `port`/`channel` of `chain`, both directions: sent and not received,
/// received and not acknowledged.
pub async fn pending(
    config: &Config,
    chain: &str,
    port: &str,
    channel: &str,
    json: bool,
) -> anyhow::Result<()> {
    let a = connect(config, chain, false).await?;
    let end = a
        .grpc()
        .channel(port, channel, None)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{chain}: channel {port}/{channel} not found"))?;
    let cp = end.counterparty.clone().unwrap_or_default();
    let hop = end.connection_hops.first().cloned().unwrap_or_default();
    let conn = a
        .grpc()
        .connection(&hop, None)
        .await?
        .ok_or_else(|| anyhow::anyhow!("{chain}: connection {hop} not found"))?;
    let summary = client::summarize(&a, &conn.client_id).await?;
    let b = connect(config, &summary.tracked_chain_id, false).await?;
    let ends = [
        (port, channel),
        (cp.port_id.as_str(), cp.channel_id.as_str()),
    ];
    print_pending(&a, &b, ends, json).await
}

/// Packets pending over IBC v2 client `client` of `chain` and its registered counterparty,
/// both directions.
pub async fn pending_v2(
    config: &Config,
    chain: &str,
    client: &str,
    json: bool,
) -> anyhow::Result<()> {
    let a = connect(config, chain, false).await?;
    let cp = a.grpc().counterparty_info(client).await?.ok_or_else(|| {
        anyhow::anyhow!("{chain}: client {client} is not registered with a counterparty (IBC v2)")
    })?;
    let summary = client::summarize(&a, client).await?;
    let b = connect(config, &summary.tracked_chain_id, false).await?;
    let v2 = stateset_channels::v2::V2_PORT;
    print_pending(&a, &b, [(v2, client), (v2, cp.client_id.as_str())], json).await
}

/// Prints what is pending between `ends[0]` on `a` and `ends[1]` on `b`, both ways.
async fn print_pending(
    a: &ChainEndpoint,
    b: &ChainEndpoint,
    ends: [(&str, &str); 2],
    json: bool,
) -> anyhow::Result<()> {
    let [(port, channel), (cp_port, cp_channel)] = ends;
    let mut directions = Vec::new();
    for (src, dst, (sp, sc), (dp, dc)) in [
        (a, b, (port, channel), (cp_port, cp_channel)),
        (b, a, (cp_port, cp_channel), (port, channel)),
    ] {
        let commitments = src.grpc().packet_commitments(sp, sc).await?.sequences;
        let unreceived = dst.grpc().unreceived_packets(dp, dc, &commitments).await?;
        let unacked: Vec<u64> = commitments
            .iter()
            .copied()
            .filter(|s| !unreceived.contains(s))
            .collect();
        directions.push(serde_json::json!({
            "from": format!("{}:{sp}/{sc}", src.id()), "to": format!("{}:{dp}/{dc}", dst.id()),
            "unreceived": unreceived, "unacknowledged": unacked,
        }));
    }
    if json {
        print_json(&serde_json::Value::Array(directions));
    } else {
        for d in &directions {
            let count = |k: &str| d[k].as_array().map_or(0, Vec::len);
            println!(
                "{} -> {}: {} not received {:?}, {} received but not acknowledged {:?}",
                d["from"].as_str().unwrap_or_default(),
                d["to"].as_str().unwrap_or_default(),
                count("unreceived"),
                d["unreceived"],
                count("unacknowledged"),
                d["unacknowledged"]
            );
        }
    }
    Ok(())
}
