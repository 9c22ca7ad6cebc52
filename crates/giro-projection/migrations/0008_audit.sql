-- The audit trail of operator actions (issue #18): one row per `giro.cmd.ops.*` request, allowed
-- or refused, as intake recorded it in the `<stream>_AUDIT` stream. `seq` is the record's
-- sequence in that stream, so a record applied twice is kept once.
CREATE TABLE audit (
    seq bigint PRIMARY KEY,
    at timestamptz NOT NULL,
    action text NOT NULL,
    operator text,
    order_id text,
    outcome text NOT NULL CHECK (outcome IN ('allowed', 'refused')),
    code text,
    reason text,
    events text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_at ON audit (at DESC, seq DESC);
CREATE INDEX audit_order ON audit (order_id, seq);
CREATE INDEX audit_operator ON audit (operator, seq);
