-- Exceptions that open and close (issue #18): a payout whose attempt's outcome became unknown
-- raises `outcome_unknown`, and the next event that settles the attempt (a provider answer, a
-- terminal result, an operator's resolution) closes it; a success reversed or refunded later
-- raises `reversed` / `refunded_after_success`. A closed exception keeps its row, with when,
-- by what and by whom it was closed, so the audit of what needed a person stays complete.
ALTER TABLE exceptions
    ADD COLUMN resolved_at timestamptz,
    ADD COLUMN resolution  text,
    ADD COLUMN resolved_by text;

CREATE INDEX exceptions_open ON exceptions (order_id) WHERE resolved_at IS NULL;

-- Provider refusals of open payouts, counted at query time for `repeated_refusals`.
CREATE INDEX payout_events_refusals ON payout_events (order_id)
    WHERE type IN ('payout.submission_failed', 'payout.provider_wait_announced');
