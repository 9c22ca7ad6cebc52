-- Giro's read models (CONTRACT.md §3). Table names are unqualified: the connection's search_path
-- names the schema (`giro` by default), so one set of migrations serves any schema.

-- projection name -> last stream sequence applied; updated in the same transaction as the rows.
CREATE TABLE checkpoints (
    name          text PRIMARY KEY,
    last_sequence bigint NOT NULL CHECK (last_sequence >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE payouts (
    order_id           uuid PRIMARY KEY,
    provider           text NOT NULL,
    status             text NOT NULL,
    amount             numeric NOT NULL,
    currency           text NOT NULL,
    rail               text NOT NULL,
    external_id        text,
    idempotency_key    text NOT NULL,
    provider_ref       text,
    failure_code       text,
    failure_message    text,
    beneficiary_masked jsonb NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    -- when the payout entered its current status, and first reached a terminal one
    status_since       timestamptz NOT NULL,
    terminal_at        timestamptz,
    version            bigint NOT NULL
) WITH (fillfactor = 80); -- room for in-place (HOT) updates as payouts move through statuses
CREATE INDEX payouts_by_created ON payouts (created_at DESC, order_id DESC);
CREATE INDEX payouts_by_status ON payouts (status, created_at DESC, order_id DESC);
CREATE INDEX payouts_by_provider ON payouts (provider, created_at DESC, order_id DESC);
CREATE INDEX payouts_by_external_id ON payouts (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX payouts_open ON payouts (status, status_since)
    WHERE status IN ('requested', 'held', 'submitting', 'submitted', 'processing');

-- every event of every payout, data masked: the timeline
CREATE TABLE payout_events (
    order_id uuid NOT NULL,
    version  bigint NOT NULL,
    sequence bigint NOT NULL,
    event_id uuid NOT NULL,
    type     text NOT NULL,
    at       timestamptz NOT NULL,
    data     jsonb NOT NULL,
    PRIMARY KEY (order_id, version)
);
CREATE INDEX payout_events_reversals ON payout_events (at DESC) WHERE type = 'payout.reversed';

CREATE TABLE charges (
    order_id          uuid PRIMARY KEY,
    provider          text NOT NULL,
    status            text NOT NULL,
    amount            numeric NOT NULL,
    currency          text NOT NULL,
    installment_count integer NOT NULL,
    method            text NOT NULL,
    external_id       text,
    idempotency_key   text NOT NULL,
    payer_masked      jsonb NOT NULL,
    due_date          date NOT NULL,
    description       text NOT NULL,
    provider_ref      text,           -- A55's charge_uuid
    payment_url       text,           -- the hosted checkout page, for card charges
    failure_code      text,
    failure_message   text,
    refunded_amount   numeric NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    status_since      timestamptz NOT NULL,
    terminal_at       timestamptz,
    version           bigint NOT NULL
);
CREATE INDEX charges_by_created ON charges (created_at DESC, order_id DESC);
CREATE INDEX charges_by_status ON charges (status, created_at DESC, order_id DESC);
CREATE INDEX charges_by_provider ON charges (provider, created_at DESC, order_id DESC);
CREATE INDEX charges_by_external_id ON charges (external_id) WHERE external_id IS NOT NULL;

CREATE TABLE charge_events (
    order_id uuid NOT NULL,
    version  bigint NOT NULL,
    sequence bigint NOT NULL,
    event_id uuid NOT NULL,
    type     text NOT NULL,
    at       timestamptz NOT NULL,
    data     jsonb NOT NULL,
    PRIMARY KEY (order_id, version)
);

CREATE TABLE beneficiaries (
    beneficiary_id  uuid PRIMARY KEY,
    account_type    text NOT NULL,
    status          text NOT NULL,
    external_id     text,
    idempotency_key text NOT NULL,
    provider_ref    text,
    data_masked     jsonb NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         bigint NOT NULL
);
CREATE INDEX beneficiaries_by_created ON beneficiaries (created_at DESC, beneficiary_id DESC);
CREATE INDEX beneficiaries_by_status ON beneficiaries (status, created_at DESC, beneficiary_id DESC);
CREATE INDEX beneficiaries_by_external_id ON beneficiaries (external_id) WHERE external_id IS NOT NULL;

CREATE TABLE beneficiary_events (
    beneficiary_id uuid NOT NULL,
    version        bigint NOT NULL,
    sequence       bigint NOT NULL,
    event_id       uuid NOT NULL,
    type           text NOT NULL,
    at             timestamptz NOT NULL,
    data           jsonb NOT NULL,
    PRIMARY KEY (beneficiary_id, version)
);
