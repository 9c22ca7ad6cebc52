"""A55 charges fake, served under /a55 (API) and /a55-auth (OAuth2 token).

Page: seed 003 (创建收款 — create a charge). Digest PROVIDERS.md section 3 for the token,
read, cancel, refund and capture endpoints and the extra statuses.
"""

from __future__ import annotations

import base64
import calendar
import datetime as _dt
import secrets
import time
import urllib.parse
import uuid
from decimal import ROUND_DOWN, Decimal

from common import Checker, Operation, Response, bearer, content_type_is, http_url_problem, mask, parse_json

CLIENT_ID = "conformance-client"
CLIENT_SECRET = "conformance-secret"
WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
MERCHANT = "11111111-1111-1111-1111-111111111111"
SCOPE = "api/readwrite"
TTL = 3600

DECIMALS = {"BRL": 2, "MXN": 2, "USD": 2, "PEN": 2, "ARS": 2, "CLP": 0, "COP": 0}
TO_USD = {"BRL": "0.1793", "MXN": "0.0585", "USD": "1", "PEN": "0.27", "ARS": "0.00105", "CLP": "0.00106", "COP": "0.000245"}
USD_EUR = Decimal("0.8766")
TYPE_CHARGES = {"credit_card", "debit_card", "pix", "boleto", "applepay", "googlepay"}
CARD_FIELDS = ("card_number", "card_name", "card_expiry_month", "card_expiry_year", "card_cvv")
CYCLES = {"weekly", "biweekly", "monthly", "quarterly", "semiannually", "yearly"}
SALES_CHANNELS = {"web", "app", "pos", "marketplace", "link", "subscription", "api"}
ADDRESS_FIELDS = ("street", "address_number", "complement", "neighborhood", "city", "state", "postal_code")
UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# sandbox cards (public docs): the last digit picks the outcome
CARD_OUTCOME = {"2": ("card_declined", "Card declined by the issuer"), "3": ("card_expired", "Card expired"),
                "5": ("card_blocked", "Card blocked"), "6": ("acquirer_timeout", "Acquirer timeout"),
                "7": ("card_canceled", "Card canceled"), "8": ("card_problem", "Problem with the card")}
PAGE = "003"


def _add_months(d: _dt.date, n: int) -> _dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    y, m = d.year + y, m + 1
    return _dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


