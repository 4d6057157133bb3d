//! The schema contract (`schema.graphql`) and the resolvers over a store.

use std::collections::BTreeMap;

use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

use super::*;

/// Each type of an SDL document: name → (field or input value → its type and arguments).
fn shapes(sdl: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let doc = async_graphql::parser::parse_schema(sdl).unwrap();
    let mut out = BTreeMap::new();
    for def in doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let t = t.node;
        let mut fields = BTreeMap::new();
        match &t.kind {
            TypeKind::Object(o) => {
                for f in &o.fields {
                    let f = &f.node;
                    let args: Vec<String> = f
                        .arguments
                        .iter()
                        .map(|a| {
                            let a = &a.node;
                            let default = a.default_value.as_ref().map(|d| d.node.to_string());
                            format!("{}: {} = {default:?}", a.name.node, a.ty.node)
                        })
                        .collect();
                    fields.insert(
                        f.name.node.to_string(),
                        format!("{} ({})", f.ty.node, args.join(", ")),
                    );
                }
            }
            TypeKind::InputObject(i) => {
                for f in &i.fields {
                    fields.insert(f.node.name.node.to_string(), f.node.ty.node.to_string());
                }
            }
            _ => continue,
        }
        out.insert(t.name.node.to_string(), fields);
    }
    out
}

#[test]
fn the_served_schema_has_every_type_and_field_of_the_contract() {
    let contract = shapes(include_str!("schema.graphql"));
    let served = shapes(&sdl());
    assert!(contract.len() >= 18, "the contract parsed: {contract:?}");
    for (name, fields) in &contract {
        let Some(have) = served.get(name) else {
            panic!("type `{name}` is missing from the served schema");
        };
        for (field, shape) in fields {
            assert_eq!(have.get(field), Some(shape), "{name}.{field}");
        }
    }
}

fn api() -> Arc<Api> {
    let store = Store::temporary().unwrap();
    Api::new(ApiContext::new(vec!["a-1".into(), "b-1".into()], store))
}

async fn run(api: &Api, query: &str, admin: bool) -> serde_json::Value {
    let request = async_graphql::Request::new(query).data(Caller { admin });
    let response = api.schema.execute(request).await;
    serde_json::to_value(&response).unwrap()
}

fn transfer(seq: u64) -> stateset_channels::events::Packet {
    let data = br#"{"denom":"stake","amount":"5","sender":"cosmos1sender","receiver":"cosmos1receiver","memo":""}"#;
    stateset_channels::events::Packet {
        sequence: seq,
        source_port: "transfer".parse().unwrap(),
        source_channel: "channel-0".parse().unwrap(),
        destination_port: "transfer".parse().unwrap(),
        destination_channel: "channel-1".parse().unwrap(),
        data: data.to_vec(),
        timeout_height: Default::default(),
        timeout_timestamp: 0,
        ordering: None,
    }
}

#[tokio::test]
async fn packets_are_found_by_tx_hash_and_receiver_with_their_steps() {
    let api = api();
    let history = api.context.feed.history.clone().unwrap();
    let summary = crate::store::summarize_packet(&transfer(7), "a-1", "b-1");
    let step = |kind, chain: &str, height, hash: &str| crate::store::StepWrite {
        id: summary.id.clone(),
        summary: Some(summary.clone()),
        step: crate::store::Step {
            kind,
            chain: chain.into(),
            height,
            time: 1_700_000_000 + height,
            tx_hash: Some(hash.into()),
        },
    };
    let mut rx = api.context.feed.steps.subscribe();
    api.context.feed.write(
        "a-1",
        &[
            step(crate::store::StepKind::Sent, "a-1", 10, "AA11"),
            step(crate::store::StepKind::Received, "b-1", 12, "BB22"),
        ],
    );
    assert_eq!(rx.try_recv().unwrap().1.height, 10, "steps are broadcast");
    assert_eq!(history.count().unwrap(), 1);
    let v = run(&api, r#"{ packets(filter: {txHash: "aa11"}) { items { sequence status steps { kind chain height txHash } } } }"#, false).await;
    let items = &v["data"]["packets"]["items"];
    assert_eq!(items[0]["sequence"], 7, "{v}");
    assert_eq!(items[0]["status"], "received");
    assert_eq!(items[0]["steps"][1]["txHash"], "bb22");
    let v = run(&api, r#"{ packets(filter: {receiver: "cosmos1receiver"}) { items { sequence app { kind sender amount } } } }"#, false).await;
    assert_eq!(
        v["data"]["packets"]["items"][0]["app"]["sender"], "cosmos1sender",
        "{v}"
    );
    let v = run(
        &api,
        r#"{ packets(filter: {receiver: "cosmos1sender"}) { items { sequence } } }"#,
        false,
    )
    .await;
    assert_eq!(
        v["data"]["packets"]["items"].as_array().unwrap().len(),
        0,
        "the sender is not the receiver: {v}"
    );
}

#[tokio::test]
async fn pending_packets_come_a_page_at_a_time() {
    let api = api();
    let ledger = api
        .context
        .store
        .ledger("a-1", "transfer", "channel-0")
        .unwrap();
    for seq in 1..=5 {
        ledger.record_sent(&transfer(seq), None).unwrap();
    }
    let q = |after: &str| {
        format!(
            r#"{{ pendingPackets(chain: "a-1", port: "transfer", channel: "channel-0", first: 2{after}) {{ total next items {{ sequence state app {{ kind }} }} }} }}"#
        )
    };
    let v = run(&api, &q(""), false).await;
    let page = &v["data"]["pendingPackets"];
    assert_eq!(page["total"], 5, "{v}");
    assert_eq!(page["items"][0]["sequence"], 1);
    assert_eq!(page["items"][1]["state"], "sent");
    assert_eq!(page["items"][0]["app"]["kind"], "ics20");
    let next = page["next"].as_str().unwrap().to_string();
    let v = run(&api, &q(&format!(", after: \"{next}\"")), false).await;
    assert_eq!(
        v["data"]["pendingPackets"]["items"][0]["sequence"], 3,
        "{v}"
    );
}

#[tokio::test]
async fn clear_packets_is_refused_without_an_admin_token() {
    let api = api();
    let m = r#"mutation { clearPackets(chain: "a-1", port: "transfer", channel: "channel-0") { scheduled } }"#;
    let v = run(&api, m, true).await;
    let error = v["errors"][0]["message"].as_str().unwrap();
    assert!(error.contains("no admin token is configured"), "{v}");
    let mut context = ApiContext::new(vec!["a-1".into()], Store::temporary().unwrap());
    context.access.admin_token = crate::telemetry::auth::Token::new("adm");
    let api = Api::new(context);
    let v = run(&api, m, false).await;
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("needs the admin token"),
        "{v}"
    );
    let v = run(&api, m, true).await;
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a path the relayer serves"),
        "{v}"
    );
}

#[tokio::test]
async fn deep_queries_are_refused() {
    let api = api();
    let v = run(&api, "{ packets { items { steps { kind } app { kind } } } chains { id up scannedHeight } tasks { name } }", false).await;
    assert!(v.get("errors").is_none(), "{v}");
    let deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }";
    let v = run(&api, deep, false).await;
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{v}"
    );
}
