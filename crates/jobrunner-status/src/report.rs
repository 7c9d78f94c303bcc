//! The whole of `core-status` as one document: `--json` prints it, the human output renders it.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use crate::check::{CheckResult, Level, Summary};
use crate::dashboard::{Handlers, Pipeline, Profile};
use crate::inputs::Inputs;

/// The document `core-status --json` prints; its schema ships as `docs/schema/status.json`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct StatusReport {
    /// core-status's version.
    pub version: String,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// The node's profile (absent with `--checks-only`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// The pipeline state (absent with `--checks-only`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<Pipeline>,
    /// The handler chains (absent with `--checks-only`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handlers: Option<Handlers>,
    /// Every result, silenced ones included, in category order.
    pub checks: Vec<CheckResult>,
    /// The counts and whether they fail the run.
    pub summary: Summary,
}

impl StatusReport {
    /// The report of `results` on the node `inputs` describe. With `checks_only` the
    /// dashboard sections are left out.
    #[must_use]
    pub fn new(
        inputs: &Inputs,
        version: &str,
        results: Vec<CheckResult>,
        fail_level: Level,
        checks_only: bool,
    ) -> Self {
        let dashboard = !checks_only;
        Self {
            version: version.to_owned(),
            generated_at: inputs.now,
            profile: dashboard.then(|| Profile::new(inputs, version)),
            pipeline: dashboard.then(|| Pipeline::new(inputs)),
            handlers: dashboard.then(|| Handlers::new(inputs)),
            summary: Summary::of(&results, fail_level),
            checks: results,
        }
    }
}

/// The JSON Schema of [`StatusReport`], as shipped in `docs/schema/status.json`.
#[must_use]
pub fn report_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(StatusReport)).expect("a schema is plain JSON")
}
