//! `giro payout …`, `giro charge …` and `giro beneficiary …`: commands to intake over NATS
//! (CONTRACT.md §1; the reply envelope is printed as it came), `show` from
//! `giro.query.order.get` (readable, or `--json` for the envelope) and `list` from the
//! projection's query API.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use async_nats::RequestErrorKind;
use clap::{Args, Subcommand};
use giro_intake::{IntakeClient, Reply};

use crate::cli::{ClientArgs, connect, out, print_reply};
use crate::list::{List, ListArgs, Listing, OrderListArgs};

#[derive(Subcommand)]
pub enum PayoutCommand {
    /// Send `giro.cmd.payout.create` with the JSON in FILE (`-` for standard input).
    Create(FileArgs),
    /// Show a payout's state and history, rebuilt from its events.
    Show(ShowArgs),
    /// List payouts from the projection's query API (`GET /v1/payouts`), newest first.
    List(OrderListArgs),
    /// Cancel a payout no provider has yet (requested, or held for funds).
    Cancel(IdArgs),
}

#[derive(Subcommand)]
pub enum ChargeCommand {
    /// Send `giro.cmd.charge.create` with the JSON in FILE (`-` for standard input).
    Create(FileArgs),
    /// Show a charge's state and history, rebuilt from its events.
    Show(ShowArgs),
    /// List charges from the projection's query API (`GET /v1/charges`), newest first.
    List(OrderListArgs),
    /// Cancel a charge: at once while no provider has it, else asked of the provider (a paid
    /// charge is refunded instead).
    Cancel(IdArgs),
    /// Refund a paid charge: --amount, or all that is still refundable.
    Refund {
        order_id: String,
        /// The amount to give back, a decimal string in the charge's currency (`50.00`).
        #[arg(long)]
        amount: Option<String>,
        #[command(flatten)]
        nats: ClientArgs,
    },
    /// Capture an authorised charge (created with `"capture": false`): --amount, or all of it.
    Capture {
        order_id: String,
        /// The amount to capture, a decimal string in the charge's currency (`50.00`), at most
        /// the authorised total.
        #[arg(long)]
        amount: Option<String>,
        /// Why it is captured (kept on `charge.capture_requested`).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        nats: ClientArgs,
    },
}

#[derive(Subcommand)]
pub enum BeneficiaryCommand {
    /// Send `giro.cmd.beneficiary.register` with the JSON in FILE (`-` for standard input).
    Register(FileArgs),
    /// Show a beneficiary's status and history, rebuilt from its events.
    Show(ShowArgs),
    /// List beneficiaries from the projection's query API (`GET /v1/beneficiaries`), newest
    /// first.
    List(ListArgs),
    /// Change a beneficiary's updatable account fields (`giro.cmd.beneficiary.update`): FILE
    /// (`-` for standard input) is the JSON object of new values, e.g.
    /// `{"account_number": "9876543210"}`.
    Update {
        beneficiary_id: String,
        #[arg(long, short)]
        file: PathBuf,
        /// Why (kept on `beneficiary.update_requested`).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        nats: ClientArgs,
    },
    /// Delete a beneficiary's account at the provider (`giro.cmd.beneficiary.remove`): it
    /// becomes INACTIVE for good.
    Remove {
        beneficiary_id: String,
        /// Why (kept on `beneficiary.removal_requested`).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        nats: ClientArgs,
    },
}

/// A command whose body is a file.
#[derive(Args)]
pub struct FileArgs {
    #[arg(long, short)]
    file: PathBuf,
    #[command(flatten)]
    nats: ClientArgs,
}

/// A command on one order.
#[derive(Args)]
pub struct IdArgs {
    order_id: String,
    #[command(flatten)]
    nats: ClientArgs,
}

/// `show ID [--json]`.
#[derive(Args)]
pub struct ShowArgs {
    /// The order id (a beneficiary's: its beneficiary id).
    id: String,
    /// Print the reply envelope as it came instead of the readable view.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    nats: ClientArgs,
}

pub async fn payout(command: PayoutCommand) -> anyhow::Result<ExitCode> {
    Ok(match command {
        PayoutCommand::Create(a) => {
            let body = read_body(&a.file)?;
            send(&a.nats, |c| async move { c.create_payout(body).await }).await
        }
        PayoutCommand::Show(args) => show(&args).await,
        PayoutCommand::List(a) => list(Listing::Payouts, a.provider.as_deref(), &a.list).await,
        PayoutCommand::Cancel(a) => {
            let id = a.order_id;
            send(&a.nats, |c| async move { c.cancel_payout(&id).await }).await
        }
    })
}

