#!/usr/bin/env python3
"""An internal service receiving Giro's webhooks (docs/CONTRACT.md §4, "Webhooks out"), standard
library only. It checks `Giro-Signature: t=<unix>,v1=<hex>` -- HMAC-SHA256 with the shared secret
over `<t>.<raw body>` -- in constant time, refuses a `t` more than 5 minutes away, skips a
`Giro-Webhook-Id` it has already handled, and answers 2xx only once the notification is handled
(anything else makes Giro try again, with back-off, for 24 hours).

    GIRO_WEBHOOK_SECRET=... python3 ops/examples/notifications/webhook_receiver.py 8099

with a subscription in GIRO_WEBHOOKS_FILE (see webhooks.json here) whose url is
http://127.0.0.1:8099/giro and whose secret is the same.
"""

import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = os.environ["GIRO_WEBHOOK_SECRET"].encode()
TOLERANCE_SECONDS = 300
handled = set()  # Giro-Webhook-Id of notifications already handled (keep them durably in a real service)


def verify(signature_header: str, body: bytes) -> bool:
    parts = dict(p.split("=", 1) for p in signature_header.split(",") if "=" in p)
    t, v1 = parts.get("t"), parts.get("v1")
    if not t or not v1 or not t.isdigit():
        return False
    if abs(time.time() - int(t)) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(SECRET, t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, v1)


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))  # the raw bytes: verify before parsing
        if not verify(self.headers.get("Giro-Signature", ""), body):
            self.send_response(401)
            self.end_headers()
            return
        webhook_id = self.headers.get("Giro-Webhook-Id")
        if webhook_id not in handled:
            n = json.loads(body)
            print(f"{n['kind']} {n['order_id']}: {n['previous_status']} -> {n['status']} "
                  f"({n['amount']} {n['currency']}, {n['provider']}, failure {n['failure_code']})", flush=True)
            handled.add(webhook_id)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8099
    ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
