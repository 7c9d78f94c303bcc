//! The checks, one module per [`Category`], each exposing `run(&Inputs) -> Vec<CheckResult>`
//! and `CHECKS`, the ids it can report.

pub mod env;
pub mod fleet;
pub mod installation;
pub mod runtime;
pub mod store;
pub mod updates;

use crate::StatusError;
use crate::check::{Category, Check, CheckResult};
use crate::inputs::Inputs;

/// Every check, in category order.
#[must_use]
pub fn all() -> Vec<Check> {
    [env::CHECKS, fleet::CHECKS, runtime::CHECKS, store::CHECKS, installation::CHECKS, updates::CHECKS]
        .concat()
}

/// The checks of `category`, run on `inputs`.
#[must_use]
pub fn run_category(category: Category, inputs: &Inputs) -> Vec<CheckResult> {
    match category {
        Category::Env => env::run(inputs),
        Category::Fleet => fleet::run(inputs),
        Category::Runtime => runtime::run(inputs),
        Category::Store => store::run(inputs),
        Category::Installation => installation::run(inputs),
        Category::Updates => updates::run(inputs),
    }
}

/// Runs the checks of `categories` (every category when empty), in category order, and marks
/// the results whose id is in `silenced`.
#[must_use]
pub fn run(inputs: &Inputs, categories: &[Category], silenced: &[String]) -> Vec<CheckResult> {
    let mut results: Vec<CheckResult> = Category::ALL
        .into_iter()
        .filter(|c| categories.is_empty() || categories.contains(c))
        .flat_map(|c| run_category(c, inputs))
        .collect();
    for result in &mut results {
        result.silenced = silenced.iter().any(|id| id == result.id);
    }
    results
}

/// Refuses ids that name no check: a silenced typo would silence nothing.
pub fn validate_silenced(ids: &[String]) -> Result<(), StatusError> {
    let known = all();
    match ids.iter().find(|id| !known.iter().any(|c| c.id == id.as_str())) {
        None => Ok(()),
        Some(id) => Err(StatusError::UnknownCheck { id: id.clone() }),
    }
}