pub async fn charge(command: ChargeCommand) -> anyhow::Result<ExitCode> {
    Ok(match command {
        ChargeCommand::Create(a) => {
            let body = read_body(&a.file)?;
            send(&a.nats, |c| async move { c.create_charge(body).await }).await
        }
        ChargeCommand::Show(args) => show(&args).await,
        ChargeCommand::List(a) => list(Listing::Charges, a.provider.as_deref(), &a.list).await,
        ChargeCommand::Cancel(a) => {
            let id = a.order_id;
            send(&a.nats, |c| async move { c.cancel_charge(&id).await }).await
        }
        ChargeCommand::Refund {
            order_id,
            amount,
            nats,
        } => {
            let refund = |c: IntakeClient| async move {
                c.refund_charge(&order_id, amount.as_deref()).await
            };
            send(&nats, refund).await
        }
        ChargeCommand::Capture {
            order_id,
            amount,
            reason,
            nats,
        } => {
            let capture = |c: IntakeClient| async move {
                c.capture_charge(&order_id, amount.as_deref(), reason.as_deref())
                    .await
            };
            send(&nats, capture).await
        }
    })
}

pub async fn beneficiary(command: BeneficiaryCommand) -> anyhow::Result<ExitCode> {
    Ok(match command {
        BeneficiaryCommand::Register(a) => {
            let body = read_body(&a.file)?;
            send(
                &a.nats,
                |c| async move { c.register_beneficiary(body).await },
            )
            .await
        }
        BeneficiaryCommand::Show(args) => show(&args).await,
        BeneficiaryCommand::List(args) => list(Listing::Beneficiaries, None, &args).await,
        BeneficiaryCommand::Update {
            beneficiary_id,
            file,
            reason,
            nats,
        } => {
            let data: serde_json::Value = serde_json::from_slice(&read_body(&file)?)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let update = |c: IntakeClient| async move {
                c.update_beneficiary(&beneficiary_id, data, reason.as_deref())
                    .await
            };
            send(&nats, update).await
        }
        BeneficiaryCommand::Remove {
            beneficiary_id,
            reason,
            nats,
        } => {
            let remove = |c: IntakeClient| async move {
                c.remove_beneficiary(&beneficiary_id, reason.as_deref())
                    .await
            };
            send(&nats, remove).await
        }
    })
}

async fn list(listing: Listing, provider: Option<&str>, args: &ListArgs) -> ExitCode {
    List {
        listing,
        provider,
        args,
    }
    .run()
    .await
}

/// Sends one command with `call` and prints its reply: 0 when `"ok": true`, else 1.
async fn send<F, Fut>(nats: &ClientArgs, call: F) -> ExitCode
where
    F: FnOnce(IntakeClient) -> Fut,
    Fut: Future<Output = Reply>,
{
    match crate::cli::client(nats).await {
        Some(client) => print_reply(&call(client).await),
        None => ExitCode::from(1),
    }
}

/// `show`: the order rebuilt from its events, readable or as the envelope; 0 when found, else 1
/// (`not_found`, or `unavailable` when no engine answers).
async fn show(args: &ShowArgs) -> ExitCode {
    let reply = match connect(&args.nats).await {
        Ok(client) => get_order(&client, &args.nats, &args.id).await,
        Err(refused) => refused,
    };
    if args.json {
        return print_reply(&reply);
    }
    match &reply.error {
        None if reply.ok => {
            out(&crate::show::render(&reply.body));
            ExitCode::SUCCESS
        }
        Some(e) => {
            eprintln!("giro: {}: {}", e.code, e.message);
            ExitCode::from(1)
        }
        None => {
            eprintln!("giro: the reply says neither ok nor why not");
            ExitCode::from(1)
        }
    }
}

/// `giro.query.order.get`, asked once: a query changes nothing, so "no responders" means no
/// engine serves this prefix now and is answered at once (commands, which
/// [`IntakeClient`] retries through a rolling restart, wait out their time-out instead).
async fn get_order(client: &async_nats::Client, nats: &ClientArgs, id: &str) -> Reply {
    let subject = format!("{}.query.order.get", nats.prefix);
    let body = serde_json::json!({ "order_id": id }).to_string();
    let mut headers = async_nats::HeaderMap::new();
    giro_eventlog::trace::inject(&mut headers);
    let request = async_nats::Request::new()
        .payload(body.into())
        .headers(headers)
        .timeout(Some(nats.timeout));
    match client.send_request(subject.clone(), request).await {
        Ok(message) => serde_json::from_slice(&message.payload).unwrap_or_else(|e| {
            Reply::unavailable(format!("unreadable reply from {subject}: {e}"))
        }),
        Err(e) => Reply::unavailable(match e.kind() {
            RequestErrorKind::NoResponders => format!(
                "no giro-intake instance is serving {subject} (is `giro up` running with \
                 prefix {}?)",
                nats.prefix
            ),
            RequestErrorKind::TimedOut => {
                format!("no reply on {subject} within {:?}", nats.timeout)
            }
            _ => format!("request on {subject} failed: {e}"),
        }),
    }
}

/// A command's JSON from FILE, or from standard input for `-`.
fn read_body(file: &Path) -> anyhow::Result<Vec<u8>> {
    if file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .context("reading standard input")?;
        return Ok(buf);
    }
    std::fs::read(file).with_context(|| format!("reading {}", file.display()))
}
