"""Validates live answers of a running projection against its OpenAPI document, independently of
the Rust code: the document is fetched from the server's own /openapi.json, each request is sent
with urllib, and each answer's body is validated by Python jsonschema (Draft 2020-12, formats
checked) against the schema the document gives for its path, method, status and media type.

Usage: python openapi_validate.py BASE_URL CASES_JSON
CASES_JSON is a list of {"method", "path" (with the query), "template" (the document's path),
"status" (expected), "body" (optional, sent as text/csv)}. Exits 1 naming every mismatch.
"""

import json
import sys
import urllib.error
import urllib.request

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOC_URI = "urn:giro:openapi"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer of its own (its documented 303), not followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(base, case):
    data = case.get("body")
    request = urllib.request.Request(
        base + case["path"],
        method=case["method"].upper(),
        data=None if data is None else data.encode(),
        headers={} if data is None else {"Content-Type": "text/csv"},
    )
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def pointer(*tokens):
    return "".join("/" + str(t).replace("~", "~0").replace("/", "~1") for t in tokens)


def main():
    base, cases_file = sys.argv[1], sys.argv[2]
    with urllib.request.urlopen(base + "/openapi.json", timeout=30) as response:
        doc = json.load(response)
    if not str(doc.get("openapi", "")).startswith("3.1"):
        sys.exit(f"/openapi.json is not an OpenAPI 3.1 document: {doc.get('openapi')!r}")
    registry = Registry().with_resource(
        DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012)
    )
    with open(cases_file) as f:
        cases = json.load(f)
    failures = []
    failed = set()
    for index, case in enumerate(cases):
        what = f"{case['method'].upper()} {case['path']}"
        status, content_type, body = fetch(base, case)
        if status != case["status"]:
            failed.add(index)
            failures.append(f"{what}: status {status}, expected {case['status']}: {body[:300]!r}")
            continue
        operation = doc["paths"].get(case["template"], {}).get(case["method"])
        if operation is None:
            failed.add(index)
            failures.append(f"{what}: the document has no {case['method']} {case['template']}")
            continue
        media = content_type.split(";")[0].strip()
        documented = operation["responses"].get(str(status))
        if documented is None:
            failed.add(index)
            failures.append(f"{what}: {status} is not among its documented answers")
            continue
        contents = documented.get("content", {})
        if not contents and not body:
            # Documented without a body (a redirect), answered without one.
            continue
        if media not in contents:
            failed.add(index)
            failures.append(
                f"{what}: {status} {media!r} is not documented (documented: {sorted(contents)})"
            )
            continue
        try:
            instance = json.loads(body) if media == "application/json" else body.decode()
        except ValueError as e:
            failed.add(index)
            failures.append(f"{what}: the {media} body does not parse: {e}")
            continue
        ref = DOC_URI + "#" + pointer(
            "paths", case["template"], case["method"], "responses", str(status),
            "content", media, "schema",
        )
        validator = Draft202012Validator(
            {"$ref": ref},
            registry=registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        for e in errors:
            at = "/".join(str(p) for p in e.absolute_path)
            failed.add(index)
            failures.append(f"{what}: {status} {media} at /{at}: {e.message}")
    if failures:
        print("\n".join(failures))
        print(f"{len(failed)} of {len(cases)} answers do not match the document")
        sys.exit(1)
    print(f"{len(cases)} answers match the document served at {base}/openapi.json")


if __name__ == "__main__":
    main()
