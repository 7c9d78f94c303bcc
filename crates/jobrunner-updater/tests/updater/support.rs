//! The release publisher, shared with the binary's end-to-end tests.

pub(crate) use jobrunner_updater::testing::*;
