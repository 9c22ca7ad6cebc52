-- What providers report about a payout (issue #17), kept beside the order's own figures, and the
-- exceptions a person must look at.

-- The latest report on the payout's current attempt that stated each fact; `provider_status` is
-- that report's status word as the provider wrote it. `provider_completed_at`
-- is the provider's text (Cashy writes `yyyy-MM-dd HH:mm:ss` in a time zone it does not state).
ALTER TABLE payouts
    ADD COLUMN provider_status       text,
    ADD COLUMN reported_amount       numeric,
    ADD COLUMN reported_currency     text,
    ADD COLUMN fee                   numeric,
    ADD COLUMN provider_completed_at text,
    ADD COLUMN channel_ref           text;

-- One row per event that needs a person: a report about an attempt that is not the order's
-- current one (`report_unmatched`, `possible_double_payment`) and a difference between the order
-- and what its provider reported or stated (`discrepancy`). Keyed by the event, so applying it
-- again inserts nothing. Provider, amount and status are read from `payouts` when listed.
CREATE TABLE exceptions (
    order_id  uuid NOT NULL,
    version   bigint NOT NULL,
    kind      text NOT NULL,
    reason    text NOT NULL,
    detail    jsonb NOT NULL,
    raised_at timestamptz NOT NULL,
    PRIMARY KEY (order_id, version, kind)
);
CREATE INDEX exceptions_by_raised ON exceptions (raised_at DESC, order_id DESC);
