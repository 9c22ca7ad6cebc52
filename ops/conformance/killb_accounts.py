"""KillB beneficiary accounts (seed 002): create (PSE, SPEI, ACH, WIRE, TRANSFIYA, WALLET),
by user, search, PATCH (only the updatable fields), DELETE. Mixed into killb.KillB."""

from __future__ import annotations

import re
import uuid

from checks import WALLET_NETWORKS, aba_ok, clabe_ok, wallet_problem
from common import Response, mask, now_iso
from killb_rules import (ACCOUNT_TYPES, BANK_ACCOUNT_KIND, CLABE_TYPES, DOC_TYPE_RE, USER_FIRST, USER_ID, USER_LAST,
                         bank_known, fold, person, pse)


class AccountsMixin:
    def _account_data(self, chk, t, data, p="data"):
        if t == "PSE":
            pse(chk, data, p)
            return
        person(chk, data, p, need_all=True)
        if t == "SPEI":
            ct = chk.string(data, "clabeType", f"{p}.clabeType", enum=set(CLABE_TYPES))
            clabe = chk.string(data, "clabe", f"{p}.clabe")
            self._clabe(chk, ct, clabe, p)
            chk.string(data, "countryCode", f"{p}.countryCode", enum={"MX"})
        elif t in ("ACH", "WIRE"):
            chk.string(data, "bankName", f"{p}.bankName", required=False, max_len=100)
            rn = chk.string(data, "routingNumber", f"{p}.routingNumber")
            if rn and not aba_ok(rn):
                chk.bad(f"{p}.routingNumber", "checksum", "routingNumber must be 9 digits with a valid ABA checksum")
            chk.string(data, "accountNumber", f"{p}.accountNumber", pattern=r"\d{4,17}", pattern_desc="4-17 digits")
            chk.string(data, "type", f"{p}.type", enum=BANK_ACCOUNT_KIND)
            chk.string(data, "countryCode", f"{p}.countryCode", pattern=r"[A-Z]{2}", pattern_desc="ISO alpha-2")
        elif t == "TRANSFIYA":
            chk.string(data, "countryCode", f"{p}.countryCode", enum={"CO"})
        elif t == "WALLET":
            chk.string(data, "currency", f"{p}.currency", enum={"USDC", "USDT"})
            net = chk.string(data, "network", f"{p}.network", enum=WALLET_NETWORKS)
            addr = chk.string(data, "address", f"{p}.address")
            self._address(chk, net, addr, p)
            chk.string(data, "countryCode", f"{p}.countryCode", pattern=r"[A-Z]{2}", pattern_desc="ISO alpha-2")

    def _clabe(self, chk, ct, clabe, p):
        if not ct or not clabe or ct not in CLABE_TYPES:
            return
        if not re.fullmatch(CLABE_TYPES[ct], clabe):
            chk.bad(f"{p}.clabe", "format", f"clabeType {ct} needs {CLABE_TYPES[ct][3:-1]} digits")
        elif ct == "CLABE" and not clabe_ok(clabe):
            chk.bad(f"{p}.clabe", "checksum", "CLABE check digit is wrong (weights 3,7,1, mod 10)")

    def _address(self, chk, net, addr, p):
        if net in WALLET_NETWORKS and addr:
            prob = wallet_problem(net, addr)
            if prob:
                chk.bad(f"{p}.address", "address", prob)

    def account_create(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        body = self.json_body(req, chk)
        if body is None:
            return self.invalid(chk)
        t = chk.string(body, "type", enum=ACCOUNT_TYPES)
        uid = chk.string(body, "userId")
        ext = chk.string(body, "externalId", required=False, max_len=100)
        data = chk.obj(body, "data")
        if data is not None and t in ACCOUNT_TYPES:
            self._account_data(chk, t, data)
        if chk:
            return self.invalid(chk)
        if uid != USER_ID:
            return self.not_found(chk, "USER.0001", "user", uid)
        if data.get("firstName") is not None and (
                fold(data["firstName"]) != fold(USER_FIRST) or fold(data.get("lastName") or "") != fold(USER_LAST)):
            chk.bad("data.firstName/lastName", "holder_matches_user",
                    "account holder name must match the user (seed 002, 账户验证)")
            return self.invalid(chk)
        if ext and any(a["externalId"] == ext for a in self.accounts.values()):
            chk.refuse("duplicate", f"externalId {mask(ext)} already used by another account")
            return self.error(409, "ACCOUNT.0002", ["Account with this externalId already exists"])
        ts = now_iso()
        aid = "account-" + uuid.uuid4().hex[:16]
        acc = {"id": aid, "type": t, "userId": uid, "externalId": ext, "status": "ACTIVE", "data": data,
               "createdAt": ts, "updatedAt": ts}
        self.accounts[aid] = acc
        return Response(201, acc)

    def accounts_by_user(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        uid = req.params["userId"]
        if uid != USER_ID:
            return self.not_found(chk, "USER.0001", "user", uid)
        return Response(200, [a for a in self.accounts.values() if a["userId"] == uid])

    def accounts_search(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        known = {"ids", "userId", "type", "accountNumber", "address", "page", "limit"}
        for k in req.query:
            if k not in known:
                chk.bad(f"query.{k}", "unknown_filter", f"filters are {sorted(known - {'page', 'limit'})}")
        t = req.q("type")
        if t is not None and t not in ACCOUNT_TYPES:
            chk.bad("query.type", "enum", f"type must be one of {sorted(ACCOUNT_TYPES)}")
        if chk:
            return self.invalid(chk)
        # ids: repeated (?ids=a&ids=b) or comma separated (?ids=a,b) — both accepted
        ids = {i for v in req.q_all("ids") for i in v.split(",") if i}
        rows = list(self.accounts.values())
        if ids:
            rows = [a for a in rows if a["id"] in ids]
        if req.q("userId"):
            rows = [a for a in rows if a["userId"] == req.q("userId")]
        if t:
            rows = [a for a in rows if a["type"] == t]
        if req.q("accountNumber"):
            rows = [a for a in rows if a["data"].get("accountNumber") == req.q("accountNumber")]
        if req.q("address"):
            rows = [a for a in rows if (a["data"].get("address") or "").lower() == req.q("address").lower()]
        return Response(200, rows)

    UPDATABLE = {"document": None, "clabe": {"SPEI"}, "clabeType": {"SPEI"}, "address": {"WALLET"},
                 "accountNumber": {"PSE", "ACH", "WIRE"}, "bankCode": {"PSE"}}

    def account_update(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        body = self.json_body(req, chk)
        if body is None:
            return self.invalid(chk)
        acc = self.accounts.get(req.params["id"])
        if acc is None:
            return self.not_found(chk, "ACCOUNT.0001", "account", req.params["id"])
        # Ambiguity: the page lists the updatable fields but no body; {"data": {...}} (as on
        # create) and the flat form {...} are both accepted.
        flat = body.get("data") if set(body) == {"data"} and isinstance(body.get("data"), dict) else body
        p = "data" if flat is not body else "body"
        t = acc["type"]
        if not flat:
            chk.bad(p, "required", "nothing to update")
        for k in flat:
            allowed = self.UPDATABLE.get(k, ())
            if k not in self.UPDATABLE or (allowed is not None and t not in allowed):
                chk.bad(f"{p}.{k}", "not_updatable", f"{k} cannot be updated on a {t} account "
                        "(updatable: document, clabe (SPEI), address (WALLET), accountNumber, bankCode)")
        if "document" in flat:
            doc = chk.obj(flat, "document", f"{p}.document")
            if doc is not None:
                chk.string(doc, "type", f"{p}.document.type", pattern=DOC_TYPE_RE)
                chk.string(doc, "number", f"{p}.document.number", max_len=20, pattern=r"[A-Za-z0-9-]{3,20}")
                chk.string(doc, "issuedCountryCode", f"{p}.document.issuedCountryCode", required=False, pattern=r"[A-Z]{2}")
        if "clabe" in flat and t == "SPEI":
            ct = chk.string(flat, "clabeType", f"{p}.clabeType", required=False, enum=set(CLABE_TYPES)) or acc["data"].get("clabeType")
            self._clabe(chk, ct, chk.string(flat, "clabe", f"{p}.clabe"), p)
        if "address" in flat and t == "WALLET":
            self._address(chk, acc["data"].get("network"), chk.string(flat, "address", f"{p}.address"), p)
        if "accountNumber" in flat and t in ("PSE", "ACH", "WIRE"):
            chk.string(flat, "accountNumber", f"{p}.accountNumber", pattern=r"\d{4,20}", pattern_desc="4-20 digits")
        if "bankCode" in flat and t == "PSE":
            code = chk.string(flat, "bankCode", f"{p}.bankCode", pattern=r"\d{1,6}")
            if code and code.isdigit() and not bank_known(code):
                chk.bad(f"{p}.bankCode", "bank_list", f"bankCode {code} is not in GET /api/v2/banks")
        if chk:
            return self.invalid(chk)
        acc["data"].update(flat)
        acc["updatedAt"] = now_iso()
        return Response(200, acc)

    def account_delete(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        acc = self.accounts.pop(req.params["id"], None)
        if acc is None:
            return self.not_found(chk, "ACCOUNT.0001", "account", req.params["id"])
        return Response(200, dict(acc, status="INACTIVE", updatedAt=now_iso()))
