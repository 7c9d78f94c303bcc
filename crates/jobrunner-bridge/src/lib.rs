//! core-ide's MCP bridge: a running node's controls and records as MCP tools, served over
//! streamable HTTP at `http://127.0.0.1:9877/mcp`.
//!
//! [`serve`] binds the bridge (and the web panel, at `/`) beside a node (given its [`NodeHandle`]); [`CoreTools`] is the
//! tool set: `poller_status`, `poll_now`, `pause`, `resume` (through the handle),
//! `journal_query` and `waiting_on_people`. `read_only` leaves out every tool that changes
//! anything.
//!
//! Security (docs/mcp.md): loopback only unless a bearer token is configured; the `Host`
//! and `Origin` of every request are checked against explicit allow-lists, so a web page the
//! user visits cannot drive the node (DNS rebinding, cross-site POSTs get 403). Tool output is
//! structural: numbers, names, classes and the handlers' reasons, never text from the forge.
//!
//! It is *not* a forge client and decides nothing: it reads the node's state and journal and
//! sends commands to the node.
//!
//! [`NodeHandle`]: jobrunner_node::NodeHandle
#![deny(missing_docs)]

mod config;
mod error;
mod panel;
mod server;
mod tools;

pub use config::{BridgeConfig, DEFAULT_BIND, StatusChecks, StatusLine};
pub use error::BridgeError;
pub use server::{Bridge, serve};
pub use tools::{ActOn, CoreTools, ExplainPr, JournalQuery, MUTATING_TOOLS};
