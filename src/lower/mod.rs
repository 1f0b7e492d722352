//! Phase 3, lower: the checked model to the deployment plan.
pub mod plan;
pub use plan::lower;
