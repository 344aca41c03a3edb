"""Schemathesis checks of the reliability suite (loaded with SCHEMATHESIS_HOOKS=holdfast_checks).

Holdfast reports refusals (bad input, not found, forbidden, sold out, ...) as GraphQL errors
with a stable `extensions.code`, so schemathesis' built-in `not_a_server_error`, which counts
any GraphQL resolver error as a server failure (ST113), does not fit. These checks say what the
suite promises instead:

- `no_5xx`: no response has a 5xx status;
- `errors_carry_a_code`: every GraphQL error carries a string `extensions.code`;
- `no_internal_error`: no error is `INTERNAL` (a bug or an unclassified failure).
"""

import json

import schemathesis


def _errors(response):
    try:
        body = json.loads(response.text)
    except ValueError:
        return []  # not a GraphQL body (e.g. a 413 from the body limit)
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e if isinstance(e, dict) else {} for e in errors or []]


@schemathesis.check
def no_5xx(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"{response.status_code}: {response.text[:500]}")
    return None


@schemathesis.check
def errors_carry_a_code(ctx, response, case):
    for error in _errors(response):
        if not isinstance((error.get("extensions") or {}).get("code"), str):
            raise AssertionError(f"a GraphQL error without extensions.code: {json.dumps(error)[:500]}")
    return None


@schemathesis.check
def no_internal_error(ctx, response, case):
    for error in _errors(response):
        if (error.get("extensions") or {}).get("code") == "INTERNAL":
            raise AssertionError(f"an INTERNAL error: {json.dumps(error)[:500]}")
    return None
