"""Shared pieces of the conformance reference server: requests, responses,
the per-request rule checker, the report, and masking for log lines.

Written from the providers' pages (../shared/seeds/*.txt) and the digest
(../shared/PROVIDERS.md) only.
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import json
import re
import threading
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

# ---------------------------------------------------------------- requests


class Request:
    """One HTTP request as the providers see it."""

    def __init__(self, method: str, path: str, query: str, headers, body: bytes):
        self.method = method
        self.path = path
        self.query = urllib.parse.parse_qs(query, keep_blank_values=True)
        self.headers = headers  # case-insensitive (email.message.Message)
        self.body = body
        self.params: dict[str, str] = {}

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def q(self, name: str) -> str | None:
        vals = self.query.get(name)
        return vals[0] if vals else None

    def q_all(self, name: str) -> list[str]:
        return self.query.get(name, [])


@dataclass
class Response:
    status: int
    body: Any = None
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, (bytes, bytearray)):
            return bytes(self.body)
        if isinstance(self.body, str) and self.content_type != "application/json":
            return self.body.encode()
        return json.dumps(self.body, ensure_ascii=False, default=_json_default).encode()


def _json_default(o):
    if isinstance(o, Decimal):
        return int(o) if o == o.to_integral_value() and o.as_tuple().exponent >= 0 else float(o)
    raise TypeError(type(o))


def parse_json(body: bytes):
    """JSON with decimals kept exact (floats become Decimal, never rounded)."""
    return json.loads(body.decode("utf-8"), parse_float=Decimal)


# ---------------------------------------------------------------- operations


@dataclass
class Operation:
    name: str
    method: str  # "*" = any method reaches the handler (it checks itself)
    pattern: str  # regex on the path after the provider prefix
    page: str  # seed file number, e.g. "000"; "digest" when only PROVIDERS.md has it
    section: str
    handler: Callable = None
    regex: re.Pattern = None

    def __post_init__(self):
        self.regex = re.compile("^" + self.pattern + "$")


class Checker:
    """Collects the page-rule violations of one request."""

    def __init__(self, op: Operation):
        self.op = op
        self.items: list[dict] = []
        self.refused: list[dict] = []

    def refuse(self, reason: str, detail: str = ""):
        """A 4xx that breaks no page rule (unknown id, duplicate order, wrong state)."""
        self.refused.append({"operation": self.op.name, "reason": reason, "detail": detail})

    def __bool__(self):
        return bool(self.items)

    def bad(self, fld: str, rule: str, detail: str = ""):
        self.items.append({"operation": self.op.name, "field": fld, "rule": rule,
                           "page": self.op.page, "detail": detail})

    # -- typed field checks; each returns the value (or None) and records violations

    def present(self, obj: dict, name: str, path: str, required: bool) -> bool:
        if not isinstance(obj, dict) or name not in obj or obj[name] is None:
            if required:
                self.bad(path, "required", f"{path} is required")
            return False
        return True

    def string(self, obj, name, path=None, required=True, max_len=None, min_len=1,
               pattern=None, enum=None, pattern_desc=None):
        path = path or name
        if not self.present(obj, name, path, required):
            return None
        v = obj[name]
        if not isinstance(v, str):
            self.bad(path, "type", f"{path} must be a string, got {type_name(v)}")
            return None
        if len(v) < min_len:
            self.bad(path, "required", f"{path} must not be empty")
            return None
        if max_len is not None and len(v) > max_len:
            self.bad(path, "max_length", f"{path} longer than {max_len} characters ({len(v)})")
        if enum is not None and v not in enum:
            self.bad(path, "enum", f"{path} must be one of {sorted(enum)}, got {mask(v)}")
        if pattern is not None and not re.fullmatch(pattern, v):
            self.bad(path, "format", f"{path} must be {pattern_desc or pattern}, got {mask(v)}")
        return v

    def integer(self, obj, name, path=None, required=True, lo=None, hi=None, enum=None):
        path = path or name
        if not self.present(obj, name, path, required):
            return None
        v = obj[name]
        if isinstance(v, bool) or not isinstance(v, int):
            self.bad(path, "type", f"{path} must be an integer, got {type_name(v)}")
            return None
        self._range(path, Decimal(v), lo, hi)
        if enum is not None and v not in enum:
            self.bad(path, "enum", f"{path} must be one of {sorted(enum)}, got {v}")
        return v

    def number(self, obj, name, path=None, required=True, decimals=None, lo=None, hi=None,
               positive=False):
        """A JSON number (not a string). decimals: max digits after the point, checked
        on the value exactly as sent (never rounded)."""
        path = path or name
        if not self.present(obj, name, path, required):
            return None
        v = obj[name]
        if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
            self.bad(path, "type", f"{path} must be a JSON number, got {type_name(v)}")
            return None
        d = Decimal(v)
        if not d.is_finite():
            self.bad(path, "type", f"{path} must be a finite number")
            return None
        if decimals is not None and decimal_places(d) > decimals:
            self.bad(path, "decimals", f"{path} allows {decimals} decimal places, got {d}")
        if positive and d <= 0:
            self.bad(path, "range", f"{path} must be greater than 0, got {d}")
        self._range(path, d, lo, hi)
        return d

    def boolean(self, obj, name, path=None, required=False):
        path = path or name
        if not self.present(obj, name, path, required):
            return None
        v = obj[name]
        if not isinstance(v, bool):
            self.bad(path, "type", f"{path} must be a boolean, got {type_name(v)}")
            return None
        return v

    def obj(self, obj, name, path=None, required=True):
        path = path or name
        if not self.present(obj, name, path, required):
            return None
        v = obj[name]
        if not isinstance(v, dict):
            self.bad(path, "type", f"{path} must be an object, got {type_name(v)}")
            return None
        return v

    def date(self, obj, name, path=None, required=True):
        v = self.string(obj, name, path, required, pattern=r"\d{4}-\d{2}-\d{2}",
                        pattern_desc="YYYY-MM-DD")
        if v and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            try:
                _dt.date.fromisoformat(v)
            except ValueError:
                self.bad(path or name, "format", f"{path or name} is not a real date: {v}")
                return None
        return v

    def email(self, obj, name, path=None, required=True, max_len=None):
        return self.string(obj, name, path, required, max_len=max_len,
                           pattern=r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", pattern_desc="an e-mail address")

    def _range(self, path, d, lo, hi):
        if lo is not None and d < lo:
            self.bad(path, "range", f"{path} must be >= {lo}, got {d}")
        if hi is not None and d > hi:
            self.bad(path, "range", f"{path} must be <= {hi}, got {d}")


def decimal_places(d: Decimal) -> int:
    """Digits after the point that carry value (10000.10 -> 1, 10000.123 -> 3, 5.0 -> 0)."""
    d = d.normalize()
    exp = d.as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def type_name(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, Decimal):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def content_type_is(req: Request, want: str) -> bool:
    ct = (req.header("Content-Type") or "").split(";")[0].strip().lower()
    return ct == want


def bearer(req: Request) -> str | None:
    auth = req.header("Authorization") or ""
    m = re.fullmatch(r"Bearer (\S+)", auth.strip())
    return m.group(1) if m else None


def http_url_problem(url: str, need_public_domain: bool = False) -> str | None:
    """None if url is an http(s) URL (and, if asked, on a public domain name)."""
    try:
        u = urllib.parse.urlsplit(url)
    except ValueError:
        return "not a URL"
    if u.scheme not in ("http", "https"):
        return "scheme must be http or https"
    host = u.hostname or ""
    if not host:
        return "no host"
    if need_public_domain:
        try:
            ipaddress.ip_address(host)
            return "host is an IP address; a public domain name is required"
        except ValueError:
            pass
        if "." not in host or host == "localhost" or host.endswith((".localhost", ".local", ".internal",
                                                                       ".test", ".invalid", ".example")):
            return "host is not a public domain name"
    return None


def now_iso() -> str:
    t = _dt.datetime.now(_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"  # 2024-01-15T10:30:00.000Z


# ---------------------------------------------------------------- masking


def mask(v) -> str:
    """Never show a secret or a personal value in full: keep 2 characters each side."""
    s = str(v)
    if len(s) <= 4:
        return "*" * len(s)
    return s[:2] + "*" * (len(s) - 4) + s[-2:]


def masked_target(path: str, query: str) -> str:
    if not query:
        return path
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    return path + "?" + "&".join(f"{k}={mask(v) if k not in ('page', 'limit', 'status', 'type', 'countryCode') else v}"
                                 for k, v in pairs)


# ---------------------------------------------------------------- report


class Report:
    def __init__(self):
        self.lock = threading.Lock()
        self.clear()

    def clear(self):
        self.operations: Counter = Counter()
        self.violations: list[dict] = []
        self.unknown: list[dict] = []
        self.refusals: list[dict] = []

    def snapshot(self) -> dict:
        with self.lock:
            return {"operations": dict(self.operations), "violations": list(self.violations),
                    "unknown_requests": list(self.unknown), "refusals": list(self.refusals)}

