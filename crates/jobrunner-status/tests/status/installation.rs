//! installation: the systemd unit, writable directories, the prefix the updater writes.

use jobrunner_config::Environment;
use jobrunner_status::systemd::{Systemd, UnitFile};
use jobrunner_status::{Access, Category, Inputs, checks};

use crate::support::{findings, healthy, message};

const INSTALLATION: Category = Category::Installation;

fn production(unit: bool, enabled: bool) -> Inputs {
    let mut inputs = healthy();
    inputs.settings.environment = Environment::Production;
    let unit =
        unit.then(|| UnitFile { path: "/etc/systemd/system/core-ide.service".into(), ..UnitFile::default() });
    inputs.systemd = Systemd { unit, enabled };
    inputs
}

fn not_writable(path: &str) -> Access {
    Access {
        path: path.into(),
        problem: Some("cannot create a file in /var/lib: Permission denied (os error 13)".into()),
    }
}

#[test]
fn a_healthy_installation_reports_only_installation_ok() {
    let results = checks::run_category(INSTALLATION, &healthy());
    assert_eq!(results.iter().map(|r| r.id).collect::<Vec<_>>(), ["installation.ok"]);
}

#[test]
fn a_production_node_without_a_unit_is_a_warning() {
    assert_eq!(findings(INSTALLATION, &production(false, false)), ["installation.W001"]);
}

#[test]
fn a_development_node_without_a_unit_is_quiet() {
    assert_eq!(findings(INSTALLATION, &healthy()), Vec::<&str>::new());
}

#[test]
fn a_production_node_with_a_disabled_unit_is_a_warning() {
    assert_eq!(findings(INSTALLATION, &production(true, false)), ["installation.W002"]);
}

#[test]
fn a_production_node_with_an_enabled_unit_is_quiet() {
    assert_eq!(findings(INSTALLATION, &production(true, true)), Vec::<&str>::new());
}

#[test]
fn an_unwritable_data_directory_is_an_error() {
    let mut inputs = healthy();
    inputs.install.data_dir = not_writable("/var/lib/core-ide/data");
    assert_eq!(findings(INSTALLATION, &inputs), ["installation.E001"]);
    assert!(
        message(INSTALLATION, &inputs, "installation.E001")
            .starts_with("data directory /var/lib/core-ide/data is not writable")
    );
}

#[test]
fn an_unwritable_journal_directory_is_an_error() {
    let mut inputs = healthy();
    inputs.install.journal_dir = not_writable("/var/lib/core-ide/journal");
    assert_eq!(findings(INSTALLATION, &inputs), ["installation.E002"]);
}

#[test]
fn an_install_prefix_the_updater_cannot_write_is_a_warning() {
    let mut inputs = healthy();
    inputs.install.update_prefix = Some(not_writable("/opt/core-ide"));
    assert_eq!(findings(INSTALLATION, &inputs), ["installation.W003"]);
    assert!(
        message(INSTALLATION, &inputs, "installation.W003").contains("cannot install into /opt/core-ide")
    );
}

#[test]
fn without_an_update_source_no_prefix_is_probed_and_nothing_is_reported() {
    let inputs = healthy();
    assert_eq!((inputs.settings.update_url.as_ref(), inputs.install.update_prefix.as_ref()), (None, None));
    assert_eq!(findings(INSTALLATION, &inputs), Vec::<&str>::new());
}

#[test]
fn no_binary_found_is_an_info() {
    let mut inputs = healthy();
    inputs.install.binary = None;
    assert_eq!(findings(INSTALLATION, &inputs), ["installation.I001"]);
}
