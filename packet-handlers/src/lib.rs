//! Application packet semantics for the Stateset relayer, with no I/O: ICS-20 transfers,
//! ICS-27 interchain accounts and ICS-29 fees. Filled in by the applications milestone.
