//! Tests of the broadcast retry decision.

use super::*;

fn rpc(e: tendermint_rpc::Error) -> ChainError {
    ChainError::Rpc {
        chain: "c".into(),
        method: "broadcast_tx_sync",
        source: Box::new(e),
    }
}

fn in_cache() -> ChainError {
    let answer =
        tendermint_rpc::response_error::ResponseError::server_error("tx already exists in cache");
    rpc(tendermint_rpc::Error::response(answer))
}

fn reset() -> ChainError {
    rpc(tendermint_rpc::Error::io(std::io::Error::new(
        std::io::ErrorKind::ConnectionReset,
        "connection reset by peer",
    )))
}

fn tx(source: TxError) -> ChainError {
    ChainError::Tx {
        chain: "c".into(),
        source,
    }
}

fn mismatch() -> ChainError {
    tx(TxError::SequenceMismatch {
        phase: TxPhase::CheckTx,
        expected: Some(8),
        log: "account sequence mismatch, expected 8, got 7".into(),
    })
}

#[test]
fn a_broken_connection_sends_the_same_tx_again_a_few_times() {
    assert!(matches!(
        after_broadcast(0, Err(reset())),
        Broadcast::Retry(_)
    ));
    assert!(matches!(
        after_broadcast(BROADCAST_ATTEMPTS - 2, Err(reset())),
        Broadcast::Retry(_)
    ));
    assert!(matches!(
        after_broadcast(BROADCAST_ATTEMPTS - 1, Err(reset())),
        Broadcast::Failed(_)
    ));
}

#[test]
fn a_tx_the_node_already_has_is_awaited() {
    assert!(matches!(after_broadcast(0, Ok(())), Broadcast::Accepted));
    assert!(matches!(
        after_broadcast(1, Err(in_cache())),
        Broadcast::Accepted
    ));
    assert!(is_already_known("tx already exists in cache"));
}

#[test]
fn a_used_sequence_after_a_lost_answer_is_awaited_by_hash() {
    assert!(matches!(
        after_broadcast(1, Err(mismatch())),
        Broadcast::Accepted
    ));
    // On the first attempt it is another process's doing: re-sign.
    assert!(matches!(
        after_broadcast(0, Err(mismatch())),
        Broadcast::Failed(_)
    ));
}

#[test]
fn refusals_are_not_retried() {
    let rejected = tx(TxError::Rejected {
        phase: TxPhase::CheckTx,
        codespace: "sdk".into(),
        code: 5,
        log: "insufficient funds".into(),
    });
    assert!(matches!(
        after_broadcast(0, Err(rejected)),
        Broadcast::Failed(_)
    ));
    let full = tx(TxError::MempoolFull { log: "full".into() });
    assert!(matches!(
        after_broadcast(0, Err(full)),
        Broadcast::Failed(_)
    ));
}

#[test]
fn result_data_is_the_bytes_behind_the_base64_text() {
    // A TxMsgData with one MsgRecvPacketResponse (result SUCCESS), as the RPC writes it.
    let raw: &[u8] = &[
        0x12, 0x2e, 0x0a, 0x2a, b'/', b'i', b'b', b'c', b'.', b'c', b'o', b'r', b'e', b'.', b'c',
        b'h', b'a', b'n', b'n', b'e', b'l', b'.', b'v', b'1', b'.', b'M', b's', b'g', b'R', b'e',
        b'c', b'v', b'P', b'a', b'c', b'k', b'e', b't', b'R', b'e', b's', b'p', b'o', b'n', b's',
        b'e', 0x12, 0x00,
    ];
    use base64::Engine;
    let text = base64::engine::general_purpose::STANDARD.encode(raw);
    assert_eq!(super::result_data(text.as_bytes()), raw);
    // Already bytes: kept as they are.
    assert_eq!(super::result_data(raw), raw);
    assert_eq!(super::result_data(b""), b"");
}
