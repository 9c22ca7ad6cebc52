//! The scenario and fault tables printed by `giro sandbox --help` (kept in step with the README).

/// Appended to `--help`.
pub const AFTER_HELP: &str = "\
SCENARIOS (the last two digits of the amount's whole units pick the outcome; anything else succeeds)
  code  KillB                          Cashy (CO and TZ)                      A55 (no card data)
  11    FAILED                         FAIL  ACCOUNT NOT EXITS                error payment_declined
  12    ERROR                          FAIL  GATEWAY_TIMEOUT                  error errors.unexpected
  13    REJECTED                       FAIL  AMOUNT_ERROR                     error antifraud_rejected
  14    COMPLETED, later REFUNDED      FAIL  ACCOUNT_AND_MNO_NOT_MATCH        paid, later refunded
  15    REVIEW_NEEDED, then COMPLETED  FAIL  PAYMENT_OFFSET                   error error_threeds_authentication
  16    COMPLETED                      CANCEL ORDER_CANCELLED                 canceled
  17    COMPLETED, later REFUNDED      SUCCESS, later FAIL PAYMENT_OFFSET     paid, later refunded
  18    COMPLETED                      FAIL GATEWAY_TIMEOUT, later SUCCESS    paid
  19    stuck in PROCESSING            stuck in PAYING                        stuck in pending
  e.g. KillB 500011 COP -> FAILED; Cashy 10019 COP -> never completes; A55 150.13 BRL -> error.
  A55 host-to-host card data: the card number's last digit wins: 0/1/4 approved (confirmed -> paid;
  pre_captured with capture=false; pending -> confirmed with 3DS), 2 declined, 3 expired, 5 blocked,
  6 timeout (pending -> error), 7 canceled, 8 card problem, 9 random (seeded).
  KillB accounts (POST /api/v2/accounts): PENDING, then the last digit of the account number /
  CLABE / phone / wallet address (non-digit = 0) decides: ...1 REJECTED, ...2 stays PENDING,
  ...3 ACTIVE then later INACTIVE, else ACTIVE; each change is a signed ACCOUNT webhook.

FAULTS (run-wide: the options above, or POST /_sandbox/faults with the same names in JSON;
        per request: header X-Sandbox-Fault: name[=ms], comma separated)
  latency=<ms>            wait before processing
  error_5xx               provider 5xx before processing (nothing stored)
  rate_limit              429 with X-RateLimit-* (Cashy: System_busy) before processing
  maintenance             503 (Cashy: System_Maintenance) before processing
  lose_response           process and store, then close the connection unanswered
  hang_response[=<ms>]    process and store, then hold the connection (default 60 s) and close it
  drop_callback           the order's callbacks are never sent
  duplicate_callback      each callback is delivered twice
  delay_callback[=<ms>]   each callback's first attempt waits longer (default 5 s)
  reorder_callbacks       the next-to-last callback is sent after the last one
  reverse_later           the final result is reversed later (Cashy SUCCESS<->FAIL, KillB
                          COMPLETED->REFUNDED, A55 paid->refunded)

INTROSPECTION (on every simulator's address, never faulted or rate limited)
  GET  /_sandbox/summary                      totals; at_most_once / exactly_once
  GET  /_sandbox/orders?provider=&handle=&external_id=&status=
  GET  /_sandbox/orders/{provider}/{order_id} one order: submissions, history, callback attempts
  GET  /_sandbox/handles?provider=            submissions per idempotency handle
  GET|POST /_sandbox/faults[?seed=N]          read or replace the run's fault settings
  POST /_sandbox/killb/balances/{accountId}/topup {\"amount\": ...}
  GET  /_sandbox/orders?provider=killb-accounts  KillB accounts: history and ACCOUNT webhooks
";
