-- Scheduled payouts (issue #21, `execute_at` on `giro.cmd.payout.create`): when the caller wants
-- the payout made. A payout stays `scheduled` until then; one still `scheduled` well after it is
-- listed as stuck (GIRO_STUCK_SCHEDULED).
ALTER TABLE payouts ADD COLUMN execute_at timestamptz;
CREATE INDEX payouts_scheduled ON payouts (execute_at) WHERE status = 'scheduled';
