//! The commands of the `orche` binary that do more than one library call, one module each.
//! Each returns what to print and the exit status; only `main.rs` prints.

pub mod diff;
pub mod fmt;
pub mod state;
pub mod vet;
