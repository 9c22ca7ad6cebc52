//! The KillB client against the KillB simulator over real HTTP: every scenario's final status,
//! idempotent resubmission, lost answers resolved by lookup, rate limits, token expiry, balances
//! and webhook signatures.

use std::time::Duration;

use giro_domain::payout::{PayoutRequested, ProviderReport, ReportSource, ReportedOutcome};
use giro_domain::provider::Catalog;
use giro_domain::{Currency, OrderId, Secret, SubmissionHandle};
use giro_providers::killb::wire::{CreatePayout, WebhookEnvelope};
use giro_providers::killb::{KillbClient, KillbConfig, verify_signature};
use giro_providers::ratelimit::RateLimit;
use giro_providers::{Lookup, PayoutOrder, PayoutProvider, Refusal, RefusalKind, Submission};
use giro_sandbox::killb::{
    KillbConfig as Simulator, KillbSignature, PrefundAccount, killb_signature,
};
use giro_sandbox::{FaultSettings, HandleRecord, Sandbox, SandboxConfig, Timing};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const EMAIL: &str = "ops@giro.test";
const PASSWORD: &str = "kb-password";
const WEBHOOK_SECRET: &str = "kb-webhook-secret";
const ACCOUNT: &str = "prefund-cop-001";

async fn sandbox(adjust: impl FnOnce(&mut Simulator)) -> Sandbox {
    let mut killb = Simulator::new(EMAIL, PASSWORD, WEBHOOK_SECRET);
    adjust(&mut killb);
    Sandbox::start(SandboxConfig {
        simulators: vec![Box::new(killb)],
        timing: Timing {
            time_scale: 0.0001,
            step_delay: Duration::from_millis(30),
            reversal_delay: Duration::from_millis(150),
            callback_timeout: Duration::from_secs(5),
        },
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

fn config(base_url: &str) -> KillbConfig {
    let mut config = KillbConfig::new(
        base_url,
        EMAIL,
        Secret::new(PASSWORD.into()),
        ACCOUNT,
        Secret::new(WEBHOOK_SECRET.into()),
    );
    config.rate_limit = Some(giro_providers::killb::SANDBOX_RATE);
    config.timeout = Duration::from_secs(5);
    config
}

fn client(sandbox: &Sandbox) -> KillbClient {
    KillbClient::new(config(&sandbox.killb_url().expect("killb runs"))).expect("client")
}

/// A payout as intake accepts it, and the handle of its first attempt.
struct Payout {
    id: OrderId,
    handle: String,
    request: PayoutRequested,
}

impl Payout {
    fn new(amount: &str, beneficiary: Value) -> Self {
        let key = format!("t-{}", uuid::Uuid::new_v4());
        let body = json!({"idempotency_key": key, "provider": "killb", "amount": amount,
                          "currency": "COP", "beneficiary": beneficiary});
        let draft = giro_domain::payout::parse_create(body.to_string().as_bytes()).unwrap();
        let command = draft.into_command(&Catalog::default(), None).unwrap();
        let handle = SubmissionHandle {
            order_id: command.order_id,
            attempt: 1,
        }
        .to_string();
        Payout {
            id: command.order_id,
            handle,
            request: command.requested,
        }
    }

    fn bank(amount: &str) -> Self {
        Payout::new(amount, bank_account("0001", "CC"))
    }

    fn order<'a>(&'a self, provider_ref: Option<&'a str>) -> PayoutOrder<'a> {
        PayoutOrder {
            id: self.id,
            handle: &self.handle,
            request: &self.request,
            provider_ref,
        }
    }
}

fn bank_account(bank_code: &str, document: &str) -> Value {
    json!({"rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
           "email": "maria@example.com", "phone": "3001234567",
           "document": {"type": document, "number": "12345678"},
           "bank_code": bank_code, "account_number": "123456789", "account_type": "savings"})
}

fn accepted(submission: Submission) -> (String, String) {
    match submission {
        Submission::Accepted {
            provider_ref: Some(id),
            raw_status,
            ..
        } => (id, raw_status),
        other => panic!("expected an acceptance, got {other:?}"),
    }
}

/// Looks the payout up until KillB reports `status`.
async fn settle(client: &KillbClient, order: PayoutOrder<'_>, status: &str) -> ProviderReport {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let seen = client.lookup(order).await;
        if let Lookup::Found(report) = &seen
            && report.raw_status == status
        {
            return report.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {status}; last {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn handle_record(sandbox: &Sandbox, handle: &str) -> HandleRecord {
    let handles = sandbox.registry().handles(Some("killb"));
    handles
        .into_iter()
        .find(|h| h.handle == handle)
        .expect("KillB saw the handle")
}

#[tokio::test]
async fn payouts_reach_every_final_status() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let cases = [
        ("500000", "COMPLETED", ReportedOutcome::Succeeded),
        ("500011", "FAILED", ReportedOutcome::Failed),
        ("500012", "ERROR", ReportedOutcome::Failed),
        ("500013", "REJECTED", ReportedOutcome::Failed),
        ("500014", "REFUNDED", ReportedOutcome::Refunded),
        ("500015", "COMPLETED", ReportedOutcome::Succeeded),
    ];
    for (amount, status, outcome) in cases {
        let payout = Payout::bank(amount);
        let submission = client.submit(payout.order(None)).await;
        assert!(
            matches!(&submission, Submission::Accepted { report: None, .. }),
            "{submission:?}"
        );
        let (id, raw) = accepted(submission);
        assert_eq!(raw, "PENDING");
        let report = settle(&client, payout.order(Some(&id)), status).await;
        assert_eq!(report.outcome, outcome, "{amount}");
        assert_eq!(report.source, ReportSource::Poll);
        assert_eq!(report.provider_ref.as_deref(), Some(id.as_str()));
        assert_eq!(report.report_id, format!("{id}:{status}"));
        assert_eq!(
            report.reason.is_some(),
            outcome != ReportedOutcome::Succeeded
        );
        // Without the provider's id, the handle (externalId) finds the same payout.
        let by_handle = settle(&client, payout.order(None), status).await;
        assert_eq!(by_handle.report_id, report.report_id);
    }
}

#[tokio::test]
async fn breb_alias_payouts_complete() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let payout = Payout::new(
        "250000",
        json!({"rail": "co_alias", "company_name": "Tienda SAS", "email": "pagos@tienda.co",
               "phone": "+573109876543", "document": {"type": "NIT", "number": "9001234567"},
               "alias_type": "PHONE", "alias": "3109876543"}),
    );
    let (id, _) = accepted(client.submit(payout.order(None)).await);
    settle(&client, payout.order(Some(&id)), "COMPLETED").await;
}

#[tokio::test]
async fn the_same_handle_twice_is_one_payout() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let payout = Payout::bank("500000");
    let (first, _) = accepted(client.submit(payout.order(None)).await);
    let (second, _) = accepted(client.submit(payout.order(None)).await);
    assert_eq!(first, second);
    let record = handle_record(&sandbox, &payout.handle);
    assert_eq!(
        (record.orders.len(), record.submissions, record.replays),
        (1, 2, 1)
    );
}

#[tokio::test]
async fn a_lost_answer_is_unknown_and_the_lookup_finds_the_payout() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let mut impatient = config(&sandbox.killb_url().unwrap());
    impatient.timeout = Duration::from_millis(500);
    let impatient = KillbClient::new(impatient).unwrap();
    // Log in first, so the faults hit the payouts and not the logins.
    let balance = client.balance(Currency::COP).await;
    assert_eq!(balance, Some(Ok(Decimal::new(1_000_000_000, 2))));
    assert!(matches!(
        impatient.balance(Currency::COP).await,
        Some(Ok(_))
    ));
    let faults = |settings| sandbox.faults().set(settings).expect("valid faults");

    faults(FaultSettings {
        lose_response: 1.0,
        ..FaultSettings::default()
    });
    let lost = Payout::bank("500000");
    let submission = client.submit(lost.order(None)).await;
    assert!(
        matches!(
            submission,
            Submission::Refused(Refusal {
                kind: RefusalKind::OutcomeUnknown,
                ..
            })
        ),
        "{submission:?}"
    );

    // A time-out after sending is just as unknown.
    faults(FaultSettings {
        hang_response: 1.0,
        hang_ms: 3000,
        ..FaultSettings::default()
    });
    let hung = Payout::bank("400000");
    let submission = impatient.submit(hung.order(None)).await;
    assert!(
        matches!(
            submission,
            Submission::Refused(Refusal {
                kind: RefusalKind::OutcomeUnknown,
                ..
            })
        ),
        "{submission:?}"
    );

    faults(FaultSettings::default());
    for payout in [&lost, &hung] {
        let report = settle(&client, payout.order(None), "COMPLETED").await;
        // The resend under the same handle is the same payout.
        let (again, _) = accepted(client.submit(payout.order(None)).await);
        assert_eq!(report.provider_ref, Some(again));
        assert_eq!(handle_record(&sandbox, &payout.handle).orders.len(), 1);
    }
}

#[tokio::test]
async fn rate_limits_and_outages_are_sorted_by_what_they_prove() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    client.balance(Currency::COP).await;
    let faults = |settings| sandbox.faults().set(settings).expect("valid faults");
    let payout = Payout::bank("500000");

    faults(FaultSettings {
        rate_limit: 1.0,
        ..FaultSettings::default()
    });
    match client.submit(payout.order(None)).await {
        Submission::Refused(Refusal {
            kind: RefusalKind::ComeBackAfter(Some(wait)),
            ..
        }) => {
            assert!(wait <= Duration::from_secs(2), "{wait:?}")
        }
        other => panic!("expected a retryable refusal with a wait, got {other:?}"),
    }
    let lookup = client.lookup(payout.order(None)).await;
    assert!(
        matches!(
            lookup,
            Lookup::Failed {
                retry_after: Some(_),
                ..
            }
        ),
        "{lookup:?}"
    );

    for settings in [
        FaultSettings {
            error_5xx: 1.0,
            ..FaultSettings::default()
        },
        FaultSettings {
            maintenance: 1.0,
            ..FaultSettings::default()
        },
    ] {
        faults(settings);
        let submission = client.submit(payout.order(None)).await;
        assert!(
            matches!(
                submission,
                Submission::Refused(Refusal {
                    kind: RefusalKind::OutcomeUnknown,
                    ..
                })
            ),
            "{submission:?}"
        );
        assert!(matches!(
            client.lookup(payout.order(None)).await,
            Lookup::Failed { .. }
        ));
    }
    faults(FaultSettings::default());
    assert_eq!(client.lookup(payout.order(None)).await, Lookup::NotFound);
}

#[tokio::test]
async fn the_client_keeps_under_the_rate_and_a_429_is_a_retryable_refusal() {
    let sandbox = sandbox(|k| {
        k.rate_limit = Some(giro_sandbox::RateLimit {
            per_second: 10,
            burst: 3,
        })
    })
    .await;
    let mut unlimited = config(&sandbox.killb_url().unwrap());
    unlimited.rate_limit = None;
    let unlimited = KillbClient::new(unlimited).unwrap();
    let mut refusals = 0;
    for _ in 0..6 {
        let payout = Payout::bank("100000");
        if let Submission::Refused(Refusal { kind, .. }) =
            unlimited.submit(payout.order(None)).await
        {
            assert!(
                matches!(kind, RefusalKind::ComeBackAfter(Some(_))),
                "{kind:?}"
            );
            refusals += 1;
        }
    }
    assert!(refusals > 0, "six requests at once exceed a burst of three");

    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut limited = config(&sandbox.killb_url().unwrap());
    limited.rate_limit = Some(RateLimit {
        per_second: 5,
        burst: 2,
    });
    let limited = KillbClient::new(limited).unwrap();
    for _ in 0..5 {
        let payout = Payout::bank("100000");
        accepted(limited.submit(payout.order(None)).await);
    }
}

#[tokio::test]
async fn unreachable_killb_is_a_retryable_refusal() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = KillbClient::new(config(&format!("http://127.0.0.1:{port}"))).unwrap();
    let payout = Payout::bank("500000");
    let submission = client.submit(payout.order(None)).await;
    assert!(
        matches!(&submission, Submission::Refused(Refusal { code, kind: RefusalKind::Retryable, .. }) if code == "not_sent"),
        "{submission:?}"
    );
    assert!(matches!(
        client.lookup(payout.order(None)).await,
        Lookup::Failed { .. }
    ));
    assert!(matches!(client.balance(Currency::COP).await, Some(Err(_))));
}

