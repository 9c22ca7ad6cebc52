-- The payout ledger (giro_domain::ledger): one row per leg of each double-entry posting derived from
-- the payout events. A posting is keyed by the event it follows from and what it records
-- (order_id, version, kind); with the account that makes a leg's key, so applying an event again
-- inserts nothing. Every account is debit-normal: balance = debits - credits.
CREATE TABLE ledger_postings (
    order_id uuid NOT NULL,
    version  bigint NOT NULL,
    kind     text NOT NULL,   -- reserved, released, paid, fee, refunded, reversed
    account  text NOT NULL,   -- <provider>:<book>, book one of prefund, reserved, paid_out, fees
    provider text NOT NULL,
    currency text NOT NULL,
    debit    numeric NOT NULL CHECK (debit >= 0),
    credit   numeric NOT NULL CHECK (credit >= 0),
    at       timestamptz NOT NULL,
    PRIMARY KEY (order_id, version, kind, account)
);

-- Balances per account and currency.
CREATE VIEW ledger_balances AS
SELECT provider, account, currency,
       sum(debit) AS debits, sum(credit) AS credits, sum(debit) - sum(credit) AS balance,
       count(*) AS legs
FROM ledger_postings
GROUP BY provider, account, currency;
