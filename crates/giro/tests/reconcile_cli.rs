//! `giro reconcile` for charges, as its users run it against a projection on a private stream and
//! schema: the settlement of a charge provider's day shows what was collected, and a statement
//! whose line differs from a charge records one `charge.discrepancy` on it (running it again
//! records nothing new).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use giro_domain::charge::{
    ChargeCommand, ChargeDecider, ChargeOutcome, ChargeReport, ChargeSubmitted, PaymentDetails,
    ReportSource,
};
use giro_domain::provider::Catalog;
use giro_domain::{EventMeta, EventType, OrderId, SubmissionHandle};
use giro_eventlog::test_support::{TestLog, nats_url};
use giro_projection::ProjectionConfig;
use giro_projection::test_support::TestSchema;

const GIRO: &str = env!("CARGO_BIN_EXE_giro");

/// `giro reconcile …` on the test's stream and API, with no `GIRO_*` settings of the environment.
async fn reconcile(log: &TestLog, api: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(GIRO);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("GIRO_") {
            cmd.env_remove(&name);
        }
    }
    cmd.arg("reconcile")
        .args(args)
        .env("NATS_URL", nats_url())
        .env("GIRO_PREFIX", &log.config.prefix)
        .env("GIRO_STREAM", &log.config.stream)
        .env("GIRO_API_URL", api)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    tokio::task::spawn_blocking(move || cmd.output().expect("giro runs"))
        .await
        .unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A 150.00 BRL charge A55 took and reports paid.
async fn paid_charge(log: &TestLog) -> OrderId {
    let body = serde_json::json!({
        "idempotency_key": "cli-reconcile-1", "provider": "a55", "amount": "150.00",
        "installment_count": 1, "currency": "BRL", "method": "pix",
        "payer": {"name": "Ana Pagadora", "email": "ana@example.net", "tax_id": "123.456.789-09",
                  "phone": "+5511999999999",
                  "address": {"street": "Av. Paulista", "address_number": "1000", "complement": "Sala 1",
                              "neighborhood": "Bela Vista", "city": "Sao Paulo", "state": "SP",
                              "postal_code": "01310-100", "country": "BR"}},
        "due_date": "2026-12-31", "description": "Order 7"
    });
    let create =
        giro_domain::charge::parse_create(body.to_string().as_bytes(), &Catalog::default())
            .unwrap();
    let id = create.order_id;
    let paid = ChargeReport {
        source: ReportSource::Webhook,
        raw_status: "paid".into(),
        outcome: ChargeOutcome::Paid,
        report_id: "paid-1".into(),
        charge_uuid: Some("A55-CLI-1".into()),
        reason: None,
        amount: Some("150.00".parse().unwrap()),
        reported_at: None,
        currency: None,
        attempt: None,
    };
    let commands = [
        ChargeCommand::Create(Box::new(create)),
        ChargeCommand::StartSubmission,
        ChargeCommand::RecordSubmitted(ChargeSubmitted {
            attempt: 1,
            charge_uuid: "A55-CLI-1".into(),
            raw_status: "issued".into(),
            payment: PaymentDetails::default(),
        }),
        ChargeCommand::RecordReport(paid),
    ];
    for (i, command) in commands.iter().enumerate() {
        log.log
            .execute::<ChargeDecider>(id, command, &EventMeta::default(), i == 0)
            .await
            .unwrap();
    }
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn giro_reconcile_settles_a_charge_day_and_records_a_charge_discrepancy_once() {
    let log = TestLog::new().await;
    let schema = TestSchema::new();
    let id = paid_charge(&log).await;
    let projection = giro_projection::start(
        ProjectionConfig {
            database_url: schema.database_url.clone(),
            schema: schema.name.clone(),
            listen: "127.0.0.1:0".parse().unwrap(),
            log: log.config.clone(),
            linger: Duration::from_millis(5),
            ..ProjectionConfig::default()
        },
        log.client.clone(),
    )
    .await
    .expect("projection starts");
    let api = format!("http://{}", projection.local_addr());
    let today = chrono::Utc::now().date_naive().to_string();

    // The day's settlement, once the projection has the charge.
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let out = reconcile(&log, &api, &["--provider", "a55", "--date", &today]).await;
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if out.status.success() && text.contains(&id.to_string()) {
            break text;
        }
        assert!(Instant::now() < deadline, "{}", show(&out));
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let collected = text
        .lines()
        .find(|l| l.trim_start().starts_with("collected"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        collected.contains(" 1 orders") && collected.trim_end().ends_with("150"),
        "{text}"
    );
    assert!(text.contains("charge"), "{text}");
    let out = reconcile(
        &log,
        &api,
        &["--provider", "a55", "--date", &today, "--csv"],
    )
    .await;
    let csv = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        csv.lines()
            .any(|l| l.starts_with(&id.to_string()) && l.contains(",paid,150,BRL,")),
        "{csv}"
    );

    // A statement that says A55 collected 149.00.
    let handle = SubmissionHandle {
        order_id: id,
        attempt: 1,
    };
    let file: PathBuf =
        std::env::temp_dir().join(format!("giro-statement-{}.csv", uuid::Uuid::new_v4()));
    std::fs::write(
        &file,
        format!(
            "date,provider,reference,provider_ref,status,amount,currency,fee,completed_at,channel_ref\n\
             {today},a55,{handle},A55-CLI-1,paid,149.00,BRL,,,\n"
        ),
    )
    .unwrap();
    let path = file.to_string_lossy().to_string();
    let dry = reconcile(&log, &api, &["--statement", &path, "--dry-run"]).await;
    assert_eq!(dry.status.code(), Some(1), "{}", show(&dry));
    assert!(
        String::from_utf8_lossy(&dry.stdout).contains("amount: Giro 150, statement 149"),
        "{}",
        show(&dry)
    );
    for recorded in [1, 0] {
        let out = reconcile(&log, &api, &["--statement", &path]).await;
        assert_eq!(out.status.code(), Some(1), "{}", show(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&format!("recorded {recorded} new")),
            "{}",
            show(&out)
        );
    }
    let _ = std::fs::remove_file(&file);
    let order = log.log.load::<ChargeDecider>(id).await.unwrap();
    let types: Vec<&str> = order.events.iter().map(|e| e.event.event_type()).collect();
    assert_eq!(
        types.iter().filter(|t| **t == "charge.discrepancy").count(),
        1,
        "{types:?}"
    );
    projection.stop().await;
}
