//! The live half of the loop: what is declared ([`declared`]), what probes saw ([`live`]),
//! how they differ ([`drift`]) and what to do about it ([`plan`]). Everything a kind means
//! (its probes, comparisons and lifecycle commands) is data from the stdlib package
//! `orche/actions` ([`kinds`]), rendered per resource by [`template`]. Emitters for these
//! types live in `export/` (probe and plan scripts, reports). Invariant: nothing here runs a
//! command or touches infrastructure; it only reads configuration and live-state documents.

pub mod declared;
pub mod drift;
pub mod kinds;
pub mod live;
pub mod plan;
pub mod probe;
pub mod template;
