-- What the provider last reported a charge at (issue #17, "keep what providers report"): the
-- amount A55 says the payer was authorised or charged (`local_currency`) and the currency it
-- states, from the latest report on the charge's current attempt that said them.
ALTER TABLE charges
    ADD COLUMN reported_amount   numeric,
    ADD COLUMN reported_currency text;
