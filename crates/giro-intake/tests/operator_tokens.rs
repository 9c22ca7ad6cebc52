//! Who may act: an operator action needs a token that verifies against the configured keys and
//! carries the `operator` role; every refusal is a reply with a code, and audited.

use crate::common;

use std::time::Duration;

use common::*;
use ed25519_dalek::SigningKey;
use futures::StreamExt;
use giro_auth::dev::{DevKeys, mint_with};
use giro_auth::{Role, Verifier};
use giro_eventlog::test_support::TestLog;
use giro_eventlog::{AuditOutcome, AuditRecord, EventLog};
use giro_intake::{Intake, IntakeClient, IntakeConfig, IntakeHandle};
use serde_json::json;

const HOUR: Duration = Duration::from_secs(3_600);

struct Keys {
    dev: DevKeys,
    _dir: TempDir,
}

/// A folder removed when the test ends.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn keys() -> Keys {
    let dir = std::env::temp_dir().join(format!("giro-keys-{}", uuid::Uuid::new_v4()));
    let dev = DevKeys::ensure(&dir).expect("development keys");
    Keys {
        dev,
        _dir: TempDir(dir),
    }
}

async fn start(t: &TestLog, keys: &Keys) -> (IntakeHandle, IntakeClient) {
    let verifier = Verifier::from_file(
        &keys.dev.keys_file(),
        Some(giro_auth::dev::DEV_ISSUER.into()),
        Some(giro_auth::dev::DEV_AUDIENCE.into()),
    )
    .expect("the keys verify");
    let log = EventLog::open(t.client.clone(), t.config.clone())
        .await
        .unwrap();
    let intake = Intake::start(
        t.client.clone(),
        log,
        IntakeConfig {
            prefix: t.config.prefix.clone(),
            operators: Some(verifier),
            ..IntakeConfig::default()
        },
    )
    .await
    .unwrap();
    (intake, client_for(t, t.client.clone()))
}

async fn audit(t: &TestLog) -> Vec<AuditRecord> {
    let stream = giro_eventlog::audit::stream_name(&t.config);
    let consumer = t
        .log
        .context()
        .get_stream(&stream)
        .await
        .unwrap()
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
        .await
        .unwrap();
    let pending = consumer.cached_info().num_pending as usize;
    let messages = consumer.messages().await.unwrap();
    messages
        .take(pending)
        .map(|m| serde_json::from_slice(&m.unwrap().payload).unwrap())
        .collect()
        .await
}

#[tokio::test]
async fn tokens_are_refused_unless_they_verify_and_carry_the_operator_role() {
    let t = TestLog::new().await;
    let keys = keys();
    let (intake, client) = start(&t, &keys).await;
    let created = client
        .create_payout(payout("tok-1").to_string().into_bytes())
        .await;
    let id = created.str("order_id").expect("created").to_string();
    let note = json!({"order_id": id, "text": "checked with the customer"});

    let missing = client.send("cmd.ops.payout.note", note.to_string()).await;
    assert_eq!(missing.code().map(|c| c.as_str()), Some("unauthorized"));
    assert!(missing.error.unwrap().message.contains("Bearer"));

    let stranger = SigningKey::from_bytes(&[7; 32]);
    let forged = mint_with(&stranger, "mallory", &[Role::Operator], HOUR).unwrap();
    let refused = client.operate("payout.note", &note, &forged).await;
    assert_eq!(refused.code().map(|c| c.as_str()), Some("unauthorized"));

    // Past the minute of clock skew the verifier allows.
    let expired = expired_token(&keys);
    let refused = client.operate("payout.note", &note, &expired).await;
    let error = refused.error.expect("refused");
    assert_eq!(error.code.as_str(), "unauthorized");
    assert!(error.message.contains("Expired"), "{}", error.message);

    let viewer = keys.dev.mint("victor", &[Role::Viewer], HOUR).unwrap();
    let refused = client.operate("payout.note", &note, &viewer).await;
    let error = refused.error.expect("refused");
    assert_eq!(error.code.as_str(), "forbidden");
    assert!(error.message.contains("victor"), "{}", error.message);

    let operator = keys.dev.mint("alice", &[Role::Operator], HOUR).unwrap();
    // The identity is the token's: a body naming someone else is refused, not believed.
    let mut spoofed = note.clone();
    spoofed["by"] = json!("mallory");
    let refused = client.operate("payout.note", &spoofed, &operator).await;
    assert_eq!(refused.code().map(|c| c.as_str()), Some("invalid_field"));
    let done = client.operate("payout.note", &note, &operator).await;
    assert!(done.ok, "{done:?}");
    assert_eq!(done.str("by"), Some("alice"));

    let records = audit(&t).await;
    let outcomes: Vec<(Option<&str>, AuditOutcome, Option<&str>)> = records
        .iter()
        .map(|r| (r.operator.as_deref(), r.outcome, r.code.as_deref()))
        .collect();
    use AuditOutcome::{Allowed, Refused};
    assert_eq!(
        outcomes,
        [
            (None, Refused, Some("unauthorized")),
            (None, Refused, Some("unauthorized")),
            (None, Refused, Some("unauthorized")),
            (Some("victor"), Refused, Some("forbidden")),
            (Some("alice"), Refused, Some("invalid_field")),
            (Some("alice"), Allowed, None),
        ]
    );
    assert!(
        records
            .iter()
            .all(|r| r.order_id.as_deref() == Some(id.as_str()))
    );
    assert_eq!(records[5].events, ["payout.note_added"]);
    intake.stop().await;
}

/// A token that expired two minutes ago, signed with the right key.
fn expired_token(keys: &Keys) -> String {
    let pem = std::fs::read_to_string(keys.dev.keys_file().with_file_name("signing.pem")).unwrap();
    let signing = <SigningKey as ed25519_dalek::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&pem)
        .expect("the dev key");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = json!({
        "sub": "alice", "roles": ["operator"], "iss": giro_auth::dev::DEV_ISSUER,
        "aud": giro_auth::dev::DEV_AUDIENCE, "iat": now - 600, "exp": now - 120,
    });
    giro_auth::dev::sign(&signing, &claims).unwrap()
}

#[tokio::test]
async fn without_configured_keys_every_operator_action_is_refused() {
    let t = TestLog::new().await;
    let _intake = start_intake(t.client.clone(), &t.config).await;
    let client = client_for(&t, t.client.clone());
    let keys = keys();
    let token = keys.dev.mint("alice", &[Role::Operator], HOUR).unwrap();
    let body = json!({"order_id": uuid::Uuid::new_v4().to_string(), "reason": "x"});
    let refused = client.operate("payout.retry", &body, &token).await;
    assert_eq!(refused.code().map(|c| c.as_str()), Some("unauthorized"));
    assert!(
        refused
            .error
            .unwrap()
            .message
            .contains("GIRO_OPERATOR_KEYS_FILE")
    );
}
