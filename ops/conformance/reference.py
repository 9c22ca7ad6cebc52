#!/usr/bin/env python3
"""Independent conformance reference for Giro's payment-provider clients.

One process, one port, four fake providers written from the providers' own pages
(../shared/seeds/*.txt) and, where the pages are silent, the digest
(../shared/PROVIDERS.md) — never from Giro's code:

  http://127.0.0.1:<port>/killb       KillB v2             (seeds 000, 002)
  http://127.0.0.1:<port>/cashy-co    Cashy, Colombia COP  (seed 001)
  http://127.0.0.1:<port>/cashy-tz    Cashy, Tanzania TZS  (seed 004)
  http://127.0.0.1:<port>/a55         A55 charges          (seed 003)
  http://127.0.0.1:<port>/a55-auth    A55 OAuth2 token endpoint (/a55-auth/oauth2/token)

Fixed credentials (test-only values, not secrets):
  KillB   POST /killb/api/v2/auth/login {"email": "conformance@giro.test",
          "password": "conformance-password"}; x-api-key "conformance-api-key" (checked when sent);
          pre-fund account "prefund-conformance" holding COP 10000000.00;
          user "user-conformance" = Juan García; webhook secret = whatever registration sends.
  Cashy   /cashy-co merchant 100001 key "conformance-key-co";
          /cashy-tz merchant 1002001 key "conformance-key-tz";
          Sign = uppercase hex MD5(raw body bytes + key).
  A55     client_id "conformance-client", client_secret "conformance-secret";
          wallet f47ac10b-58cc-4372-a567-0e02b2c3d479, merchant 11111111-1111-1111-1111-111111111111.

Conformance endpoints:
  GET  /_conformance/report      {"operations": {name: count}, "violations": [...],
                                  "unknown_requests": [...], "refusals": [...]}
  POST /_conformance/reset       clears the report (?state=1 also resets balances, payouts, charges…)
  GET  /_conformance/operations  every operation with its page (seed number) and section

Usage: python3 ops/conformance/reference.py --port 0 --port-file PATH
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True  # leave no __pycache__ in the worktree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from a55 import A55  # noqa: E402
from cashy import CO, TZ, Cashy  # noqa: E402
from common import Checker, Report, Request, Response, masked_target  # noqa: E402
from killb import KillB  # noqa: E402


def template(prefix: str, pattern: str) -> str:
    t = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)
    return prefix + t.replace("/?", "/")


class Reference:
    def __init__(self):
        self.report = Report()
        self.lock = threading.Lock()
        self.killb, self.a55 = KillB(), A55()
        self.cashy_co, self.cashy_tz = Cashy(CO), Cashy(TZ)
        self.routes: dict[str, list] = {
            "/killb": self.killb.operations(),
            "/cashy-co": self.cashy_co.operations(),
            "/cashy-tz": self.cashy_tz.operations(),
            "/a55": [op for op in self.a55.operations() if op.name != "a55.oauth.token"],
            "/a55-auth": [op for op in self.a55.operations() if op.name == "a55.oauth.token"],
        }

    def operations(self) -> list[dict]:
        return [{"name": op.name, "method": "POST" if op.method == "*" else op.method,
                 "path": template(prefix, op.pattern), "page": op.page, "section": op.section}
                for prefix, ops in self.routes.items() for op in ops]

    def reset(self, state: bool):
        with self.lock:
            with self.report.lock:
                self.report.clear()
            if state:
                for p in (self.killb, self.a55, self.cashy_co, self.cashy_tz):
                    p.reset_state()

    def handle(self, req: Request) -> tuple[Response, str | None, int]:
        """Returns (response, operation name or None, number of violations)."""
        path = req.path
        if path.startswith("/_conformance/"):
            return self.meta(req), None, 0
        m = re.match(r"^(/[^/]+)(/.*)?$", path)
        prefix, rest = (m.group(1), m.group(2) or "/") if m else ("", path)
        ops = self.routes.get(prefix, [])
        matched = [(op, mm) for op in ops if (mm := op.regex.match(rest))]
        chosen = next(((op, mm) for op, mm in matched if op.method in ("*", req.method)), None)
        if chosen is None:
            with self.report.lock:
                self.report.unknown.append({"method": req.method, "path": path})
            return Response(405 if matched else 404, {"message": "unknown request"}), None, 0
        op, mm = chosen
        req.params = mm.groupdict()
        chk = Checker(op)
        with self.lock:
            try:
                resp = op.handler(req, chk)
            except Exception as e:  # a bug here must not look like a provider answer
                traceback.print_exc()  # code lines only, no request values
                resp = Response(500, {"message": f"conformance server error: {type(e).__name__}: {e}"})
        with self.report.lock:
            self.report.operations[op.name] += 1
            self.report.violations.extend(chk.items)
            self.report.refusals.extend(chk.refused)
        return resp, op.name, len(chk.items)

    def meta(self, req: Request) -> Response:
        if req.path == "/_conformance/report" and req.method == "GET":
            return Response(200, self.report.snapshot())
        if req.path == "/_conformance/reset" and req.method == "POST":
            self.reset(state=req.q("state") in ("1", "true", "all"))
            return Response(200, {"reset": True})
        if req.path == "/_conformance/operations" and req.method == "GET":
            return Response(200, {"operations": self.operations()})
        return Response(404, {"message": "unknown conformance endpoint"})


def make_handler(ref: Reference, quiet: bool):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "giro-conformance/1"

        def _body(self) -> bytes:
            if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
                out = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return out
                    out += self.rfile.read(size)
                    self.rfile.readline()
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def _serve(self):
            path, _, query = self.path.partition("?")
            req = Request(self.command, path, query, self.headers, self._body())
            resp, op, nviol = ref.handle(req)
            data = resp.encode()
            self.send_response(resp.status)
            ctype = resp.content_type + ("; charset=utf-8" if resp.content_type.startswith(("application/json", "text/")) else "")
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
            if not quiet and not path.startswith("/_conformance/"):
                # never the body, headers or raw query: secrets and personal data stay out of logs
                sys.stderr.write(f"[conformance] {self.command} {masked_target(path, query)} -> {resp.status} "
                                 f"{op or 'UNKNOWN'}{f' violations={nviol}' if nviol else ''}\n")

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        def log_message(self, fmt, *args):  # the default line would print the raw query string
            pass

    return Handler


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--quiet", action="store_true", help="no per-request log lines")
    a = ap.parse_args(argv)
    ref = Reference()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(ref, a.quiet))
    srv.daemon_threads = True
    port = srv.server_address[1]
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, a.port_file)  # appears complete or not at all
    sys.stderr.write(f"[conformance] listening on http://127.0.0.1:{port}\n")
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
