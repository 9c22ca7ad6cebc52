"""Cashy payout gateway fake, one instance per country: /cashy-co (seed 001, COP) and
/cashy-tz (seed 004, TZS). Digest PROVIDERS.md section 2 for the Sign algorithm, the error
msg names, getBalance and bankListQuery.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import re
import time
import uuid
from decimal import Decimal

from common import Checker, Operation, Request, Response, content_type_is, http_url_problem, mask, parse_json

# remark: "请使用英文字符或不带重音的西语" — English letters / unaccented Spanish: printable ASCII
REMARK_RE = r"[A-Za-z0-9 .,:;_#/()'!?&+-]+"
ID_TYPES_CO = {"CC", "CE", "TI", "NIT", "PA", "1", "2", "3", "4", "5"}  # names or their numbers 1..5


class Country:
    def __init__(self, code, prefix, page, merchant, key, currency, lo, hi, decimals, name_len, email_len,
                 account_types, banks, id_required, str_amounts):
        self.code, self.prefix, self.page = code, prefix, page
        self.merchant, self.key, self.currency = merchant, key, currency
        self.lo, self.hi, self.decimals = Decimal(lo), Decimal(hi), decimals
        self.name_len, self.email_len = name_len, email_len
        self.account_types, self.banks = account_types, banks
        self.id_required, self.str_amounts = id_required, str_amounts


CO = Country("co", "/cashy-co", "001", "100001", "conformance-key-co", "COP", 10000, 5000000, 2, 32, 32,
             {0, 1}, [{"bankId": 20, "bankCode": "1007", "bankName": "BANCOLOMBIA"},
                      {"bankId": 21, "bankCode": "1001", "bankName": "BANCO DE BOGOTA"},
                      {"bankId": 22, "bankCode": "1051", "bankName": "DAVIVIENDA"},
                      {"bankId": 29, "bankCode": "1551", "bankName": "DAVIPLATA"},
                      {"bankId": 33, "bankCode": "1507", "bankName": "NEQUI"}],
             id_required=True, str_amounts=False)
TZ = Country("tz", "/cashy-tz", "004", "1002001", "conformance-key-tz", "TZS", 500, 3000000, 0, 64, 64,
             {0, 1, 2, 3}, [{"bankId": 1, "bankCode": "AIRTEL", "bankName": "Airtel Money"},
                            {"bankId": 2, "bankCode": "TIGO", "bankName": "Tigo Pesa"},
                            {"bankId": 3, "bankCode": "HALOTEL", "bankName": "Halopesa"},
                            {"bankId": 4, "bankCode": "VODACOM", "bankName": "M-Pesa Vodacom"}],
             id_required=False, str_amounts=True)


def sign(body: bytes, key: str) -> str:
    """Sign = MD5(raw JSON body bytes + apiKey), 32 uppercase hex (digest, public docs)."""
    return hashlib.md5(body + key.encode()).hexdigest().upper()


class Cashy:
    def __init__(self, c: Country):
        self.c = c
        self.prefix = c.prefix
        self.reset_state()

    def reset_state(self):
        self.orders: dict[str, dict] = {}  # orderNo -> order
        self.by_mch: dict[str, str] = {}
        self.created: dict[str, float] = {}
        self.balance = Decimal("50000000.00") if self.c.code == "co" else Decimal("30000000")

    def operations(self):
        n, pg, D = "cashy-" + self.c.code, self.c.page, "digest"
        return [
            Operation(f"{n}.payOut", "*", r"/api/payOut", pg, "Create Payout Order / 创建代付订单", self.pay_out),
            Operation(f"{n}.payOutQuery", "*", r"/api/payOutQuery", pg, "Query Payout Order / 查询代付订单", self.query),
            Operation(f"{n}.getBalance", "*", r"/api/getBalance", D, "2. Cashy — Other (public docs)", self.get_balance),
            Operation(f"{n}.bankListQuery", "*", r"/api/bankListQuery", D, "2. Cashy — Other (public docs)", self.bank_list),
        ]

    # ------------------------------------------------------------ envelope

    @staticmethod
    def fail(http: int, msg: str, code: int | None = None) -> Response:
        return Response(http, {"code": code or http, "msg": msg})

    def ok(self, data) -> Response:
        return Response(200, {"code": 200, "msg": "SUCCESS", "data": data})

    def envelope(self, req: Request, chk: Checker):
        """Method, Content-Type, MerchantId, Sign and JSON body — common to every call.
        Returns (body, None) or (None, error response)."""
        if req.method != "POST":
            chk.bad("method", "RequestMethod_not_post", "every Cashy call is POST")
            return None, self.fail(405, "RequestMethod_not_post")
        if not content_type_is(req, "application/json"):
            chk.bad("header.Content-Type", "RequestContentType_not_json", "Content-Type: application/json is required")
            return None, self.fail(415, "RequestContentType_not_json")
        mid = req.header("MerchantId")
        if not mid:
            chk.bad("header.MerchantId", "MerchantId_is_null", "MerchantId header is required")
            return None, self.fail(400, "MerchantId_is_null")
        if not mid.isdigit():
            chk.bad("header.MerchantId", "MerchantId_not_Number", "MerchantId must be a number")
            return None, self.fail(400, "MerchantId_not_Number")
        if mid != self.c.merchant:
            chk.bad("header.MerchantId", "MerchantId_is_error", f"unknown merchant {mask(mid)}")
            return None, self.fail(400, "MerchantId_is_error")
        if not req.body:
            chk.bad("body", "RequestBody_is_null", "a JSON body is required")
            return None, self.fail(400, "RequestBody_is_null")
        sg = req.header("Sign")
        want = sign(req.body, self.c.key)
        if not sg:
            chk.bad("header.Sign", "required", "Sign header is required")
            return None, self.fail(401, "Sign_verify_error")
        if not hmac.compare_digest(sg, want):
            if sg.upper() == want:
                chk.bad("header.Sign", "uppercase", "Sign must be 32 uppercase hex characters")
            else:
                chk.bad("header.Sign", "Sign_verify_error", "Sign != MD5(raw body + key), uppercase hex")
            return None, self.fail(401, "Sign_verify_error")
        try:
            body = parse_json(req.body)
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            chk.bad("body", "Params_jsonFormat_error", "body must be a JSON object")
            return None, self.fail(400, "Params_jsonFormat_error")
        return body, None

    def invalid(self, chk: Checker) -> Response:
        v = chk.items[0]
        fld = v["field"].split(".")[-1]
        msg = f"Params_{fld}_Required" if v["rule"] == "required" else f"Params_{fld}_error"
        return self.fail(400, msg)

    # ------------------------------------------------------------ payOut

    def pay_out(self, req, chk):
        body, err = self.envelope(req, chk)
        if err:
            return err
        c = self.c
        chk.string(body, "accountName", max_len=c.name_len)
        acc_no = chk.string(body, "accountNo", max_len=32)
        if c.code == "tz" and acc_no is not None and not re.fullmatch(r"(\+?255|0)?\d{9}", acc_no):
            chk.bad("accountNo", "format", "accountNo is the mobile wallet number (9 digits, optional 255/0 prefix)")
        # accountType int. Tanzania's own example sends "1" (a string): both accepted there.
        at = body.get("accountType")
        if c.code == "tz" and isinstance(at, str) and re.fullmatch(r"\d", at):
            at = int(at)
            chk.integer({"accountType": at}, "accountType", enum=c.account_types)
        else:
            chk.integer(body, "accountType", enum=c.account_types)
        chk.string(body, "currency", max_len=32, enum={c.currency})
        chk.number(body, "amount", decimals=c.decimals, lo=c.lo, hi=c.hi)
        # bankId: required int from the bank list (CO); Tanzania's table omits it but its
        # example sends it — optional there, checked when sent.
        bank = chk.integer(body, "bankId", required=c.code == "co")
        if bank is not None and bank not in {b["bankId"] for b in c.banks}:
            chk.bad("bankId", "bank_list", f"bankId {bank} is not in bankListQuery")
        mch = chk.string(body, "mchOrderNo", max_len=32)
        url = chk.string(body, "notifyUrl", max_len=250)
        if url and (prob := http_url_problem(url, need_public_domain=True)):
            chk.bad("notifyUrl", "public_http_url", prob)
        chk.string(body, "nonceStr", max_len=32)
        if c.code == "co":
            chk.string(body, "idType", max_len=32, enum=ID_TYPES_CO)
        else:
            chk.string(body, "idType", max_len=32, required=False)
        chk.string(body, "idCard", max_len=32, required=c.id_required)
        chk.string(body, "phone", max_len=32, required=False, pattern=r"\+?[0-9 ]{6,20}", pattern_desc="a phone number")
        chk.email(body, "email", required=False, max_len=c.email_len)
        chk.string(body, "remark", max_len=32, pattern=REMARK_RE,
                   pattern_desc="English characters or unaccented Spanish")
        if chk:
            return self.invalid(chk)
        amount = Decimal(body["amount"])
        if mch in self.by_mch:
            chk.refuse("duplicate", f"mchOrderNo {mask(mch)} already used")
            return self.fail(400, "Params_mchOrderNo_error")
        if amount > self.balance:
            chk.refuse("balance", "merchant balance too low")
            return self.fail(400, "Balance_not_enough")
        self.balance -= amount
        order_no = "PAYOUT" + str(uuid.uuid4().int)[:19]
        order = {"merchantId": c.merchant, "mchOrderNo": mch, "orderNo": order_no, "channelOrderNo": None,
                 "amount": amount, "fee": None, "orderStatus": "PROCESSING", "completionTime": None,
                 "resultDesc": None}
        self.orders[order_no] = order
        self.by_mch[mch] = order_no
        self.created[order_no] = time.time()
        return self.ok({"merchantId": c.merchant, "mchOrderNo": mch, "orderNo": order_no,
                        "amount": self._amt(amount), "fee": self._amt(Decimal(0)), "orderStatus": "PROCESSING"})

    def _amt(self, d: Decimal | None, as_string=False):
        if d is None:
            return None
        if as_string:
            return str(int(d)) if d == d.to_integral_value() else str(d)
        return int(d) if self.c.decimals == 0 else float(d)

    # ------------------------------------------------------------ payOutQuery

    def _advance(self, o):
        """PROCESSING → PAYING → SUCCESS (fee and completionTime set only on success)."""
        age = time.time() - self.created[o["orderNo"]]
        if o["orderStatus"] == "PROCESSING" and age >= 0.5:
            o["orderStatus"] = "PAYING"
        if o["orderStatus"] == "PAYING" and age >= 2:
            o["orderStatus"] = "SUCCESS"
            o["fee"] = Decimal("3500.00") if self.c.code == "co" else Decimal("5150")
            o["channelOrderNo"] = "CH" + o["orderNo"][6:]
            o["completionTime"] = _dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            o["resultDesc"] = "SUCCESS"
        return o

    def query(self, req, chk):
        body, err = self.envelope(req, chk)
        if err:
            return err
        mch = chk.string(body, "mchOrderNo", max_len=32, required=False)
        ono = chk.string(body, "orderNo", max_len=32, required=False)
        chk.string(body, "nonceStr", max_len=32)
        if mch is None and ono is None and not chk:
            chk.bad("orderNo", "required", "at least one of orderNo and mchOrderNo is required")
        if chk:
            return self.invalid(chk)
        key = ono if ono is not None else self.by_mch.get(mch)
        o = self.orders.get(key)
        if o is None or (mch is not None and o["mchOrderNo"] != mch):
            chk.refuse("not_found", "no such order")
            return self.fail(404, "Order_not_exist")
        o = self._advance(o)
        s = self.c.str_amounts  # Tanzania's page answers amounts as strings ("60000", "5150")
        return self.ok(dict(o, amount=self._amt(o["amount"], s), fee=self._amt(o["fee"], s)))

    # ------------------------------------------------------------ other (digest)

    def get_balance(self, req, chk):
        body, err = self.envelope(req, chk)
        if err:
            return err
        chk.string(body, "nonceStr", max_len=32)
        if chk:
            return self.invalid(chk)
        return self.ok({"mchId": self.c.merchant, "balance": self._amt(self.balance),
                        "unBalance": self._amt(Decimal(0))})

    def bank_list(self, req, chk):
        body, err = self.envelope(req, chk)
        if err:
            return err
        chk.string(body, "nonceStr", max_len=32, required=False)
        if chk:
            return self.invalid(chk)
        return self.ok(self.c.banks)