class A55:
    prefix = "/a55"
    auth_prefix = "/a55-auth"

    def __init__(self):
        self.tokens: dict[str, float] = {}
        self.reset_state()

    def reset_state(self):
        self.charges: dict[str, dict] = {}

    def operations(self):
        D = "digest"
        ch = r"/api/v1/bank/wallet/charge"
        return [
            Operation("a55.oauth.token", "POST", r"/oauth2/token", D, "3. A55 — Auth (public docs)", self.token),
            Operation("a55.charge.create", "POST", ch + r"/?", PAGE, "创建收款 POST /api/v1/bank/wallet/charge/", self.create),
            Operation("a55.charge.capture", "POST", ch + r"/capture/?", D, "3. A55 — Other endpoints: capture", self.capture),
            Operation("a55.charge.read", "GET", ch + r"/(?P<charge>[^/]+)/?", D, "3. A55 — Other endpoints: read", self.read),
            Operation("a55.charge.cancel", "POST", ch + r"/(?P<charge>[^/]+)/cancel/(?P<wallet>[^/]+)/?", D,
                      "3. A55 — Other endpoints: cancel", self.cancel),
            Operation("a55.charge.refund", "POST", ch + r"/(?P<charge>[^/]+)/refund/(?P<wallet>[^/]+)/?", D,
                      "3. A55 — Other endpoints: refund", self.refund),
        ]

    # ------------------------------------------------------------ helpers

    @staticmethod
    def error(status, code, source, description, charge_uuid=None) -> Response:
        body = {"status": "error", "message": [{"code": code, "source": source, "description": description}]}
        if charge_uuid:
            body = {"charge_uuid": charge_uuid, **body}
        return Response(status, body)

    def invalid(self, chk: Checker) -> Response:
        msgs = [{"code": "INVALID_TYPE_CHARGE" if v["field"] == "type_charge" else "errors.validation",
                 "source": v["field"], "description": v["detail"] or v["rule"]} for v in chk.items]
        return Response(400, {"status": "error", "message": msgs})

    def auth(self, req, chk) -> Response | None:
        tok = bearer(req)
        if tok is None:
            chk.bad("header.Authorization", "required", "Authorization: Bearer <access_token> is required")
            return Response(401, {"message": "Unauthorized"})
        exp = self.tokens.get(tok)
        if exp is None or exp < time.time():
            chk.bad("header.Authorization", "valid_token", "access_token unknown or expired (expires_in seconds)")
            return Response(401, {"message": "Unauthorized"})
        return None

    def slash(self, req, chk):
        if not req.path.endswith("/"):
            chk.bad("path", "trailing_slash", "A55 paths end with '/' as documented")

    def json_body(self, req, chk, allow_empty=False):
        if allow_empty and not req.body.strip():
            return {}
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

    def wallet_ok(self, wallet, chk, charge=None) -> Response | None:
        if wallet != WALLET:
            chk.refuse("not_found", f"wallet {mask(wallet)}")
            return self.error(404, "errors.wallet.not_found", "wallet", "Wallet not found", charge)
        return None

    def charge_or_404(self, cid, chk):
        c = self.charges.get(cid)
        if c is None:
            chk.refuse("not_found", f"charge {mask(cid)}")
            return None, self.error(404, "errors.charge.not_found", "charge", "Charge not found")
        return c, None

    # ------------------------------------------------------------ token

    def token(self, req, chk):
        if not content_type_is(req, "application/x-www-form-urlencoded"):
            chk.bad("header.Content-Type", "value", "the token request is an application/x-www-form-urlencoded form")
            return Response(400, {"error": "invalid_request"})
        form = dict(urllib.parse.parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
        cid, secret = form.get("client_id"), form.get("client_secret")
        basic = req.header("Authorization") or ""
        if basic.startswith("Basic "):  # RFC 6749 2.3.1: client credentials may come as HTTP Basic
            try:
                cid, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                cid = secret = None
        if form.get("grant_type") != "client_credentials":
            chk.bad("form.grant_type", "value", "grant_type must be client_credentials")
            return Response(400, {"error": "unsupported_grant_type"})
        if "scope" in form and form["scope"] != SCOPE:
            chk.bad("form.scope", "value", f"scope must be {SCOPE}")
            return Response(400, {"error": "invalid_scope"})
        if cid != CLIENT_ID or secret != CLIENT_SECRET:
            chk.bad("form.client_id/client_secret", "credentials", f"unknown client {mask(cid or '')}")
            return Response(401, {"error": "invalid_client"})
        tok = secrets.token_urlsafe(32)
        self.tokens[tok] = time.time() + TTL
        return Response(200, {"access_token": tok, "expires_in": TTL, "token_type": "Bearer"})

    # ------------------------------------------------------------ create

    def _address(self, chk, body, name, required):
        a = chk.obj(body, name, required=required)
        if a is None:
            return
        for f in ADDRESS_FIELDS:
            chk.string(a, f, f"{name}.{f}", max_len=200)
        chk.string(a, "country", f"{name}.country", required=False, pattern=r"[A-Z]{2}", pattern_desc="ISO 3166-1 alpha-2")

    def create(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        self.slash(req, chk)
        b = self.json_body(req, chk)
        if b is None:
            return self.invalid(chk)
        wallet = chk.string(b, "wallet_uuid", pattern=UUID_RE, pattern_desc="a UUID")
        merchant = chk.string(b, "merchant_id")
        chk.string(b, "payer_name", max_len=200)
        chk.email(b, "payer_email")
        chk.string(b, "payer_tax_id", max_len=40)
        chk.string(b, "payer_cell_phone", pattern=r"\+\d{8,15}", pattern_desc="a phone number with international code (+…)")
        cur = chk.string(b, "currency", enum=set(DECIMALS))
        value = chk.number(b, "installment_value", decimals=DECIMALS.get(cur, 2), positive=True,
                           hi=Decimal("999999999.99"))
        count = chk.integer(b, "installment_count", lo=1)
        due = chk.date(b, "due_date")
        chk.string(b, "description", max_len=255)
        tc = chk.string(b, "type_charge", enum=TYPE_CHARGES)
        self._address(chk, b, "payer_address", True)
        self._address(chk, b, "shipping_address", False)
        for u in ("webhook_url", "redirect_url"):
            v = chk.string(b, u, required=False, max_len=2048)
            if v and (prob := http_url_problem(v)):
                chk.bad(u, "url", prob)
        chk.string(b, "reference_external_id", required=False, max_len=255)
        chk.boolean(b, "is_async")
        capture = chk.boolean(b, "capture")
        threeds = chk.boolean(b, "threeds_authentication")
        sent = [f for f in CARD_FIELDS if f in b]
        if sent and tc not in ("credit_card", "debit_card", None):
            chk.bad(sent[0], "card_only", "card fields belong to credit_card / debit_card charges")
        h2h = bool(sent)
        if h2h:  # H2H: the five card fields go together
            chk.string(b, "card_number", pattern=r"\d{12,19}", pattern_desc="12-19 digits")
            chk.string(b, "card_name", max_len=100)
            chk.string(b, "card_expiry_month", pattern=r"0[1-9]|1[0-2]", pattern_desc="MM")
            chk.string(b, "card_expiry_year", pattern=r"20\d{2}", pattern_desc="YYYY")
            chk.string(b, "card_cvv", pattern=r"\d{3,4}", pattern_desc="3-4 digits")
        di = chk.obj(b, "device_info", required=bool(h2h and threeds))
        if di is not None:
            for f in ("ip_address", "user_agent", "device_id", "session_id", "http_accept_content",
                      "http_browser_language", "http_browser_color_depth", "http_browser_screen_height",
                      "http_browser_screen_width", "http_browser_time_difference"):
                chk.string(di, f, f"device_info.{f}", required=False)
            for f in ("http_browser_java_enabled", "http_browser_javascript_enabled"):
                chk.boolean(di, f, f"device_info.{f}")
        af = chk.obj(b, "antifraud_info", required=False)
        if af is not None:
            chk.string(af, "sales_channel", "antifraud_info.sales_channel", required=False, enum=SALES_CHANNELS)
            chk.boolean(af, "cardholder_logged_in", "antifraud_info.cardholder_logged_in")
            for f in ("cardholder_since_days", "purchase_history", "days_since_last_purchase_merchant"):
                chk.integer(af, f, f"antifraud_info.{f}", required=False, lo=0)
        sub = chk.obj(b, "subscription", required=False)
        if sub is not None:
            chk.string(sub, "cycle", "subscription.cycle", enum=CYCLES)
            chk.date(sub, "end_date", "subscription.end_date", required=False)
        if chk:
            return self.invalid(chk)
        if (r := self.wallet_ok(wallet, chk)):
            return r
        if merchant != MERCHANT:
            chk.refuse("not_found", f"merchant {mask(merchant)}")
            return self.error(404, "errors.merchant.not_found", "merchant", "Merchant not found")
        return Response(200, self._new_charge(b, cur, value, count, due, tc, capture, h2h, threeds, sub))

    def _money(self, cur, v: Decimal):
        q = Decimal(1).scaleb(-DECIMALS[cur])
        return v.quantize(q, rounding=ROUND_DOWN)

    def _new_charge(self, b, cur, value, count, due, tc, capture, h2h, threeds, sub):
        cid = str(uuid.uuid4())
        status, message = "confirmed", None
        if tc in ("pix", "boleto"):
            status = "issued"
        elif tc in ("credit_card", "debit_card") and not h2h:
            status = "issued"  # SDK / checkout page collects the card: payer still has to pay
        elif tc in ("credit_card", "debit_card") and capture is False:
            status = "pending"  # authorised only, waits for capture
        if h2h and b["card_number"][-1] in CARD_OUTCOME:
            code, desc = CARD_OUTCOME[b["card_number"][-1]]
            status, message = "error", [{"code": code, "source": "acquirer", "description": desc}]
        # The example answers installment_value 150.00 x 3 with local_currency 150.00 and three
        # installments of 50.00: the total is split across installments (remainder on the first).
        per = self._money(cur, value / count)
        first = value - per * (count - 1)
        d0 = _dt.date.fromisoformat(due)
        insts = []
        for i in range(count):
            amt = first if i == 0 else per
            insts.append({"local_currency": amt, **self._fx(cur, amt), "currency": cur,
                          "due_date": _add_months(d0, i).isoformat(), "status": status, "installment_number": i + 1})
        ch = {"charge_uuid": cid, "local_currency": value, "currency": cur, **self._fx(cur, value), "type": tc,
              "date": _dt.date.today().isoformat(), "description": b["description"], "due_date": due,
              "status": status, "message": message, "installment_count": count, "installments": insts,
              "charge_payment_url": f"https://pay.a55.example/checkout/{cid}" if not h2h else None,
              "url_3ds": f"https://3ds.a55.example/{cid}" if h2h and threeds else None}
        if tc == "pix":  # field names differ between A55 pages (digest); these are this server's
            ch["pix_qr_code"] = f"00020126580014br.gov.bcb.pix0136{cid}5204000053039865802BR6304ABCD"
            ch["pix_copy_paste"] = ch["pix_qr_code"]
        if tc == "boleto":
            ch["barcode"] = "23793381286008301234567890123456789012345678"
            ch["boleto_url"] = f"https://boleto.a55.example/{cid}.pdf"
        if sub is not None:
            ch["subscription"] = {"subscription_uuid": str(uuid.uuid4()), "cycle": sub["cycle"],
                                  "end_date": sub.get("end_date"), "status": "active"}
        ch["_wallet"], ch["_captured"] = b["wallet_uuid"], capture is not False
        self.charges[cid] = ch
        return self.public(ch)

    def _fx(self, cur, amt: Decimal):
        usd = (amt * Decimal(TO_USD[cur])).quantize(Decimal("0.01"))
        return {"usd_currency": usd, "eur_currency": (usd * USD_EUR).quantize(Decimal("0.01"))}

    @staticmethod
    def public(ch):
        return {k: v for k, v in ch.items() if not k.startswith("_")}

    def _set_status(self, ch, st):
        ch["status"] = st
        for i in ch["installments"]:
            i["status"] = st

    # ------------------------------------------------------------ read / cancel / refund / capture

    def read(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        self.slash(req, chk)
        if chk:
            return self.invalid(chk)
        ch, err = self.charge_or_404(req.params["charge"], chk)
        if err:
            return err
        return Response(200, self.public(ch))

    def cancel(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        self.slash(req, chk)
        if chk:
            return self.invalid(chk)
        ch, err = self.charge_or_404(req.params["charge"], chk)
        if err:
            return err
        if (r := self.wallet_ok(req.params["wallet"], chk, ch["charge_uuid"])):
            return r
        if ch["status"] in ("canceled", "confirmed", "paid", "refunded"):
            chk.refuse("state", f"charge is {ch['status']}")
            return self.error(409, "errors.charge.already_final", "charge",
                              f"Charge is already {ch['status']}", ch["charge_uuid"])
        if ch["status"] not in ("issued", "pending"):
            chk.refuse("state", f"charge is {ch['status']}")
            return self.error(400, "errors.charge.not_cancellable", "charge", "Charge cannot be canceled",
                              ch["charge_uuid"])
        self._set_status(ch, "canceled")
        return Response(200, self.public(ch))

    def refund(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        self.slash(req, chk)
        b = self.json_body(req, chk, allow_empty=True)
        ch = self.charges.get(req.params["charge"])
        if b is not None:
            cur = ch["currency"] if ch else None
            chk.number(b, "amount", required=False, positive=True, decimals=DECIMALS.get(cur, 2))
            chk.string(b, "reason", required=False, max_len=255)
        if chk:
            return self.invalid(chk)
        ch, err = self.charge_or_404(req.params["charge"], chk)
        if err:
            return err
        if (r := self.wallet_ok(req.params["wallet"], chk, ch["charge_uuid"])):
            return r
        if ch["status"] not in ("confirmed", "paid"):
            chk.refuse("state", f"charge is {ch['status']}")
            return self.error(400, "errors.charge.not_refundable", "charge", "Charge cannot be refunded",
                              ch["charge_uuid"])
        amt = b.get("amount")
        if amt is not None and Decimal(amt) > ch["local_currency"]:
            chk.bad("amount", "range", f"refund {amt} exceeds the charge {ch['local_currency']}")
            return self.invalid(chk)
        self._set_status(ch, "refunded")
        return Response(200, self.public(ch))

    def capture(self, req, chk):
        if (r := self.auth(req, chk)):
            return r
        self.slash(req, chk)
        b = self.json_body(req, chk)
        if b is None:
            return self.invalid(chk)
        cid = chk.string(b, "charge_uuid", pattern=UUID_RE, pattern_desc="a UUID")
        wallet = chk.string(b, "wallet_uuid", pattern=UUID_RE, pattern_desc="a UUID")
        ch = self.charges.get(cid) if cid else None
        amt = chk.number(b, "amount", required=False, positive=True,
                         decimals=DECIMALS.get(ch["currency"], 2) if ch else 2)
        if chk:
            return self.invalid(chk)
        ch, err = self.charge_or_404(cid, chk)
        if err:
            return err
        if (r := self.wallet_ok(wallet, chk, cid)):
            return r
        if ch["status"] != "pending" or ch["_captured"]:
            chk.refuse("state", f"charge is {ch['status']}, not an authorised-only charge")
            return self.error(400, "errors.charge.not_capturable", "charge", "Charge cannot be captured", cid)
        if amt is not None and amt > ch["local_currency"]:
            chk.bad("amount", "range", f"capture {amt} exceeds the authorised {ch['local_currency']}")
            return self.invalid(chk)
        ch["_captured"] = True
        self._set_status(ch, "confirmed")
        return Response(200, self.public(ch))
