//! What `create path --ibc-version 2` still has to do, given the relayer's clients on both
//! chains and whom each is registered with.
//!
//! An IBC v2 path is a pair of 07-tendermint clients, one on each chain tracking the other,
//! each registered (`MsgRegisterCounterparty`) with the other as its counterparty. A
//! registration is final, so a client registered with a third client is never used. The
//! plan reuses what an earlier, interrupted run left: a complete pair first, then a pair
//! registered on one side, then two unregistered clients, and creates only what is missing.

/// One of the relayer's active clients on a chain, and the counterparty client it is
/// registered with (`None` when it is not registered yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Client {
    /// The client id, e.g. `07-tendermint-3`.
    pub client_id: String,
    /// The client on the other chain it is registered with, if any.
    pub counterparty: Option<String>,
}

/// A client of the plan: one that exists, or one to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedClient {
    /// This existing client.
    Existing(String),
    /// A new client, created before anything is registered.
    Create,
}

/// The steps that complete a v2 path between A and B.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2PathPlan {
    /// The client on A.
    pub a_client: PlannedClient,
    /// The client on B.
    pub b_client: PlannedClient,
    /// Whether A's client still has to be registered with B's.
    pub register_on_a: bool,
    /// Whether B's client still has to be registered with A's.
    pub register_on_b: bool,
}

impl V2PathPlan {
    /// Whether nothing is left to do (a second run of `create path`).
    pub fn is_complete(&self) -> bool {
        !self.register_on_a && !self.register_on_b
    }
}

/// Plans the path from the relayer's clients on A (`a`) and on B (`b`), newest last.
pub fn plan_v2_path(a: &[V2Client], b: &[V2Client]) -> V2PathPlan {
    let registered_with = |list: &[V2Client], id: &str, cp: &str| {
        list.iter()
            .any(|c| c.client_id == id && c.counterparty.as_deref() == Some(cp))
    };
    let free = |list: &[V2Client], id: &str| {
        list.iter()
            .any(|c| c.client_id == id && c.counterparty.is_none())
    };
    let existing = |id: &str| PlannedClient::Existing(id.to_string());
    // A complete pair, or one registered on a single side whose other side is free.
    for x in a.iter().rev() {
        let Some(y) = x.counterparty.as_deref() else {
            continue;
        };
        if registered_with(b, y, &x.client_id) {
            return V2PathPlan {
                a_client: existing(&x.client_id),
                b_client: existing(y),
                register_on_a: false,
                register_on_b: false,
            };
        }
        if free(b, y) {
            return V2PathPlan {
                a_client: existing(&x.client_id),
                b_client: existing(y),
                register_on_a: false,
                register_on_b: true,
            };
        }
    }
    for y in b.iter().rev() {
        if let Some(x) = y.counterparty.as_deref().filter(|x| free(a, x)) {
            return V2PathPlan {
                a_client: existing(x),
                b_client: existing(&y.client_id),
                register_on_a: true,
                register_on_b: false,
            };
        }
    }
    // Otherwise the newest unregistered client on each side, created where there is none.
    let newest_free = |list: &[V2Client]| {
        list.iter()
            .rev()
            .find(|c| c.counterparty.is_none())
            .map_or(PlannedClient::Create, |c| existing(&c.client_id))
    };
    V2PathPlan {
        a_client: newest_free(a),
        b_client: newest_free(b),
        register_on_a: true,
        register_on_b: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: &str, cp: Option<&str>) -> V2Client {
        V2Client {
            client_id: id.into(),
            counterparty: cp.map(str::to_string),
        }
    }

    fn existing(id: &str) -> PlannedClient {
        PlannedClient::Existing(id.into())
    }

    #[test]
    fn nothing_there_creates_and_registers_both() {
        let plan = plan_v2_path(&[], &[]);
        assert_eq!(plan.a_client, PlannedClient::Create);
        assert_eq!(plan.b_client, PlannedClient::Create);
        assert!(plan.register_on_a && plan.register_on_b);
    }

    #[test]
    fn a_complete_pair_is_reused_and_nothing_is_sent() {
        let a = [
            client("07-tendermint-0", Some("07-tendermint-5")),
            client("07-tendermint-1", None),
        ];
        let b = [client("07-tendermint-5", Some("07-tendermint-0"))];
        let plan = plan_v2_path(&a, &b);
        assert!(plan.is_complete());
        assert_eq!(plan.a_client, existing("07-tendermint-0"));
        assert_eq!(plan.b_client, existing("07-tendermint-5"));
    }

    #[test]
    fn a_run_interrupted_after_one_registration_finishes_the_other() {
        let a = [client("07-tendermint-0", Some("07-tendermint-2"))];
        let b = [client("07-tendermint-2", None)];
        let plan = plan_v2_path(&a, &b);
        assert_eq!((plan.register_on_a, plan.register_on_b), (false, true));
        assert_eq!(plan.b_client, existing("07-tendermint-2"));
        let plan = plan_v2_path(
            &[client("07-tendermint-4", None)],
            &[client("07-tendermint-2", Some("07-tendermint-4"))],
        );
        assert_eq!((plan.register_on_a, plan.register_on_b), (true, false));
        assert_eq!(plan.a_client, existing("07-tendermint-4"));
    }

    #[test]
    fn clients_registered_elsewhere_are_never_used_and_a_lone_free_client_is() {
        // A's client is registered with a client B no longer has among ours; B's with a third.
        let a = [
            client("07-tendermint-0", Some("07-tendermint-9")),
            client("07-tendermint-3", None),
        ];
        let b = [client("07-tendermint-1", Some("07-tendermint-7"))];
        let plan = plan_v2_path(&a, &b);
        assert_eq!(plan.a_client, existing("07-tendermint-3"));
        assert_eq!(plan.b_client, PlannedClient::Create);
        assert!(plan.register_on_a && plan.register_on_b);
    }
}