#[tokio::test]
async fn expired_tokens_are_renewed() {
    let sandbox = sandbox(|k| k.token_ttl = Duration::from_millis(300)).await;
    let client = client(&sandbox);
    let first = Payout::bank("500000");
    let (id, _) = accepted(client.submit(first.order(None)).await);
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert!(matches!(
        client.lookup(first.order(Some(&id))).await,
        Lookup::Found(_)
    ));
    tokio::time::sleep(Duration::from_millis(450)).await;
    accepted(client.submit(Payout::bank("500000").order(None)).await);
}

#[tokio::test]
async fn the_api_key_is_sent_when_configured() {
    let sandbox = sandbox(|k| k.api_key = Some("kb-api-key".into())).await;
    let without = client(&sandbox);
    let submission = without.submit(Payout::bank("500000").order(None)).await;
    assert!(
        matches!(&submission, Submission::Refused(Refusal { code, kind: RefusalKind::Retryable, .. }) if code == "auth_failed"),
        "{submission:?}"
    );
    let mut with = config(&sandbox.killb_url().unwrap());
    with.api_key = Some(Secret::new("kb-api-key".into()));
    let with = KillbClient::new(with).unwrap();
    accepted(with.submit(Payout::bank("500000").order(None)).await);
}

#[tokio::test]
async fn refusals_carry_killb_codes_and_are_final() {
    let sandbox = sandbox(|k| {
        k.accounts = vec![PrefundAccount {
            id: ACCOUNT.into(),
            currency: "COP".into(),
            network: None,
            amount: Decimal::new(100, 0),
        }]
    })
    .await;
    let client = client(&sandbox);
    match client.submit(Payout::bank("500000").order(None)).await {
        Submission::Refused(Refusal {
            code,
            message,
            kind: RefusalKind::InsufficientFunds,
        }) => {
            assert_eq!(code, "BALANCE.0001");
            assert!(message.contains("Insufficient balance"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        client.balance(Currency::COP).await,
        Some(Ok(Decimal::new(100, 0)))
    );
    assert!(matches!(client.balance(Currency::USD).await, Some(Err(_))));
    let mut elsewhere = config(&sandbox.killb_url().unwrap());
    elsewhere.pre_fund_account_id = "no-such-account".into();
    let elsewhere = KillbClient::new(elsewhere).unwrap();
    let submission = elsewhere.submit(Payout::bank("50").order(None)).await;
    assert!(
        matches!(&submission, Submission::Refused(Refusal { code, kind: RefusalKind::Final, .. }) if code == "PREFUND.0001"),
        "{submission:?}"
    );
    assert!(matches!(
        elsewhere.balance(Currency::COP).await,
        Some(Err(_))
    ));
}

#[tokio::test]
async fn balance_follows_the_prefund_account() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    accepted(client.submit(Payout::bank("500000").order(None)).await);
    assert_eq!(
        client.balance(Currency::COP).await,
        Some(Ok(Decimal::new(950_000_000, 2)))
    );
}

#[test]
fn the_payout_body_is_killbs() {
    let payout = Payout::new("500000.50", bank_account("0007", "pa"));
    let body = CreatePayout::new(ACCOUNT, &payout.handle, &payout.request).unwrap();
    let body: Value = serde_json::to_value(&body).unwrap();
    assert_eq!(
        body,
        json!({"preFundAccountId": ACCOUNT, "amount": 500000.5, "externalId": payout.handle,
               "beneficiary": {"type": "PSE", "account": {
                   "firstName": "Maria", "lastName": "Garcia", "email": "maria@example.com",
                   "phone": "3001234567", "document": {"type": "PASSPORT", "number": "12345678"},
                   "accountNumber": "123456789", "bankCode": "007", "type": "savings",
                   "countryCode": "CO"}}})
    );
    let text =
        serde_json::to_string(&CreatePayout::new(ACCOUNT, "h", &payout.request).unwrap()).unwrap();
    assert!(
        text.contains(r#""amount":500000.5,"#),
        "an exact JSON number: {text}"
    );
}

#[test]
fn webhooks_verify_in_both_readings_and_parse_into_the_polls_report() {
    let body = br#"{"id":"wh-1","event":"PAYOUT","action":"UPDATE","data":{"id":"p-1","amount":500000,"currency":"COP","status":"COMPLETED","externalId":"G1","preFundAccountId":"prefund-cop-001","beneficiary":{"type":"PSE","account":{}},"createdAt":"2024-01-15T10:30:00.000Z","updatedAt":"2024-01-15T10:31:00.000Z"},"createdAt":"2024-01-15T10:31:00.000Z","updatedAt":"2024-01-15T10:31:00.000Z","attempts":1}"#;
    let client = KillbClient::new(config("http://127.0.0.1:9")).unwrap();
    for reading in [KillbSignature::HmacSha256, KillbSignature::Sha256Underscore] {
        let signature = killb_signature(reading, WEBHOOK_SECRET, body);
        assert!(client.verify_webhook(body, &signature), "{reading:?}");
        assert!(verify_signature(WEBHOOK_SECRET, body, &signature));
        let mut flipped = body.to_vec();
        flipped[40] ^= 0x01;
        assert!(
            !client.verify_webhook(&flipped, &signature),
            "{reading:?}: a flipped byte"
        );
        let mut wrong = signature.into_bytes();
        wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
        assert!(!client.verify_webhook(body, &String::from_utf8(wrong).unwrap()));
    }
    let envelope = WebhookEnvelope::parse(body).unwrap();
    assert_eq!(
        (envelope.event.as_str(), envelope.attempts),
        ("PAYOUT", Some(1))
    );
    let report = envelope.payout().unwrap().report(ReportSource::Webhook);
    assert_eq!(
        report.report_id, "p-1:COMPLETED",
        "the same id a poll of COMPLETED gives"
    );
    assert_eq!(report.outcome, ReportedOutcome::Succeeded);
    assert!(report.reported_at.is_some());
    assert!(
        WebhookEnvelope::parse(b"{\"id\":1}").is_err(),
        "malformed is an error, not a panic"
    );
}
