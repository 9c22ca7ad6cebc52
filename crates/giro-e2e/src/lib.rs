//! A whole Giro stack against the provider sandboxes, for end-to-end tests: a private event
//! stream, the sandboxes on free ports, the webhook ingress, and executors for every provider
//! instance, wired the way `giro up` wires them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use giro_domain::charge::{Charge, ChargeCommand, ChargeDecider};
use giro_domain::payout::{PayoutCommand, PayoutDecider, PayoutStatus};
use giro_domain::provider::Catalog;
use giro_domain::{EventMeta, OrderId, ProviderId, Secret};
use giro_eventlog::test_support::TestLog;
use giro_executor::{ExecutorConfig, ExecutorHandle, Timings};
use giro_ingress::{A55Hook, CashyHook, IngressConfig, IngressHandle, KillbHook};
use giro_providers::PayoutProvider;
use giro_providers::a55::{A55Client, A55Config as A55ClientConfig};
use giro_providers::cashy::{CashyClient, CashyConfig as CashyClientConfig, CashyCountry};
use giro_providers::killb::{KillbClient, KillbConfig as KillbClientConfig};
use giro_sandbox::a55::A55Config;
use giro_sandbox::cashy::{CashyConfig, CashyMerchant};
use giro_sandbox::killb::KillbConfig;
use giro_sandbox::{FaultSettings, Sandbox, SandboxConfig, Timing};
use serde_json::json;

pub const KILLB_EMAIL: &str = "ops@giro.test";
pub const KILLB_PASSWORD: &str = "pw-123";
pub const KILLB_SECRET: &str = "killb-webhook-secret";
pub const KILLB_ACCOUNT: &str = "prefund-cop-001";
pub const CO_MERCHANT: &str = "100001";
pub const CO_KEY: &str = "cashy-co-sandbox-key";
pub const TZ_MERCHANT: &str = "1002001";
pub const TZ_KEY: &str = "cashy-tz-sandbox-key";
pub const A55_CLIENT_ID: &str = "giro-e2e";
pub const A55_CLIENT_SECRET: &str = "a55-e2e-client-secret";
pub const A55_WEBHOOK_SECRET: &str = "a55-e2e-webhook-secret";
pub const A55_WALLET: &str = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
pub const A55_MERCHANT: &str = "11111111-1111-1111-1111-111111111111";

/// The payout provider instances of the default catalog.
pub const PAYOUT_PROVIDERS: [&str; 3] = ["killb", "cashy-co", "cashy-tz"];

/// How to build the stack.
pub struct StackOptions {
    pub faults: FaultSettings,
    pub timings: Timings,
    /// Executor instances per provider instance.
    pub executors: usize,
    /// KillB pre-fund balance in COP.
    pub killb_balance: rust_decimal::Decimal,
    pub seed: u64,
    /// The A55 sandbox sends its older unsigned webhooks, and the ingress confirms them.
    pub a55_legacy: bool,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            faults: FaultSettings::default(),
            timings: Timings {
                claim_timeout: Duration::from_secs(3),
                poll_after: Duration::from_millis(500),
                poll_max: Duration::from_secs(2),
                retry_base: Duration::from_millis(100),
                retry_max: Duration::from_millis(800),
                max_attempts: 8,
                hold_recheck: Duration::from_millis(300),
                hold_timeout: Duration::from_secs(300),
                ack_wait: Duration::from_secs(10),
                unknown_timeout: Duration::from_secs(20),
            },
            executors: 1,
            killb_balance: rust_decimal::Decimal::from(1_000_000_000i64),
            seed: 7,
            a55_legacy: false,
        }
    }
}

/// A running stack.
pub struct Stack {
    pub log: TestLog,
    pub sandbox: Sandbox,
    pub ingress: IngressHandle,
    pub providers: Vec<(ProviderId, Arc<dyn PayoutProvider>, bool)>,
    pub executors: Vec<(ProviderId, ExecutorHandle)>,
    /// The A55 client the charge executor (and the legacy-webhook confirmation) use.
    pub a55: Arc<A55Client>,
    /// The KillB client of the payout executors, shared with the beneficiary accounts.
    pub killb: Arc<KillbClient>,
    pub timings: Timings,
}

fn pid(s: &str) -> ProviderId {
    ProviderId::try_from(s.to_string()).expect("valid provider id")
}

