#!/bin/sh
# Internal services on NATS (docs/CONTRACT.md §2, "Notifications"), with the `nats` CLI.
#
# Every status change as it happens (nothing is kept for you while you are away):
#   nats sub 'giro.notify.v1.>'
#   nats sub 'giro.notify.v1.payout.succeeded'
#
# Or a durable consumer of your own on the notification stream, which keeps your place while you
# are down; acknowledge each notification once handled, de-duplicate on its `id`:
set -eu
nats consumer add GIRO_EVENTS_NOTIFY ledger \
  --filter 'giro.notify.v1.payout.>' --pull --deliver all --ack explicit \
  --max-deliver=-1 --max-pending 1000 --replay instant --defaults
nats consumer next GIRO_EVENTS_NOTIFY ledger --count 10 --ack
