//! `ops/examples/` holds the commands README.md sends with `giro … --file`: each is accepted by
//! the domain's parser of its kind, and a payout is routed by the default catalog.

use std::path::Path;

use giro_domain::provider::Catalog;

#[test]
fn every_example_is_a_valid_command() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let catalog = Catalog::default();
    let mut checked = Vec::new();
    let entries = std::fs::read_dir(repo.join("ops/examples")).expect("ops/examples");
    for entry in entries {
        let path = entry.expect("an entry").path();
        // ops/examples/notifications/ holds a consumer of Giro's notifications, not a command.
        if path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).expect("readable");
        let kind = name.split('-').next().unwrap_or_default();
        match kind {
            "payout" => {
                let draft = giro_domain::payout::parse_create(&bytes)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                draft
                    .into_command(&catalog, None)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            "charge" => {
                giro_domain::charge::parse_create(&bytes, &catalog)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            "beneficiary" => {
                giro_domain::beneficiary::parse_register(&bytes)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            }
            // Files of payouts for `giro batch submit`: sent by tests/cli_batches.rs.
            "batch" => {}
            _ => panic!("{name}: name it payout-…, charge-…, beneficiary-… or batch-…"),
        }
        checked.push(name);
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "batch-payroll.csv",
            "batch-payroll.jsonl",
            "beneficiary-pse.json",
            "charge-a55-pending.json",
            "charge-a55.json",
            "payout-cashy-co.json",
            "payout-killb-held.json",
        ],
        "every example README.md uses is here, and checked"
    );
}