impl Stack {
    pub async fn start(options: StackOptions) -> Stack {
        let log = TestLog::new().await;
        let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
        let mut ingress_config = IngressConfig::new(any, log.config.prefix.clone());
        ingress_config.killb = Some(KillbHook {
            provider: pid("killb"),
            secret: Secret::new(KILLB_SECRET.into()),
        });
        ingress_config.cashy = vec![
            CashyHook {
                provider: pid("cashy-co"),
                merchant_id: CO_MERCHANT.into(),
                api_key: Secret::new(CO_KEY.into()),
                country: CashyCountry::Co,
            },
            CashyHook {
                provider: pid("cashy-tz"),
                merchant_id: TZ_MERCHANT.into(),
                api_key: Secret::new(TZ_KEY.into()),
                country: CashyCountry::Tz,
            },
        ];
        // The ingress must know its A55 client before it starts, and the client the sandbox's
        // address: bind the sandbox's A55 on a port chosen here. Another test may take that
        // port between choosing and binding it; then both start again on another.
        let mut attempt = 0;
        let (ingress, sandbox, a55) = loop {
            attempt += 1;
            let a55_port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .expect("a free port")
                .port();
            let a55_addr: SocketAddr = format!("127.0.0.1:{a55_port}").parse().expect("address");
            let mut a55_client = A55ClientConfig::new(
                format!("http://{a55_addr}"),
                A55_CLIENT_ID,
                Secret::new(A55_CLIENT_SECRET.into()),
                A55_WALLET,
                A55_MERCHANT,
                Secret::new(A55_WEBHOOK_SECRET.into()),
            );
            a55_client.timeout = Duration::from_secs(2);
            let a55 = Arc::new(A55Client::new(a55_client).expect("a55 client"));
            let mut ingress_config = ingress_config.clone();
            ingress_config.a55 = Some(A55Hook {
                provider: pid("a55"),
                secret: Secret::new(A55_WEBHOOK_SECRET.into()),
                legacy: options.a55_legacy.then(|| a55.clone()),
            });
            let ingress = giro_ingress::start(log.log.clone(), ingress_config)
                .await
                .expect("ingress starts");
            let mut a55_sandbox =
                A55Config::new(A55_CLIENT_ID, A55_CLIENT_SECRET, A55_WEBHOOK_SECRET);
            a55_sandbox.bind = a55_addr;
            a55_sandbox.webhook_url = Some(format!("{}/webhooks/a55", ingress.url()));
            a55_sandbox.legacy_webhooks = options.a55_legacy;

            let mut killb = KillbConfig::new(KILLB_EMAIL, KILLB_PASSWORD, KILLB_SECRET);
            killb.webhook_url = Some(format!("{}/webhooks/killb", ingress.url()));
            if let Some(account) = killb.accounts.first_mut() {
                account.amount = options.killb_balance;
            }
            let started = Sandbox::start(SandboxConfig {
                killb: Some(killb),
                cashy: Some(CashyConfig::new(vec![
                    CashyMerchant::colombia(CO_MERCHANT, CO_KEY),
                    CashyMerchant::tanzania(TZ_MERCHANT, TZ_KEY),
                ])),
                a55: Some(a55_sandbox),
                timing: Timing {
                    time_scale: 0.0005,
                    step_delay: Duration::from_millis(50),
                    reversal_delay: Duration::from_millis(300),
                    callback_timeout: Duration::from_secs(5),
                },
                faults: options.faults.clone(),
                seed: options.seed,
            })
            .await;
            match started {
                Ok(sandbox) => break (ingress, sandbox, a55),
                Err(e) if attempt < 5 => {
                    eprintln!("sandbox did not start ({e}); again on other ports");
                    ingress.stop().await;
                }
                Err(e) => panic!("sandbox starts: {e}"),
            }
        };

        let notify = format!("{}/webhooks/cashy", ingress.url());
        let killb_url = sandbox.killb_url().expect("killb");
        let cashy_url = sandbox.cashy_url().expect("cashy");
        let mut killb_client = KillbClientConfig::new(
            killb_url,
            KILLB_EMAIL,
            Secret::new(KILLB_PASSWORD.into()),
            KILLB_ACCOUNT,
            Secret::new(KILLB_SECRET.into()),
        );
        killb_client.timeout = Duration::from_secs(2);
        // The client-side limiter stays on (KillB's production rate, below the sandbox's 100/s):
        // without it a burst of payouts meets 429s and burns its attempts, as it would in production.
        let mut co = CashyClientConfig::new(
            cashy_url.clone(),
            CO_MERCHANT,
            Secret::new(CO_KEY.into()),
            CashyCountry::Co,
            notify.clone(),
        );
        co.timeout = Duration::from_secs(2);
        let mut tz = CashyClientConfig::new(
            cashy_url,
            TZ_MERCHANT,
            Secret::new(TZ_KEY.into()),
            CashyCountry::Tz,
            notify,
        );
        tz.timeout = Duration::from_secs(2);
        let killb = Arc::new(KillbClient::new(killb_client).expect("killb client"));
        let providers: Vec<(ProviderId, Arc<dyn PayoutProvider>, bool)> = vec![
            (pid("killb"), killb.clone(), true),
            (
                pid("cashy-co"),
                Arc::new(CashyClient::new(co).expect("cashy client")),
                false,
            ),
            (
                pid("cashy-tz"),
                Arc::new(CashyClient::new(tz).expect("cashy client")),
                false,
            ),
        ];
        let mut stack = Stack {
            log,
            sandbox,
            ingress,
            providers,
            executors: vec![],
            a55,
            killb,
            timings: options.timings,
        };
        for _ in 0..options.executors {
            for i in 0..stack.providers.len() {
                stack.start_executor(i).await;
            }
            stack.start_charge_executor().await;
        }
        stack
    }

