"""KillB field rules shared by payouts (seed 000) and accounts (seed 002): constants, the
person/contact/document block, the PSE bank-account block, the bank list."""

from __future__ import annotations

import unicodedata

EMAIL = "conformance@giro.test"
PASSWORD = "conformance-password"
API_KEY = "conformance-api-key"
PREFUND_ID = "prefund-conformance"
PREFUND_BALANCE = "10000000.00"
USER_ID = "user-conformance"
USER_FIRST, USER_LAST = "Juan", "García"
TOKEN_TTL_MS = 3_600_000  # expiresIn is in milliseconds (digest)

PAYOUT_STATUSES = {
    "PENDING", "COMPLETED", "ERROR", "FAILED", "REJECTED", "REFUNDED",  # seed 000
    # digest (public docs): the full set
    "CREATED", "PROCESSING", "CASH_IN_PENDING", "CASH_IN_PROCESSING", "CASH_IN_COMPLETED",
    "KYT_OUT_PENDING", "KYT_OUT_PROCESSING", "KYT_OUT_COMPLETED", "CASH_OUT_PENDING",
    "CASH_OUT_PROCESSING", "CASH_OUT_COMPLETED", "REVIEW_NEEDED", "REFUND_PENDING",
    "REFUND_PROCESSING", "REFUND_COMPLETED", "REFUND_FAILED",
}
ALIAS_TYPES = {"NATIONAL_ID", "PHONE", "EMAIL", "ALPHANUMERIC", "BUSINESS_ID"}
ALIAS_FORMATS = {
    "PHONE": (r"(\+57)?3\d{9}", "a Colombian mobile number (3xxxxxxxxx, optionally +57)"),
    "EMAIL": (r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", "an e-mail address"),
    "NATIONAL_ID": (r"\d{5,12}", "5-12 digits"),
    "BUSINESS_ID": (r"\d{9,10}(-?\d)?", "a NIT (9-10 digits, optional check digit)"),
    "ALPHANUMERIC": (r"@?[A-Za-z0-9._-]{3,30}", "3-30 letters/digits (optionally starting with @)"),
}
ACCOUNT_TYPES = {"PSE", "SPEI", "ACH", "WIRE", "TRANSFIYA", "WALLET"}
BANK_ACCOUNT_KIND = {"savings", "checking"}
CLABE_TYPES = {"CLABE": r"\d{18}", "DEBIT_CARD": r"\d{16}", "PHONE_NUMBER": r"\d{10}"}
PREFUND_CURRENCIES = {"COP", "USD", "USDC", "USDT"}
BANKS_CO = [
    {"code": "0001", "companyName": "BANCO DE BOGOTA S.A.", "countryCode": "CO", "tradeName": "Banco de Bogotá"},
    {"code": "0002", "companyName": "BANCO POPULAR S.A.", "countryCode": "CO", "tradeName": "Banco Popular"},
    {"code": "0007", "companyName": "BANCOLOMBIA S.A.", "countryCode": "CO", "tradeName": "Bancolombia"},
    {"code": "0013", "companyName": "BBVA COLOMBIA S.A.", "countryCode": "CO", "tradeName": "BBVA"},
    {"code": "0051", "companyName": "BANCO DAVIVIENDA S.A.", "countryCode": "CO", "tradeName": "Davivienda"},
    {"code": "1507", "companyName": "NEQUI S.A.", "countryCode": "CO", "tradeName": "Nequi"},
    {"code": "1551", "companyName": "DAVIPLATA", "countryCode": "CO", "tradeName": "Daviplata"},
]
DOC_TYPE_RE = r"[A-Z][A-Z_]{1,19}"  # "CC, CE, NIT, NUIP, PASSPORT, …" — an open list
DIGIT_DOCS = {"CC", "CE", "NUIP", "TI", "NIT"}
PAGE_PAYOUTS, PAGE_ACCOUNTS = "000", "002"


def fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).casefold().strip()


def bank_known(code: str) -> bool:
    """bankCode compared as a number: the payout page writes "001", the accounts page "0001"."""
    return code.isdigit() and any(int(b["code"]) == int(code) for b in BANKS_CO)


def person(chk, acc, p, need_all: bool):
    """Name/contact/document fields shared by PSE and BREB beneficiaries and accounts."""
    first = chk.string(acc, "firstName", f"{p}.firstName", required=False, max_len=100)
    company = chk.string(acc, "companyName", f"{p}.companyName", required=False, max_len=150)
    if need_all and first is None and company is None and not any(
            v["field"] in (f"{p}.firstName", f"{p}.companyName") for v in chk.items):
        chk.bad(f"{p}.firstName", "required", "firstName or companyName is required")
    # Ambiguity: "firstName 或 companyName、lastName" — a company may omit lastName.
    chk.string(acc, "lastName", f"{p}.lastName", required=need_all and company is None, max_len=100)
    chk.email(acc, "email", f"{p}.email", required=need_all)
    chk.string(acc, "phone", f"{p}.phone", required=need_all, pattern=r"\+?\d{7,15}",
               pattern_desc="digits, optionally with + and country code")
    doc = chk.obj(acc, "document", f"{p}.document", required=need_all)
    if doc is not None:
        dt = chk.string(doc, "type", f"{p}.document.type", pattern=DOC_TYPE_RE, pattern_desc="a document type code (CC, CE, NIT, NUIP, PASSPORT, …)")
        pat = r"\d{5,15}" if dt in DIGIT_DOCS and dt != "NIT" else (r"\d{9,10}(-?\d)?" if dt == "NIT" else r"[A-Za-z0-9-]{3,20}")
        chk.string(doc, "number", f"{p}.document.number", max_len=20, pattern=pat)
        chk.string(doc, "issuedCountryCode", f"{p}.document.issuedCountryCode", required=False, pattern=r"[A-Z]{2}",
                   pattern_desc="ISO 3166-1 alpha-2")
    return first, company


def pse(chk, acc, p, country="CO"):
    person(chk, acc, p, need_all=True)
    chk.string(acc, "accountNumber", f"{p}.accountNumber", max_len=20, pattern=r"\d{4,20}", pattern_desc="4-20 digits")
    code = chk.string(acc, "bankCode", f"{p}.bankCode", pattern=r"\d{1,6}", pattern_desc="a code from GET /api/v2/banks")
    if code and code.isdigit() and not bank_known(code):
        chk.bad(f"{p}.bankCode", "bank_list", f"bankCode {code} is not in GET /api/v2/banks")
    chk.string(acc, "type", f"{p}.type", enum=BANK_ACCOUNT_KIND)
    chk.string(acc, "countryCode", f"{p}.countryCode", enum={country})
