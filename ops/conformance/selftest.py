#!/usr/bin/env python3
"""Self-test of the conformance reference: starts reference.py on port 0, sends one valid and
several invalid requests per operation, and checks what /_conformance/report records.

    python3 ops/conformance/selftest.py
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # leave no __pycache__ in the worktree
sys.path.insert(0, HERE)
from checks import clabe_with_check, eip55, tron_address  # noqa: E402

SERVER: subprocess.Popen | None = None
LOG_FILE = None
BASE = ""
TMP = tempfile.mkdtemp(prefix="conformance-selftest-")
LOG = os.path.join(TMP, "server.log")
SEEN: set[str] = set()

WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
MERCHANT = "11111111-1111-1111-1111-111111111111"


def setUpModule():
    global SERVER, BASE, LOG_FILE
    port_file = os.path.join(TMP, "port")
    LOG_FILE = open(LOG, "w")
    SERVER = subprocess.Popen([sys.executable, os.path.join(HERE, "reference.py"), "--port", "0",
                               "--port-file", port_file], stderr=LOG_FILE)
    for _ in range(100):
        if os.path.exists(port_file):
            break
        time.sleep(0.05)
    with open(port_file) as f:
        BASE = f"http://127.0.0.1:{int(f.read())}"


def tearDownModule():
    SERVER.terminate()
    SERVER.wait(5)
    LOG_FILE.close()


def http(method, path, body=None, headers=None, raw: bytes | None = None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    h = {"Content-Type": "application/json"} if data is not None else {}
    h.update(headers or {})
    h = {k: v for k, v in h.items() if v is not None}
    req = urllib.request.Request(BASE + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text.decode()


class Base(unittest.TestCase):
    def setUp(self):
        http("POST", "/_conformance/reset?state=1")

    def tearDown(self):
        SEEN.update(self.report()["operations"])

    def report(self):
        return http("GET", "/_conformance/report")[1]

    def ok(self, method, path, body=None, headers=None, raw=None, status=None):
        before = len(self.report()["violations"])
        st, resp = http(method, path, body, headers, raw)
        after = self.report()["violations"]
        self.assertEqual(after[before:], [], f"{method} {path} should be clean: {resp}")
        if status:
            self.assertEqual(st, status, resp)
        else:
            self.assertTrue(200 <= st < 300, f"{method} {path} -> {st} {resp}")
        return resp

    def bad(self, op, field, rule, method, path, body=None, headers=None, raw=None, status=None):
        before = len(self.report()["violations"])
        st, resp = http(method, path, body, headers, raw)
        new = self.report()["violations"][before:]
        self.assertTrue(400 <= st < 500, f"{method} {path} -> {st} {resp}")
        if status:
            self.assertEqual(st, status, resp)
        got = [(v["operation"], v["field"], v["rule"]) for v in new]
        self.assertIn((op, field, rule), got, f"violations recorded: {got}; response {resp}")
        for v in new:
            self.assertTrue(v["page"] and v["detail"] is not None)
        return resp


# ====================================================================== KillB

PSE = {"firstName": "Maria", "lastName": "Garcia", "email": "maria@example.com", "phone": "3001234567",
       "document": {"type": "CC", "number": "12345678"}, "accountNumber": "123456789", "bankCode": "001",
       "type": "savings", "countryCode": "CO"}
PAYOUT = {"preFundAccountId": "prefund-conformance", "amount": 500000, "externalId": "payout-2024-001",
          "beneficiary": {"type": "PSE", "account": PSE}}
BREB = {"firstName": "Carlos", "lastName": "Lopez", "email": "carlos@example.com", "phone": "3109876543",
        "document": {"type": "CC", "number": "87654321"}, "aliasType": "PHONE", "alias": "3109876543",
        "countryCode": "CO"}
PERSON = {"firstName": "Juan", "lastName": "García", "email": "juan@example.com", "phone": "+573001234567",
          "countryCode": "CO", "document": {"type": "NUIP", "number": "1234567890", "issuedCountryCode": "CO"}}
EVM = "0x" + eip55("742d35cc6634c0532925a3b844bc454e4438f44e")


def account(t, **data):
    d = dict(PERSON, **data)
    return {"type": t, "userId": "user-conformance", "externalId": f"acc-{t}-{time.time_ns()}", "data": d}


ACCOUNTS = {
    "PSE": account("PSE", accountNumber="1234567890", bankCode="0001", type="savings"),
    "SPEI": account("SPEI", clabe=clabe_with_check("01234567890123456"), clabeType="CLABE", countryCode="MX",
                    phone="+525512345678", document={"type": "RFC", "number": "LOMM900515ABC", "issuedCountryCode": "MX"}),
    "ACH": account("ACH", bankName="Chase Bank", routingNumber="021000021", accountNumber="123456789",
                   type="checking", countryCode="US", phone="+12125551234",
                   document={"type": "SSN", "number": "123-45-6789", "issuedCountryCode": "US"}),
    "WIRE": account("WIRE", bankName="Chase Bank", routingNumber="021000021", accountNumber="987654321",
                    type="checking", countryCode="US"),
    "TRANSFIYA": account("TRANSFIYA"),
    "WALLET": account("WALLET", currency="USDC", network="POLYGON", address=EVM,
                      document={"type": "PASSPORT", "number": "AB123456", "issuedCountryCode": "CO"}),
}


class KillBTest(Base):
    P = "/killb/api/v2"

    def login(self):
        r = self.ok("POST", self.P + "/auth/login", {"email": "conformance@giro.test", "password": "conformance-password"})
        self.assertEqual(set(r), {"accessToken", "expiresIn", "refreshToken"})
        self.assertEqual(r["expiresIn"], 3600000)
        return r

    def h(self, **extra):
        if not hasattr(self, "_tok"):
            self._tok = self.login()["accessToken"]
        return dict({"Authorization": "Bearer " + self._tok, "x-api-key": "conformance-api-key"}, **extra)

    def test_auth(self):
        r = self.login()
        r2 = self.ok("POST", self.P + "/auth/refresh", {"refreshToken": r["refreshToken"]})
        self.assertIn("accessToken", r2)
        op = "killb.auth.login"
        self.bad(op, "body.email/password", "credentials", "POST", self.P + "/auth/login",
                 {"email": "conformance@giro.test", "password": "nope"}, status=401)
        self.bad(op, "password", "required", "POST", self.P + "/auth/login", {"email": "conformance@giro.test"})
        self.bad(op, "header.Content-Type", "value", "POST", self.P + "/auth/login",
                 {"email": "conformance@giro.test", "password": "conformance-password"}, {"Content-Type": "text/plain"})
        self.bad(op, "header.x-api-key", "credentials", "POST", self.P + "/auth/login",
                 {"email": "conformance@giro.test", "password": "conformance-password"}, {"x-api-key": "wrong"}, status=401)
        self.bad("killb.auth.refresh", "body.refreshToken", "credentials", "POST", self.P + "/auth/refresh",
                 {"refreshToken": "made-up"})
        # the token from refresh works; a wrong api key / missing bearer is refused
        self.ok("GET", self.P + "/customers/balances", headers={"Authorization": "Bearer " + r2["accessToken"]})
        self.bad("killb.balances.list", "header.Authorization", "required", "GET", self.P + "/customers/balances", status=401)
        self.bad("killb.balances.list", "header.Authorization", "valid_token", "GET", self.P + "/customers/balances",
                 headers={"Authorization": "Bearer forged"}, status=401)
        self.bad("killb.balances.list", "header.x-api-key", "credentials", "GET", self.P + "/customers/balances",
                 headers=self.h(**{"x-api-key": "wrong"}), status=401)

    def test_balances_and_prefund(self):
        r = self.ok("GET", self.P + "/customers/balances", headers=self.h())
        self.assertEqual(r, [{"id": "balance-conformance-cop", "currency": "COP", "amount": "10000000.00",
                              "accountId": "prefund-conformance"}])
        op = "killb.prefund.create"
        self.ok("POST", self.P + "/customers/pre-fund/create", {"currency": "USDC", "network": "POLYGON"}, self.h())
        self.ok("POST", self.P + "/customers/pre-fund/create", {"currency": "COP"}, self.h())
        self.bad(op, "currency", "enum", "POST", self.P + "/customers/pre-fund/create", {"currency": "EUR"}, self.h())
        self.bad(op, "network", "required", "POST", self.P + "/customers/pre-fund/create", {"currency": "USDT"}, self.h())
        self.bad(op, "network", "enum", "POST", self.P + "/customers/pre-fund/create",
                 {"currency": "USDT", "network": "BITCOIN"}, self.h())
        self.assertEqual(len(self.ok("GET", self.P + "/customers/balances", headers=self.h())), 3)

    def test_payouts_create(self):
        op = "killb.payouts.create"
        r = self.ok("POST", self.P + "/payouts", PAYOUT, self.h(**{"Idempotency-Key": "k-1"}), status=201)
        self.assertEqual((r["status"], r["currency"], r["amount"], r["externalId"]), ("PENDING", "COP", 500000, "payout-2024-001"))
        for k in ("id", "beneficiary", "createdAt", "updatedAt"):
            self.assertIn(k, r)
        again = self.ok("POST", self.P + "/payouts", PAYOUT, self.h(**{"Idempotency-Key": "k-1"}))
        self.assertEqual(again["id"], r["id"])
        self.assertEqual(self.ok("GET", self.P + "/customers/balances", headers=self.h())[0]["amount"], "9500000.00")
        breb = dict(PAYOUT, beneficiary={"type": "BREB", "account": BREB})
        self.ok("POST", self.P + "/payouts", breb, self.h(**{"Idempotency-Key": "k-2"}))
        # a company: companyName instead of firstName, lastName omitted (both readings accepted)
        comp = copy.deepcopy(PAYOUT)
        acc = comp["beneficiary"]["account"]
        del acc["firstName"], acc["lastName"]
        acc["companyName"] = "Acme SAS"
        acc["document"] = {"type": "NIT", "number": "900123456-7"}
        self.ok("POST", self.P + "/payouts", comp, self.h(**{"Idempotency-Key": "k-3"}))
        acc["lastName"] = "Representante"
        self.ok("POST", self.P + "/payouts", comp, self.h(**{"Idempotency-Key": "k-4"}))

        def mut(fn, key):
            b = copy.deepcopy(PAYOUT)
            fn(b)
            return b, self.h(**{"Idempotency-Key": key})

        self.bad(op, "header.Idempotency-Key", "required", "POST", self.P + "/payouts", PAYOUT, self.h())
        self.bad(op, "amount", "decimals", "POST", self.P + "/payouts", *mut(lambda b: b.update(amount=1000.005), "x1"))
        self.bad(op, "amount", "type", "POST", self.P + "/payouts", *mut(lambda b: b.update(amount="500000"), "x2"))
        self.bad(op, "amount", "range", "POST", self.P + "/payouts", *mut(lambda b: b.update(amount=-5), "x2b"))
        self.bad(op, "beneficiary.account.firstName", "required", "POST", self.P + "/payouts",
                 *mut(lambda b: b["beneficiary"]["account"].pop("firstName"), "x3"))
        self.bad(op, "beneficiary.account.lastName", "required", "POST", self.P + "/payouts",
                 *mut(lambda b: b["beneficiary"]["account"].pop("lastName"), "x4"))
        self.bad(op, "beneficiary.account.bankCode", "bank_list", "POST", self.P + "/payouts",
                 *mut(lambda b: b["beneficiary"]["account"].update(bankCode="999"), "x5"))
        self.bad(op, "beneficiary.account.type", "enum", "POST", self.P + "/payouts",
                 *mut(lambda b: b["beneficiary"]["account"].update(type="current"), "x6"))
        self.bad(op, "beneficiary.account.document", "required", "POST", self.P + "/payouts",
                 *mut(lambda b: b["beneficiary"]["account"].pop("document"), "x7"))
        self.bad(op, "beneficiary.type", "enum", "POST", self.P + "/payouts",
                 *mut(lambda b: b["beneficiary"].update(type="SWIFT"), "x8"))
        self.bad(op, "beneficiary.account.aliasType", "enum", "POST", self.P + "/payouts",
                 dict(PAYOUT, beneficiary={"type": "BREB", "account": dict(BREB, aliasType="IBAN")}),
                 self.h(**{"Idempotency-Key": "x9"}))
        self.bad(op, "beneficiary.account.alias", "format", "POST", self.P + "/payouts",
                 dict(PAYOUT, beneficiary={"type": "BREB", "account": dict(BREB, aliasType="EMAIL")}),
                 self.h(**{"Idempotency-Key": "x10"}))
        self.bad(op, "amount", "balance", "POST", self.P + "/payouts",
                 *mut(lambda b: b.update(amount=20000000), "x11"))
        self.bad(op, "header.Authorization", "required", "POST", self.P + "/payouts", PAYOUT,
                 {"Idempotency-Key": "x12"}, status=401)

    def test_payouts_get_and_list(self):
        r = self.ok("POST", self.P + "/payouts", PAYOUT, self.h(**{"Idempotency-Key": "g-1"}))
        self.assertEqual(self.ok("GET", self.P + f"/payouts/{r['id']}", headers=self.h())["id"], r["id"])
        st, _ = http("GET", self.P + "/payouts/payout-nope", headers=self.h())
        self.assertEqual(st, 404)
        self.assertEqual(self.report()["refusals"][-1]["reason"], "not_found")
        self.bad("killb.payouts.get", "header.Authorization", "required", "GET", self.P + f"/payouts/{r['id']}")
        lst = self.ok("GET", self.P + "/payouts?status=PENDING&externalId=payout-2024-001&page=1&limit=20", headers=self.h())
        self.assertEqual(set(lst), {"payouts", "totalPage"})
        self.assertEqual([p["id"] for p in lst["payouts"]], [r["id"]])
        op = "killb.payouts.list"
        self.bad(op, "query.status", "enum", "GET", self.P + "/payouts?status=DONE", headers=self.h())
        self.bad(op, "query.page", "type", "GET", self.P + "/payouts?page=0", headers=self.h())
        self.bad(op, "query.limit", "type", "GET", self.P + "/payouts?limit=abc", headers=self.h())
        time.sleep(2.1)
        self.assertEqual(self.ok("GET", self.P + f"/payouts/{r['id']}", headers=self.h())["status"], "COMPLETED")

    def test_banks(self):
        banks = self.ok("GET", self.P + "/banks?countryCode=CO", headers=self.h())
        self.assertTrue(banks and set(banks[0]) == {"code", "companyName", "countryCode", "tradeName"})
        self.bad("killb.banks.list", "query.countryCode", "format", "GET", self.P + "/banks?countryCode=colombia", headers=self.h())
        self.bad("killb.banks.list", "header.Authorization", "required", "GET", self.P + "/banks?countryCode=CO")

    def test_accounts_create(self):
        op = "killb.accounts.create"
        for t, body in ACCOUNTS.items():
            r = self.ok("POST", self.P + "/accounts", body, self.h())
            self.assertEqual((r["type"], r["status"], r["userId"]), (t, "ACTIVE", "user-conformance"))
        # other network formats
        self.ok("POST", self.P + "/accounts", account("WALLET", currency="USDT", network="TRON",
                                                      address=tron_address(bytes(range(20)))), self.h())
        self.ok("POST", self.P + "/accounts", account("WALLET", currency="USDC", network="SOLANA",
                                                      address="EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"), self.h())

        def with_(t, **kw):
            b = copy.deepcopy(ACCOUNTS[t])
            b["externalId"] += "-x"
            b["data"].update(kw)
            return b

        self.bad(op, "data.clabe", "checksum", "POST", self.P + "/accounts", with_("SPEI", clabe="012345678901234567"), self.h())
        self.bad(op, "data.clabe", "format", "POST", self.P + "/accounts", with_("SPEI", clabeType="PHONE_NUMBER"), self.h())
        self.bad(op, "data.clabeType", "enum", "POST", self.P + "/accounts", with_("SPEI", clabeType="IBAN"), self.h())
        self.bad(op, "data.routingNumber", "checksum", "POST", self.P + "/accounts", with_("ACH", routingNumber="021000022"), self.h())
        self.bad(op, "data.address", "address", "POST", self.P + "/accounts",
                 with_("WALLET", address="0x742d35Cc6634C0532925a3b844Bc9e7595f0bEb"), self.h())  # the page's 39-hex example
        self.bad(op, "data.address", "address", "POST", self.P + "/accounts",
                 with_("WALLET", address=EVM[:-1] + ("A" if EVM[-1] != "A" else "B")), self.h())
        self.bad(op, "data.address", "address", "POST", self.P + "/accounts",
                 with_("WALLET", network="TRON", address="TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"), self.h())
        self.bad(op, "data.currency", "enum", "POST", self.P + "/accounts", with_("WALLET", currency="BTC"), self.h())
        self.bad(op, "data.network", "enum", "POST", self.P + "/accounts", with_("WALLET", network="BITCOIN"), self.h())
        self.bad(op, "data.bankCode", "bank_list", "POST", self.P + "/accounts", with_("PSE", bankCode="0999"), self.h())
        self.bad(op, "type", "enum", "POST", self.P + "/accounts", dict(ACCOUNTS["PSE"], type="IBAN"), self.h())
        self.bad(op, "data.firstName/lastName", "holder_matches_user", "POST", self.P + "/accounts",
                 with_("PSE", firstName="Pedro"), self.h())
        b = with_("PSE")
        del b["data"]["email"]
        self.bad(op, "data.email", "required", "POST", self.P + "/accounts", b, self.h())
        st, _ = http("POST", self.P + "/accounts", dict(ACCOUNTS["PSE"], userId="user-nobody", externalId="n1"), self.h())
        self.assertEqual(st, 404)
        # accent-insensitive holder match: "Garcia" is the same person as "García"
        self.ok("POST", self.P + "/accounts", with_("PSE", lastName="Garcia"), self.h())

    def test_accounts_query_update_delete(self):
        ids = {t: self.ok("POST", self.P + "/accounts", b, self.h())["id"] for t, b in ACCOUNTS.items()}
        self.assertEqual(len(self.ok("GET", self.P + "/accounts/userId/user-conformance", headers=self.h())), len(ACCOUNTS))
        self.bad("killb.accounts.by_user", "header.Authorization", "required", "GET", self.P + "/accounts/userId/user-conformance")
        s = self.ok("GET", self.P + "/accounts?type=WALLET&userId=user-conformance", headers=self.h())
        self.assertEqual([a["id"] for a in s], [ids["WALLET"]])
        s = self.ok("GET", self.P + f"/accounts?ids={ids['PSE']},{ids['ACH']}", headers=self.h())
        self.assertEqual({a["id"] for a in s}, {ids["PSE"], ids["ACH"]})
        self.assertEqual(len(self.ok("GET", self.P + "/accounts?accountNumber=1234567890", headers=self.h())), 1)
        self.assertEqual(len(self.ok("GET", self.P + f"/accounts?address={EVM}", headers=self.h())), 1)
        self.bad("killb.accounts.search", "query.type", "enum", "GET", self.P + "/accounts?type=IBAN", headers=self.h())
        self.bad("killb.accounts.search", "query.name", "unknown_filter", "GET", self.P + "/accounts?name=Juan", headers=self.h())
        op = "killb.accounts.update"
        u = self.ok("PATCH", self.P + f"/accounts/{ids['PSE']}", {"accountNumber": "99887766", "bankCode": "0007"}, self.h())
        self.assertEqual(u["data"]["accountNumber"], "99887766")
        self.ok("PATCH", self.P + f"/accounts/{ids['SPEI']}", {"data": {"clabe": clabe_with_check("00218000011835971")}}, self.h())
        self.ok("PATCH", self.P + f"/accounts/{ids['WALLET']}", {"address": "0x" + eip55("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")}, self.h())
        self.ok("PATCH", self.P + f"/accounts/{ids['ACH']}", {"document": {"type": "SSN", "number": "987-65-4321"}}, self.h())
        self.bad(op, "body.firstName", "not_updatable", "PATCH", self.P + f"/accounts/{ids['PSE']}", {"firstName": "Pedro"}, self.h())
        self.bad(op, "body.clabe", "not_updatable", "PATCH", self.P + f"/accounts/{ids['PSE']}", {"clabe": "0"}, self.h())
        self.bad(op, "body.clabe", "checksum", "PATCH", self.P + f"/accounts/{ids['SPEI']}", {"clabe": "012345678901234567"}, self.h())
        self.bad(op, "data.address", "address", "PATCH", self.P + f"/accounts/{ids['WALLET']}", {"data": {"address": "0x123"}}, self.h())
        self.bad(op, "body.bankCode", "bank_list", "PATCH", self.P + f"/accounts/{ids['PSE']}", {"bankCode": "0999"}, self.h())
        op = "killb.accounts.delete"
        self.ok("DELETE", self.P + f"/accounts/{ids['TRANSFIYA']}", headers=self.h())
        st, _ = http("DELETE", self.P + f"/accounts/{ids['TRANSFIYA']}", headers=self.h())
        self.assertEqual(st, 404)
        self.bad(op, "header.Authorization", "required", "DELETE", self.P + f"/accounts/{ids['ACH']}")

    def test_webhooks(self):
        op = "killb.webhooks.register"
        r = self.ok("POST", self.P + "/webhooks", {"url": "https://giro.example.com/hooks/killb", "secret": "s3cr3t-value",
                                                  "events": ["PAYOUT"]}, self.h())
        self.assertNotIn("secret", r)
        self.bad(op, "url", "url", "POST", self.P + "/webhooks", {"url": "ftp://x.com", "secret": "s", "events": ["PAYOUT"]}, self.h())
        self.bad(op, "secret", "required", "POST", self.P + "/webhooks", {"url": "https://x.com", "events": ["PAYOUT"]}, self.h())
        self.bad(op, "events", "type", "POST", self.P + "/webhooks", {"url": "https://x.com", "secret": "s", "events": []}, self.h())


# ====================================================================== Cashy

def cashy(country, path, body=None, merchant=None, key=None, raw=None, sign_fn=None, headers=None):
    merchant = merchant or {"co": "100001", "tz": "1002001"}[country]
    key = key or {"co": "conformance-key-co", "tz": "conformance-key-tz"}[country]
    data = raw if raw is not None else json.dumps(body, separators=(",", ":")).encode()
    sign = (sign_fn or (lambda d: hashlib.md5(d + key.encode()).hexdigest().upper()))(data)
    h = {"Content-Type": "application/json", "MerchantId": merchant, "Sign": sign}
    h.update(headers or {})
    return ("POST", f"/cashy-{country}/api/{path}", None, h, data)


CO_PAYOUT = {"accountName": "Brandme", "accountNo": "646180000000000007", "accountType": 1, "currency": "COP",
             "amount": 10000.50, "bankId": 20, "mchOrderNo": "P123456", "notifyUrl": "https://giro.example.com/cashy/cb",
             "nonceStr": "16283812abcd", "idType": "CC", "idCard": "1234567890", "phone": "+573001234567",
             "email": "xyz@gmail.com", "remark": "Pago de prueba"}
# Tanzania's own example, verbatim apart from the placeholder values
TZ_PAYOUT = {"nonceStr": "xxxxxxxx", "accountName": "jack", "accountNo": "713512345", "accountType": "1", "currency": "TZS",
             "amount": 30000, "bankId": 2, "mchOrderNo": "orderxxxxxxxxxxxxx", "notifyUrl": "https://xxxxx.com/payOut/callback",
             "idType": "1", "idCard": "19870331141130000329", "phone": "713512345", "email": "jack@gmail.com", "remark": "xxxxx"}


class CashyTest(Base):
    def test_co_payout(self):
        op = "cashy-co.payOut"
        r = self.ok(*cashy("co", "payOut", CO_PAYOUT))
        self.assertEqual(r["code"], 200)
        self.assertEqual(set(r["data"]), {"merchantId", "mchOrderNo", "orderNo", "amount", "fee", "orderStatus"})
        self.assertEqual(r["data"]["amount"], 10000.5)

        def m(**kw):
            b = dict(CO_PAYOUT, mchOrderNo="P" + str(time.time_ns())[-12:])
            b.update(kw)
            return {k: v for k, v in b.items() if v is not None}

        self.bad(op, "amount", "range", *cashy("co", "payOut", m(amount=9999.99)))
        self.bad(op, "amount", "range", *cashy("co", "payOut", m(amount=5000000.01)))
        self.bad(op, "amount", "decimals", *cashy("co", "payOut", m(amount=10000.123)))
        self.bad(op, "amount", "type", *cashy("co", "payOut", m(amount="10000.00")))
        self.bad(op, "accountName", "max_length", *cashy("co", "payOut", m(accountName="x" * 33)))
        self.bad(op, "accountType", "type", *cashy("co", "payOut", m(accountType="1")))
        self.bad(op, "accountType", "enum", *cashy("co", "payOut", m(accountType=3)))
        self.bad(op, "currency", "enum", *cashy("co", "payOut", m(currency="TZS")))
        self.bad(op, "bankId", "bank_list", *cashy("co", "payOut", m(bankId=999)))
        self.bad(op, "bankId", "required", *cashy("co", "payOut", m(bankId=None)))
        self.bad(op, "idType", "enum", *cashy("co", "payOut", m(idType="DNI")))
        self.bad(op, "idCard", "required", *cashy("co", "payOut", m(idCard=None)))
        self.bad(op, "notifyUrl", "public_http_url", *cashy("co", "payOut", m(notifyUrl="https://203.0.113.9/cb")))
        self.bad(op, "notifyUrl", "public_http_url", *cashy("co", "payOut", m(notifyUrl="ftp://giro.example.com/cb")))
        self.bad(op, "notifyUrl", "public_http_url", *cashy("co", "payOut", m(notifyUrl="http://localhost:8080/cb")))
        self.bad(op, "remark", "format", *cashy("co", "payOut", m(remark="Pago de préstamo")))
        self.bad(op, "remark", "required", *cashy("co", "payOut", m(remark=None)))
        self.bad(op, "email", "max_length", *cashy("co", "payOut", m(email="a" * 30 + "@example.com")))
        self.bad(op, "header.Sign", "Sign_verify_error", *cashy("co", "payOut", m(), key="wrong"))
        self.bad(op, "header.Sign", "uppercase", *cashy("co", "payOut", m(), sign_fn=lambda d: hashlib.md5(d + b"conformance-key-co").hexdigest()))
        self.bad(op, "header.MerchantId", "MerchantId_is_error", *cashy("co", "payOut", m(), merchant="1002001"))
        self.bad(op, "header.MerchantId", "MerchantId_not_Number", *cashy("co", "payOut", m(), merchant="abc"))
        self.bad(op, "header.Content-Type", "RequestContentType_not_json", *cashy("co", "payOut", m(), headers={"Content-Type": "text/plain"}))
        st, resp = http(*cashy("co", "payOut", CO_PAYOUT))  # same mchOrderNo again: refused, not a violation
        self.assertNotEqual(resp["code"], 200)
        self.assertEqual(self.report()["refusals"][-1]["reason"], "duplicate")
        self.bad(op, "method", "RequestMethod_not_post", "GET", "/cashy-co/api/payOut")

    def test_tz_payout(self):
        op = "cashy-tz.payOut"
        r = self.ok(*cashy("tz", "payOut", TZ_PAYOUT))
        self.assertEqual(r["data"]["amount"], 30000)

        def m(**kw):
            b = dict(TZ_PAYOUT, mchOrderNo="T" + str(time.time_ns())[-12:])
            b.update(kw)
            return {k: v for k, v in b.items() if v is not None}

        # bankId absent from the table: accepted without it; idType/idCard optional; accountType as int
        self.ok(*cashy("tz", "payOut", m(bankId=None, idType=None, idCard=None, accountType=3)))
        self.ok(*cashy("tz", "payOut", m(accountName="x" * 64, amount=500)))
        self.bad(op, "amount", "decimals", *cashy("tz", "payOut", m(amount=30000.5)))
        self.bad(op, "amount", "range", *cashy("tz", "payOut", m(amount=499)))
        self.bad(op, "amount", "range", *cashy("tz", "payOut", m(amount=3000001)))
        self.bad(op, "accountName", "max_length", *cashy("tz", "payOut", m(accountName="x" * 65)))
        self.bad(op, "accountType", "enum", *cashy("tz", "payOut", m(accountType=4)))
        self.bad(op, "currency", "enum", *cashy("tz", "payOut", m(currency="COP")))
        self.bad(op, "accountNo", "format", *cashy("tz", "payOut", m(accountNo="abc")))
        self.bad(op, "remark", "format", *cashy("tz", "payOut", m(remark="señal")))
        self.bad(op, "notifyUrl", "public_http_url", *cashy("tz", "payOut", m(notifyUrl="http://10.0.0.5/cb")))
        self.bad(op, "header.Sign", "Sign_verify_error", *cashy("tz", "payOut", m(), key="conformance-key-co"))

    def test_query_balance_banks(self):
        for c, body in (("co", CO_PAYOUT), ("tz", TZ_PAYOUT)):
            op = f"cashy-{c}.payOutQuery"
            d = self.ok(*cashy(c, "payOut", body))["data"]
            q = self.ok(*cashy(c, "payOutQuery", {"orderNo": d["orderNo"], "nonceStr": "1628381288000"}))["data"]
            self.assertEqual(set(q), {"merchantId", "mchOrderNo", "orderNo", "channelOrderNo", "amount", "fee",
                                      "orderStatus", "completionTime", "resultDesc"})
            self.ok(*cashy(c, "payOutQuery", {"mchOrderNo": body["mchOrderNo"], "nonceStr": "1628381288001"}))
            if c == "tz":
                self.assertIsInstance(q["amount"], str)  # the TZ page answers "60000"
            self.bad(op, "orderNo", "required", *cashy(c, "payOutQuery", {"nonceStr": "1"}))
            self.bad(op, "nonceStr", "required", *cashy(c, "payOutQuery", {"orderNo": d["orderNo"]}))
            self.bad(op, "orderNo", "max_length", *cashy(c, "payOutQuery", {"orderNo": "P" * 33, "nonceStr": "1"}))
            self.bad(op, "header.Sign", "required", *cashy(c, "payOutQuery", {"orderNo": d["orderNo"], "nonceStr": "1"},
                                                            headers={"Sign": None}))
            b = self.ok(*cashy(c, "getBalance", {"nonceStr": "abc"}))["data"]
            self.assertEqual(set(b), {"mchId", "balance", "unBalance"})
            self.bad(f"cashy-{c}.getBalance", "nonceStr", "required", *cashy(c, "getBalance", {}))
            banks = self.ok(*cashy(c, "bankListQuery", {"nonceStr": "abc"}))["data"]
            self.assertEqual(set(banks[0]), {"bankId", "bankCode", "bankName"})
            self.bad(f"cashy-{c}.bankListQuery", "body", "Params_jsonFormat_error", *cashy(c, "bankListQuery", raw=b"[1,2]"))
        time.sleep(2.1)
        q = self.ok(*cashy("co", "payOutQuery", {"mchOrderNo": CO_PAYOUT["mchOrderNo"], "nonceStr": "x"}))["data"]
        self.assertEqual(q["orderStatus"], "SUCCESS")
        self.assertRegex(q["completionTime"], r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


# ====================================================================== A55

CHARGE = {"wallet_uuid": WALLET, "merchant_id": MERCHANT, "payer_name": "张伟", "payer_email": "zhangwei@example.com",
          "payer_tax_id": "123.456.789-09", "payer_cell_phone": "+5511999999999", "installment_value": 150.00,
          "installment_count": 3, "currency": "BRL", "due_date": "2026-12-31", "description": "订单 #42——3 期分期",
          "type_charge": "credit_card", "card_number": "4024007153763191", "card_name": "张伟",
          "card_expiry_month": "12", "card_expiry_year": "2030", "card_cvv": "123", "capture": True,
          "webhook_url": "https://your-app.com/webhooks/a55",
          "payer_address": {"street": "Av. Paulista", "address_number": "1000", "complement": "Sala 101",
                            "neighborhood": "Bela Vista", "city": "São Paulo", "state": "SP",
                            "postal_code": "01310-100", "country": "BR"}}
CH = "/a55/api/v1/bank/wallet/charge/"


class A55Test(Base):
    def token(self):
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "conformance-client",
                                       "client_secret": "conformance-secret", "scope": "api/readwrite"}).encode()
        r = self.ok("POST", "/a55-auth/oauth2/token", raw=form, headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((r["expires_in"], r["token_type"]), (3600, "Bearer"))
        return r["access_token"]

    def h(self):
        if not hasattr(self, "_tok"):
            self._tok = self.token()
        return {"Authorization": "Bearer " + self._tok}

    def test_token(self):
        self.token()
        basic = base64.b64encode(b"conformance-client:conformance-secret").decode()
        self.ok("POST", "/a55-auth/oauth2/token", raw=b"grant_type=client_credentials",
                headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic " + basic})
        op = "a55.oauth.token"
        form = {"grant_type": "client_credentials", "client_id": "conformance-client", "client_secret": "x"}
        ct = {"Content-Type": "application/x-www-form-urlencoded"}
        self.bad(op, "form.client_id/client_secret", "credentials", "POST", "/a55-auth/oauth2/token",
                 raw=urllib.parse.urlencode(form).encode(), headers=ct, status=401)
        self.bad(op, "form.grant_type", "value", "POST", "/a55-auth/oauth2/token",
                 raw=urllib.parse.urlencode(dict(form, grant_type="password")).encode(), headers=ct)
        self.bad(op, "form.scope", "value", "POST", "/a55-auth/oauth2/token",
                 raw=urllib.parse.urlencode(dict(form, scope="admin")).encode(), headers=ct)
        self.bad(op, "header.Content-Type", "value", "POST", "/a55-auth/oauth2/token", form)

    def test_create(self):
        op = "a55.charge.create"
        r = self.ok("POST", CH, CHARGE, self.h())
        self.assertEqual((r["status"], r["installment_count"], len(r["installments"])), ("confirmed", 3, 3))
        self.assertEqual([i["due_date"] for i in r["installments"]], ["2026-12-31", "2027-01-31", "2027-02-28"])
        for k in ("charge_uuid", "local_currency", "currency", "usd_currency", "eur_currency", "type", "date",
                  "description", "due_date", "message"):
            self.assertIn(k, r)
        sdk = {k: v for k, v in CHARGE.items() if not k.startswith("card_")}
        for tc in ("pix", "boleto", "applepay", "googlepay", "debit_card"):
            self.ok("POST", CH, dict(sdk, type_charge=tc, installment_count=1), self.h())
        self.ok("POST", CH, dict(sdk, currency="CLP", installment_value=50000, installment_count=1), self.h())
        self.ok("POST", CH, dict(sdk, currency="COP", installment_value=200000.0, installment_count=1), self.h())
        self.ok("POST", CH, dict(sdk, subscription={"cycle": "monthly", "end_date": "2027-12-31"}), self.h())
        self.ok("POST", CH, dict(CHARGE, threeds_authentication=True,
                                 device_info={"ip_address": "203.0.113.5", "user_agent": "Mozilla/5.0",
                                              "http_browser_java_enabled": False, "http_browser_color_depth": "24"},
                                 antifraud_info={"sales_channel": "web", "cardholder_logged_in": True, "purchase_history": 3}),
                self.h())
        d = self.ok("POST", CH, dict(CHARGE, card_number="4024007153763192"), self.h())
        self.assertEqual(d["status"], "error")
        self.assertEqual(set(d["message"][0]), {"code", "source", "description"})

        def m(**kw):
            b = copy.deepcopy(CHARGE)
            b.update(kw)
            return {k: v for k, v in b.items() if v is not None}

        self.bad(op, "installment_value", "decimals", "POST", CH, m(currency="CLP", installment_value=50000.50), self.h())
        self.bad(op, "installment_value", "decimals", "POST", CH, m(currency="COP", installment_value=200000.5), self.h())
        self.bad(op, "installment_value", "decimals", "POST", CH, m(installment_value=150.001), self.h())
        self.bad(op, "installment_value", "type", "POST", CH, m(installment_value="150.00"), self.h())
        self.bad(op, "installment_count", "type", "POST", CH, m(installment_count=1.5), self.h())
        self.bad(op, "installment_count", "range", "POST", CH, m(installment_count=0), self.h())
        self.bad(op, "currency", "enum", "POST", CH, m(currency="EUR"), self.h())
        self.bad(op, "due_date", "format", "POST", CH, m(due_date="31/12/2026"), self.h())
        self.bad(op, "due_date", "format", "POST", CH, m(due_date="2026-02-30"), self.h())
        r = self.bad(op, "type_charge", "enum", "POST", CH, m(type_charge="bitcoin"), self.h())
        self.assertEqual(r["message"][0]["code"], "INVALID_TYPE_CHARGE")
        for f in ("wallet_uuid", "merchant_id", "payer_name", "payer_email", "payer_tax_id", "payer_cell_phone",
                  "description", "payer_address"):
            self.bad(op, f, "required", "POST", CH, m(**{f: None}), self.h())
        addr = dict(CHARGE["payer_address"])
        del addr["complement"]
        self.bad(op, "payer_address.complement", "required", "POST", CH, m(payer_address=addr), self.h())
        self.bad(op, "payer_email", "format", "POST", CH, m(payer_email="not-an-email"), self.h())
        self.bad(op, "payer_cell_phone", "format", "POST", CH, m(payer_cell_phone="11999999999"), self.h())
        self.bad(op, "card_expiry_month", "format", "POST", CH, m(card_expiry_month="13"), self.h())
        self.bad(op, "card_expiry_year", "format", "POST", CH, m(card_expiry_year="30"), self.h())
        self.bad(op, "card_cvv", "required", "POST", CH, m(card_cvv=None), self.h())
        self.bad(op, "device_info", "required", "POST", CH, m(threeds_authentication=True), self.h())
        self.bad(op, "subscription.cycle", "enum", "POST", CH, m(subscription={"cycle": "daily"}), self.h())
        self.bad(op, "capture", "type", "POST", CH, m(capture="false"), self.h())
        self.bad(op, "path", "trailing_slash", "POST", CH.rstrip("/"), CHARGE, self.h())
        self.bad(op, "header.Authorization", "required", "POST", CH, CHARGE, status=401)
        st, r = http("POST", CH, m(wallet_uuid="00000000-0000-0000-0000-000000000000"), self.h())
        self.assertEqual(r["message"][0]["code"], "errors.wallet.not_found")

    def test_read_cancel_refund_capture(self):
        c = self.ok("POST", CH, CHARGE, self.h())
        cid = c["charge_uuid"]
        self.assertEqual(self.ok("GET", CH + cid + "/", headers=self.h())["charge_uuid"], cid)
        self.bad("a55.charge.read", "header.Authorization", "required", "GET", CH + cid + "/")
        self.bad("a55.charge.read", "path", "trailing_slash", "GET", CH + cid, headers=self.h())
        # refund
        op = "a55.charge.refund"
        self.bad(op, "amount", "decimals", "POST", CH + f"{cid}/refund/{WALLET}/", {"amount": 10.001}, self.h())
        self.bad(op, "amount", "range", "POST", CH + f"{cid}/refund/{WALLET}/", {"amount": 1000}, self.h())
        r = self.ok("POST", CH + f"{cid}/refund/{WALLET}/", {"amount": 50.00, "reason": "customer request"}, self.h())
        self.assertEqual(r["status"], "refunded")
        c2 = self.ok("POST", CH, CHARGE, self.h())["charge_uuid"]
        self.ok("POST", CH + f"{c2}/refund/{WALLET}/", headers=self.h(), raw=b"")
        # capture (authorise-only card charge)
        op = "a55.charge.capture"
        a = self.ok("POST", CH, dict(CHARGE, capture=False), self.h())
        self.assertEqual(a["status"], "pending")
        self.bad(op, "charge_uuid", "required", "POST", CH + "capture/", {"wallet_uuid": WALLET}, self.h())
        self.bad(op, "amount", "decimals", "POST", CH + "capture/",
                 {"charge_uuid": a["charge_uuid"], "wallet_uuid": WALLET, "amount": 1.005}, self.h())
        r = self.ok("POST", CH + "capture/", {"charge_uuid": a["charge_uuid"], "wallet_uuid": WALLET, "amount": 150.00}, self.h())
        self.assertEqual(r["status"], "confirmed")
        # cancel
        op = "a55.charge.cancel"
        p = self.ok("POST", CH, dict({k: v for k, v in CHARGE.items() if not k.startswith("card_")}, type_charge="pix",
                                     installment_count=1), self.h())
        self.assertEqual(p["status"], "issued")
        self.bad(op, "header.Authorization", "required", "POST", CH + f"{p['charge_uuid']}/cancel/{WALLET}/")
        self.bad(op, "path", "trailing_slash", "POST", CH + f"{p['charge_uuid']}/cancel/{WALLET}", headers=self.h())
        self.assertEqual(self.ok("POST", CH + f"{p['charge_uuid']}/cancel/{WALLET}/", headers=self.h())["status"], "canceled")
        st, _ = http("POST", CH + f"{p['charge_uuid']}/cancel/{WALLET}/", headers=self.h())
        self.assertEqual(st, 409)
        st, r = http("POST", CH + f"{cid}/cancel/00000000-0000-0000-0000-000000000000/", headers=self.h())
        self.assertEqual(r["message"][0]["code"], "errors.wallet.not_found")


# ====================================================================== server itself

class ServerTest(Base):
    def test_unknown_and_reset(self):
        st, _ = http("GET", "/killb/api/v2/nothing")
        self.assertEqual(st, 404)
        st, _ = http("PUT", "/killb/api/v2/payouts")
        self.assertEqual(st, 405)
        rep = self.report()
        self.assertEqual(rep["unknown_requests"], [{"method": "GET", "path": "/killb/api/v2/nothing"},
                                                   {"method": "PUT", "path": "/killb/api/v2/payouts"}])
        http("POST", "/_conformance/reset")
        rep = self.report()
        self.assertEqual((rep["operations"], rep["violations"], rep["unknown_requests"]), ({}, [], []))

    def test_operations_listing(self):
        ops = http("GET", "/_conformance/operations")[1]["operations"]
        names = [o["name"] for o in ops]
        self.assertEqual(len(names), len(set(names)))
        for o in ops:
            self.assertTrue(o["page"] in ("000", "001", "002", "003", "004", "digest") and o["section"], o)
        for n in ("killb.payouts.create", "cashy-co.payOut", "cashy-tz.payOutQuery", "a55.charge.create", "a55.oauth.token"):
            self.assertIn(n, names)


class ZZCoverageTest(unittest.TestCase):
    """Runs last (classes load alphabetically): every known operation was exercised, and the
    server's log lines never carried a secret or a personal value in full."""

    def test_every_operation_exercised(self):
        ops = {o["name"] for o in http("GET", "/_conformance/operations")[1]["operations"]}
        self.assertEqual(ops - SEEN, set())

    def test_log_masks_secrets(self):
        with open(LOG, encoding="utf-8") as f:
            log = f.read()
        self.assertIn("[conformance] POST /killb/api/v2/payouts", log)
        for secret in ("conformance-password", "conformance-secret", "conformance-key-co", "conformance-api-key",
                       "1234567890", "zhangwei@example.com", "kb_at_", "Bearer"):
            self.assertNotIn(secret, log)


if __name__ == "__main__":
    unittest.main(verbosity=1)