    /// Starts one more A55 charge executor instance.
    pub async fn start_charge_executor(&mut self) {
        let mut config = ExecutorConfig::new(pid("a55"), self.log.config.prefix.clone());
        config.timings = self.timings.clone();
        let handle = giro_executor::start_charges(self.log.log.clone(), self.a55.clone(), config)
            .await
            .expect("charge executor starts");
        self.executors.push((pid("a55"), handle));
    }

    /// Starts an intake instance on the stack's stream, and a client of it (10 s per request).
    pub async fn start_intake(&self) -> (giro_intake::IntakeHandle, giro_intake::IntakeClient) {
        let intake = giro_intake::Intake::start(
            self.log.client.clone(),
            self.log.log.clone(),
            giro_intake::IntakeConfig {
                prefix: self.log.config.prefix.clone(),
                ..giro_intake::IntakeConfig::default()
            },
        )
        .await
        .expect("intake starts");
        let client = giro_intake::IntakeClient::new(
            self.log.client.clone(),
            self.log.config.prefix.clone(),
            Duration::from_secs(10),
        );
        (intake, client)
    }

    /// Starts one more beneficiary account executor instance (`killb-accounts`).
    pub async fn start_beneficiary_executor(&mut self) {
        let id = pid(giro_domain::beneficiary::ACCOUNTS_PROVIDER);
        let mut config = ExecutorConfig::new(id.clone(), self.log.config.prefix.clone());
        config.timings = self.timings.clone();
        let handle =
            giro_executor::start_beneficiaries(self.log.log.clone(), self.killb.clone(), config)
                .await
                .expect("beneficiary executor starts");
        self.executors.push((id, handle));
    }

    /// Starts one more executor instance of provider `index` (in `PAYOUT_PROVIDERS` order).
    pub async fn start_executor(&mut self, index: usize) {
        let (id, provider, prefunded) = &self.providers[index];
        let mut config = ExecutorConfig::new(id.clone(), self.log.config.prefix.clone());
        config.timings = self.timings.clone();
        let handle =
            giro_executor::start(self.log.log.clone(), provider.clone(), config, *prefunded)
                .await
                .expect("executor starts");
        self.executors.push((id.clone(), handle));
    }

    /// Stops (kills) the first running executor of `provider`.
    pub async fn kill_executor(&mut self, provider: &str) {
        if let Some(i) = self
            .executors
            .iter()
            .position(|(id, _)| id.as_str() == provider)
        {
            let (_, handle) = self.executors.remove(i);
            handle.stop().await;
        }
    }

    /// Creates a payout as intake would; returns its id.
    pub async fn create(&self, key: &str, provider: &str, amount: &str) -> OrderId {
        let body = match provider {
            "cashy-tz" => json!({
                "idempotency_key": key, "provider": provider, "amount": amount, "currency": "TZS",
                "beneficiary": {"rail": "tz_mobile", "name": "Juma Hamisi", "msisdn": "255712345678", "operator": "tigo"}
            }),
            _ => json!({
                "idempotency_key": key, "provider": provider, "amount": amount, "currency": "COP",
                "external_id": key,
                "beneficiary": { "rail": "co_bank", "first_name": "Maria", "last_name": "Garcia",
                                 "email": "maria@example.com", "phone": "3001234567",
                                 "document": {"type": "CC", "number": "12345678"},
                                 "bank_code": "007", "account_number": "123456789", "account_type": "savings" }
            }),
        };
        let draft =
            giro_domain::payout::parse_create(body.to_string().as_bytes()).expect("valid payout");
        let cmd = draft
            .into_command(&Catalog::default(), None)
            .expect("routable payout");
        let id = cmd.order_id;
        self.log
            .log
            .execute::<PayoutDecider>(
                id,
                &PayoutCommand::Create(Box::new(cmd)),
                &EventMeta::default(),
                true,
            )
            .await
            .expect("payout stored");
        id
    }

