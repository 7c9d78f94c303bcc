//! Scenario tests of the handler table: one binary, so the suite links once.

mod epics;
mod escalation;
mod execute;
mod match_rules;
mod merge_step;
mod support;
