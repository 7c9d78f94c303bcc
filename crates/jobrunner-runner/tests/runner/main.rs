//! The runner's cycle: given these signals and this forge, after N cycles, the forge saw X
//! exactly once, the ledger and the journal hold Y.

mod cycle;
mod fixture;
mod simulate;