    /// The payout's status now.
    pub async fn status(&self, id: OrderId) -> PayoutStatus {
        let order = self
            .log
            .log
            .load::<PayoutDecider>(id)
            .await
            .expect("order loads");
        order.state.map(|p| p.status).expect("order exists")
    }

    /// The payout's event types, oldest first.
    pub async fn event_types(&self, id: OrderId) -> Vec<&'static str> {
        let order = self
            .log
            .log
            .load::<PayoutDecider>(id)
            .await
            .expect("order loads");
        order
            .events
            .iter()
            .map(|e| giro_domain::EventType::event_type(&e.event))
            .collect()
    }

    /// Waits until `accept` holds for every order's status or `within` passes; returns statuses.
    pub async fn wait_for(
        &self,
        ids: &[OrderId],
        within: Duration,
        accept: impl Fn(PayoutStatus) -> bool,
    ) -> Vec<PayoutStatus> {
        let deadline = Instant::now() + within;
        loop {
            let mut statuses = Vec::with_capacity(ids.len());
            for id in ids {
                statuses.push(self.status(*id).await);
            }
            if statuses.iter().all(|s| accept(*s)) || Instant::now() > deadline {
                return statuses;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Creates an A55 charge as intake would (BRL, one installment); returns its id.
    pub async fn create_charge(&self, key: &str, amount: &str, method: &str) -> OrderId {
        let body = json!({
            "idempotency_key": key, "provider": "a55", "amount": amount, "currency": "BRL",
            "installment_count": 1, "method": method,
            "payer": {"name": "Zhang Wei", "email": "zhangwei@example.com", "tax_id": "12345678909",
                      "phone": "+5511999999999",
                      "address": {"street": "Av. Paulista", "address_number": "1000",
                                  "complement": "Sala 101", "neighborhood": "Bela Vista",
                                  "city": "Sao Paulo", "state": "SP", "postal_code": "01310-100",
                                  "country": "BR"}},
            "due_date": "2030-12-31", "description": "Order 42",
            "redirect_url": "https://shop.example.com/done"
        });
        let cmd =
            giro_domain::charge::parse_create(body.to_string().as_bytes(), &Catalog::default())
                .expect("valid charge");
        let id = cmd.order_id;
        self.charge_command(id, ChargeCommand::Create(Box::new(cmd)))
            .await
            .expect("charge stored");
        id
    }

    /// Carries out a charge command as intake would.
    pub async fn charge_command(
        &self,
        id: OrderId,
        command: ChargeCommand,
    ) -> Result<usize, giro_eventlog::ExecuteError> {
        self.log
            .log
            .execute::<ChargeDecider>(id, &command, &EventMeta::default(), false)
            .await
            .map(|done| done.appended.len())
    }

    /// The charge as its events describe it now.
    pub async fn charge(&self, id: OrderId) -> Charge {
        let order = self
            .log
            .log
            .load::<ChargeDecider>(id)
            .await
            .expect("order loads");
        order.state.expect("charge exists")
    }

    /// The charge's event types, oldest first.
    pub async fn charge_event_types(&self, id: OrderId) -> Vec<&'static str> {
        let order = self
            .log
            .log
            .load::<ChargeDecider>(id)
            .await
            .expect("order loads");
        order
            .events
            .iter()
            .map(|e| giro_domain::EventType::event_type(&e.event))
            .collect()
    }

    /// Waits until `accept` holds for the charge or `within` passes; returns it.
    pub async fn wait_charge(
        &self,
        id: OrderId,
        within: Duration,
        accept: impl Fn(&Charge) -> bool,
    ) -> Charge {
        let deadline = Instant::now() + within;
        loop {
            let charge = self.charge(id).await;
            if accept(&charge) || Instant::now() > deadline {
                return charge;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Asserts the charge's versions run 1..=n without gaps or repeats.
    pub async fn assert_gapless_charge(&self, id: OrderId) {
        let order = self
            .log
            .log
            .load::<ChargeDecider>(id)
            .await
            .expect("order loads");
        let versions: Vec<u64> = order.events.iter().map(|e| e.version).collect();
        assert_eq!(
            versions,
            (1..=versions.len() as u64).collect::<Vec<_>>(),
            "charge {id}"
        );
    }

    /// Asserts the order's versions run 1..=n without gaps or repeats.
    pub async fn assert_gapless(&self, id: OrderId) {
        let order = self
            .log
            .log
            .load::<PayoutDecider>(id)
            .await
            .expect("order loads");
        let versions: Vec<u64> = order.events.iter().map(|e| e.version).collect();
        assert_eq!(
            versions,
            (1..=versions.len() as u64).collect::<Vec<_>>(),
            "order {id}"
        );
    }
}
