//! The adapter against the GitHub simulator: given a forge state, after N cycles, the forge
//! shows X — through octocrab, real HTTP on loopback, and the simulator's accounting.

mod budget;
mod effects;
mod epics;
mod faults;
mod limits;
mod many_threads;
mod merge_step;
mod privacy;
mod review_rounds;
mod world;
