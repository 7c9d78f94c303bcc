//! jobrunner-updater against a real publisher: manifests signed by the `minisign` tool, served
//! over loopback HTTP, installed into temporary prefixes.

mod support;

mod cycle;
mod download;
mod flow;
mod github;
mod schema;
mod signature;
