-- Payout batches (issue #21 item 4, `giro.cmd.payout_batch.*`): one row per batch, its declared
-- totals, and how far its items (payouts with this batch_id) got, added up from the payouts rows.
CREATE TABLE payout_batches (
    batch_id         uuid PRIMARY KEY,
    idempotency_key  text NOT NULL,
    -- receiving (parts still to come), open (items in flight), completed (every item final),
    -- cancelled (its cancellation was asked for).
    status           text NOT NULL,
    item_count       integer NOT NULL,
    items_received   integer NOT NULL,
    -- {"COP": "1500000.00", …}: the items' amounts per currency, as the parts recorded them.
    totals           jsonb NOT NULL,
    -- {"succeeded": 3, "requested": 1, …}: the items' payouts by status.
    counts           jsonb NOT NULL DEFAULT '{}',
    -- {"COP": {"succeeded": "1000000", …}, …}: the items' amounts per currency and status.
    amounts          jsonb NOT NULL DEFAULT '{}',
    succeeded        integer NOT NULL DEFAULT 0,
    failed           integer NOT NULL DEFAULT 0,
    cancelled        integer NOT NULL DEFAULT 0,
    in_flight        integer NOT NULL DEFAULT 0,
    cancel_requested boolean NOT NULL DEFAULT false,
    metadata         jsonb,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    completed_at     timestamptz,
    version          bigint NOT NULL
);
CREATE INDEX payout_batches_created ON payout_batches (created_at DESC, batch_id DESC);

ALTER TABLE payouts ADD COLUMN batch_id uuid;
CREATE INDEX payouts_batch ON payouts (batch_id) WHERE batch_id IS NOT NULL;
