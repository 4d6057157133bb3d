//! IBC core logic for the Stateset relayer, with no I/O: ICS-24 paths and identifiers,
//! typed IBC events, client/connection/channel handshake steps and packet lifecycle
//! decisions. Filled in by the clients-and-handshakes and relaying milestones.
