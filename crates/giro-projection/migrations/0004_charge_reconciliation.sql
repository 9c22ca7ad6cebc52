-- Charges beside their provider's statement (issue #17): the status word of the latest report on
-- the charge's current attempt, as the provider wrote it (A55's `paid`, `refunded`, …), which a
-- statement line's status is compared with, and what the domain read it as (`ChargeOutcome`:
-- `paid`, `refunded`, `chargeback_lost`, …), by which the charge's own status is checked against
-- the provider's. Charge discrepancies are `exceptions` rows of kind `discrepancy`, like the
-- payout ones.
ALTER TABLE charges
    ADD COLUMN provider_status  text,
    ADD COLUMN provider_outcome text;
