"""KillB v2 fake, served under /killb.

Pages: seed 000 (payouts from a pre-funded account), seed 002 (beneficiary accounts, in
killb_accounts.py); digest PROVIDERS.md section 1 for what the pages don't show (auth, shapes
of banks, pre-fund create, webhooks, error shape). Field rules: killb_rules.py.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from decimal import Decimal

from checks import WALLET_NETWORKS
from common import Checker, Operation, Request, Response, bearer, content_type_is, http_url_problem, \
    mask, now_iso, parse_json
from killb_accounts import AccountsMixin
from killb_rules import (ALIAS_FORMATS, ALIAS_TYPES, API_KEY, BANKS_CO, EMAIL, PAGE_ACCOUNTS, PAGE_PAYOUTS, PASSWORD,
                         PAYOUT_STATUSES, PREFUND_BALANCE, PREFUND_CURRENCIES, PREFUND_ID, TOKEN_TTL_MS, person, pse)


class KillB(AccountsMixin):
    prefix = "/killb"

    def __init__(self):
        self.tokens: dict[str, float] = {}
        self.refresh_tokens: set[str] = set()
        self.reset_state()

    def reset_state(self):
        self.prefunds = {PREFUND_ID: {"id": "balance-conformance-cop", "currency": "COP",
                                      "amount": PREFUND_BALANCE, "accountId": PREFUND_ID}}
        self.payouts: dict[str, dict] = {}
        self.payout_created: dict[str, float] = {}
        self.idem: dict[str, str] = {}
        self.accounts: dict[str, dict] = {}
        self.webhooks: list[dict] = []

    def operations(self):
        P, A, D = PAGE_PAYOUTS, PAGE_ACCOUNTS, "digest"
        return [
            Operation("killb.auth.login", "POST", r"/api/v2/auth/login", D, "1. KillB — Auth (public docs)", self.login),
            Operation("killb.auth.refresh", "POST", r"/api/v2/auth/refresh", D, "1. KillB — Auth (public docs)", self.refresh),
            Operation("killb.balances.list", "GET", r"/api/v2/customers/balances", P, "前提条件 / 检查可用余额", self.balances),
            Operation("killb.prefund.create", "POST", r"/api/v2/customers/pre-fund/create", P, "前提条件 (body: digest)", self.prefund_create),
            Operation("killb.payouts.create", "POST", r"/api/v2/payouts", P, "实现示例 / 收款方类型 / 幂等性", self.payout_create),
            Operation("killb.payouts.get", "GET", r"/api/v2/payouts/(?P<id>[^/]+)", P, "跟踪状态 (path: digest)", self.payout_get),
            Operation("killb.payouts.list", "GET", r"/api/v2/payouts", P, "查询付款列表", self.payout_list),
            Operation("killb.banks.list", "GET", r"/api/v2/banks", P, "必填字段 — GET /api/v2/banks (shape: digest)", self.banks),
            Operation("killb.accounts.create", "POST", r"/api/v2/accounts", A, "创建账户", self.account_create),
            Operation("killb.accounts.by_user", "GET", r"/api/v2/accounts/userId/(?P<userId>[^/]+)", A, "查询账户 — 获取所有用户账户", self.accounts_by_user),
            Operation("killb.accounts.search", "GET", r"/api/v2/accounts", A, "查询账户 — 搜索账户", self.accounts_search),
            Operation("killb.accounts.update", "PATCH", r"/api/v2/accounts/(?P<id>[^/]+)", A, "更新账户", self.account_update),
            Operation("killb.accounts.delete", "DELETE", r"/api/v2/accounts/(?P<id>[^/]+)", A, "删除账户", self.account_delete),
            Operation("killb.webhooks.register", "POST", r"/api/v2/webhooks", D, "1. KillB — Endpoints (webhooks)", self.webhook_register),
        ]

    # ------------------------------------------------------------ helpers

    @staticmethod
    def error(status: int, code: str, messages: list[str], args=None) -> Response:
        return Response(status, {"errorCode": code, "message": messages, "statusCode": str(status),
                                 "arguments": args or []})

    def invalid(self, chk: Checker) -> Response:
        return self.error(400, "VALIDATION.0001", [f"{v['field']}: {v['detail'] or v['rule']}" for v in chk.items],
                          [{"key": v["field"], "value": v["rule"]} for v in chk.items])

    def not_found(self, chk: Checker, code: str, what: str, ident: str) -> Response:
        chk.refuse("not_found", f"{what} {mask(ident)} does not exist")
        return self.error(404, code, [f"{what} not found"], [{"key": "id", "value": ident}])

    def api_key(self, req: Request, chk: Checker) -> Response | None:
        """The official SDK also sends x-api-key (digest): accepted when sent, refused when wrong."""
        key = req.header("x-api-key")
        if key is not None and key != API_KEY:
            chk.bad("header.x-api-key", "credentials", "x-api-key sent but not the issued key")
            return self.error(401, "AUTH.0002", ["Invalid api key"])
        return None

    def auth(self, req: Request, chk: Checker) -> Response | None:
        """Bearer <accessToken> on every call; x-api-key checked when sent."""
        if (r := self.api_key(req, chk)):
            return r
        tok = bearer(req)
        if tok is None:
            chk.bad("header.Authorization", "required", "Authorization: Bearer <accessToken> is required")
            return self.error(401, "AUTH.0001", ["Unauthorized"])
        exp = self.tokens.get(tok)
        if exp is None or exp < time.time():
            chk.bad("header.Authorization", "valid_token",
                    "bearer token unknown or expired (log in again shortly before expiresIn, in milliseconds)")
            return self.error(401, "AUTH.0001", ["Unauthorized"])
        return None

    def json_body(self, req: Request, chk: Checker):
        if not content_type_is(req, "application/json"):
            chk.bad("header.Content-Type", "value", "Content-Type: application/json is required")
        try:
            body = parse_json(req.body)
        except (ValueError, UnicodeDecodeError):
            chk.bad("body", "json", "body is not valid JSON")
            return None
        if not isinstance(body, dict):
            chk.bad("body", "type", "body must be a JSON object")
            return None
        return body

    def _issue(self) -> dict:
        access, refresh = "kb_at_" + secrets.token_hex(24), "kb_rt_" + secrets.token_hex(24)
        self.tokens[access] = time.time() + TOKEN_TTL_MS / 1000
        self.refresh_tokens.add(refresh)
        return {"accessToken": access, "expiresIn": TOKEN_TTL_MS, "refreshToken": refresh}

    # ------------------------------------------------------------ auth

    def login(self, req, chk):
        if (r := self.api_key(req, chk)):
            return r
        body = self.json_body(req, chk)
        if body is None:
            return self.invalid(chk)
        email = chk.string(body, "email")
        pw = chk.string(body, "password")
        if chk:
            return self.invalid(chk)
        if email != EMAIL or pw != PASSWORD:
            chk.bad("body.email/password", "credentials", f"unknown credentials for {mask(email)}")
            return self.error(401, "AUTH.0003", ["Invalid email or password"])
        return Response(200, self._issue())

    def refresh(self, req, chk):
        if (r := self.api_key(req, chk)):
            return r
        body = self.json_body(req, chk)
        if body is None:
            return self.invalid(chk)
        rt = chk.string(body, "refreshToken")
        if chk:
            return self.invalid(chk)
        if rt not in self.refresh_tokens:
            chk.bad("body.refreshToken", "credentials", "refreshToken was not issued by this server")
            return self.error(401, "AUTH.0004", ["Invalid refresh token"])
        return Response(200, self._issue())

    # ------------------------------------------------------------ balances / pre-fund

    def balances(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        return Response(200, list(self.prefunds.values()))

    def prefund_create(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        body = self.json_body(req, chk)
        if body is None:
            return self.invalid(chk)
        cur = chk.string(body, "currency", enum=PREFUND_CURRENCIES)
        # network: needed for the stablecoins; for COP/USD the digest names no value, so optional
        net = chk.string(body, "network", required=cur in ("USDC", "USDT"),
                         enum=None if cur in ("COP", "USD") else WALLET_NETWORKS)
        if chk:
            return self.invalid(chk)
        acc_id = "prefund-" + uuid.uuid4().hex[:12]
        bal = {"id": "balance-" + uuid.uuid4().hex[:12], "currency": cur, "amount": "0.00", "accountId": acc_id}
        self.prefunds[acc_id] = bal
        return Response(201, {"id": acc_id, "currency": cur, "network": net, "amount": "0.00",
                              "accountId": acc_id, "status": "ACTIVE", "createdAt": now_iso()})

    # ------------------------------------------------------------ payouts

    def payout_create(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        key = req.header("Idempotency-Key")
        if not key:
            chk.bad("header.Idempotency-Key", "required", "every payout creation sends a unique Idempotency-Key")
        body = self.json_body(req, chk)
        if body is None:
            return self.invalid(chk)
        if key and key in self.idem and not chk:
            return Response(201, self.payouts[self.idem[key]])  # same key -> the original payout
        pf = chk.string(body, "preFundAccountId", max_len=100)
        amount = chk.number(body, "amount", decimals=2, positive=True)
        ext = chk.string(body, "externalId", required=False, max_len=100)
        ben = chk.obj(body, "beneficiary")
        if ben is not None:
            bt = chk.string(ben, "type", "beneficiary.type", enum={"PSE", "BREB", "ACH_CO", "BANK"})
            acc = chk.obj(ben, "account", "beneficiary.account")
            if acc is not None and bt in ("PSE", "ACH_CO", "BANK"):
                pse(chk, acc, "beneficiary.account")
            elif acc is not None and bt == "BREB":
                person(chk, acc, "beneficiary.account", need_all=False)
                at = chk.string(acc, "aliasType", "beneficiary.account.aliasType", enum=ALIAS_TYPES)
                if at in ALIAS_FORMATS:
                    pat, desc = ALIAS_FORMATS[at]
                    chk.string(acc, "alias", "beneficiary.account.alias", pattern=pat, pattern_desc=desc)
                else:
                    chk.string(acc, "alias", "beneficiary.account.alias")
                chk.string(acc, "countryCode", "beneficiary.account.countryCode", required=False, enum={"CO"})
        if chk:
            return self.invalid(chk)
        bal = self.prefunds.get(pf)
        if bal is None:
            return self.not_found(chk, "PREFUND.0001", "pre-fund account", pf)
        if bal["currency"] != "COP":
            chk.refuse("currency", "payouts are COP; this pre-fund account holds " + bal["currency"])
            return self.error(400, "PAYOUT.0002", ["Pre-fund account currency does not match"])
        if Decimal(bal["amount"]) < amount:
            chk.bad("amount", "balance", f"amount {amount} exceeds the available balance {bal['amount']} "
                                         "(seed 000: always check GET /api/v2/customers/balances first)")
            return self.error(400, "PAYOUT.0003", ["Insufficient balance"],
                              [{"key": "available", "value": bal["amount"]}])
        bal["amount"] = f"{Decimal(bal['amount']) - amount:.2f}"
        ts = now_iso()
        pid = "payout-" + uuid.uuid4().hex[:16]
        payout = {"id": pid, "amount": amount, "currency": "COP", "status": "PENDING", "externalId": ext,
                  "beneficiary": ben, "createdAt": ts, "updatedAt": ts}
        self.payouts[pid] = payout
        self.payout_created[pid] = time.time()
        if key:
            self.idem[key] = pid
        return Response(201, payout)

    def _advance(self, pid):
        """PENDING on creation; COMPLETED two seconds later (a terminal state of seed 000)."""
        p = self.payouts[pid]
        if p["status"] == "PENDING" and time.time() - self.payout_created[pid] >= 2:
            p["status"], p["updatedAt"] = "COMPLETED", now_iso()
        return p

    def payout_get(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        pid = req.params["id"]
        if pid not in self.payouts:
            return self.not_found(chk, "PAYOUT.0001", "payout", pid)
        return Response(200, self._advance(pid))

    def _page_params(self, req, chk):
        out = []
        for name, default in (("page", 1), ("limit", 20)):
            v = req.q(name)
            if v is None:
                out.append(default)
            elif not re.fullmatch(r"[1-9]\d{0,5}", v):
                chk.bad(f"query.{name}", "type", f"{name} must be a positive integer, got {mask(v)}")
                out.append(default)
            else:
                out.append(int(v))
        return out

    def payout_list(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        page, limit = self._page_params(req, chk)
        st = req.q("status")
        if st is not None and st not in PAYOUT_STATUSES:
            chk.bad("query.status", "enum", f"status {mask(st)} is not a payout status")
        if chk:
            return self.invalid(chk)
        rows = [self._advance(pid) for pid in self.payouts]
        if st:
            rows = [p for p in rows if p["status"] == st]
        if req.q("externalId"):
            rows = [p for p in rows if p["externalId"] == req.q("externalId")]
        if req.q("id"):
            rows = [p for p in rows if p["id"] == req.q("id")]
        total_page = max(1, -(-len(rows) // limit))
        return Response(200, {"payouts": rows[(page - 1) * limit: page * limit], "totalPage": total_page})

    def banks(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        cc = req.q("countryCode")
        if cc is not None and not re.fullmatch(r"[A-Z]{2}", cc):
            chk.bad("query.countryCode", "format", "countryCode must be ISO 3166-1 alpha-2 (e.g. CO)")
            return self.invalid(chk)
        return Response(200, [b for b in BANKS_CO if cc in (None, b["countryCode"])])

    # ------------------------------------------------------------ webhooks

    def webhook_register(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        body = self.json_body(req, chk)
        if body is None:
            return self.invalid(chk)
        url = chk.string(body, "url", max_len=2048)
        if url and (prob := http_url_problem(url)):
            chk.bad("url", "url", prob)
        chk.string(body, "secret", max_len=256)
        ev = body.get("events")
        if ev is None:
            chk.bad("events", "required", "events is required")
        elif not isinstance(ev, list) or not ev or not all(isinstance(e, str) and re.fullmatch(r"[A-Z_]+", e) for e in ev):
            chk.bad("events", "type", "events must be a non-empty array of event names such as \"PAYOUT\"")
        if chk:
            return self.invalid(chk)
        hook = {"id": "webhook-" + uuid.uuid4().hex[:12], "url": url, "events": ev, "createdAt": now_iso()}
        self.webhooks.append(dict(hook, secret=body["secret"]))
        return Response(201, hook)
