"""The IAM evaluator: one request against one identity policy, Allow statements only, default deny. No I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from infra.capabilities import StatementSpec


@dataclass(frozen=True)
class Request:
    """What one API call asks IAM: an action on a resource, with the request's condition keys."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    # IAM wildcards: `*` is any run of characters (`/` and `:` included), `?` exactly one; nothing else is special.
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in glob)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def matches(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    return _pattern(glob, ignore_case).fullmatch(value) is not None


def _values(raw: object) -> list[str]:
    return [str(item) for item in raw] if isinstance(raw, list | tuple) else [str(raw)]


def _condition_holds(operator: str, key: str, expected: object, context: Mapping[str, str]) -> bool:
    # Condition keys are case-insensitive; values are compared case-sensitively.
    actual = next((value for name, value in context.items() if name.lower() == key.lower()), None)
    patterns = _values(expected)
    if operator == "StringEquals":
        return actual is not None and actual in patterns
    if operator == "StringLike":
        return actual is not None and any(matches(pattern, actual) for pattern in patterns)
    if operator == "Null":
        # "false": the request must carry the key (say `s3:if-none-match`, a conditional write); "true": it must not.
        return all((actual is None) == (value.lower() == "true") for value in patterns)
    if operator == "ForAllValues:StringLike":
        # Each value the request carries must match; locally a request always carries the key it is checked on.
        return actual is not None and any(matches(pattern, actual) for pattern in patterns)
    if operator == "StringNotLike":
        # As IAM: a negated operator on a key the request does not carry holds.
        return actual is None or not any(matches(pattern, actual) for pattern in patterns)
    raise ValueError(f"condition operator {operator} is not emulated")


def _statement_allows(statement: StatementSpec, request: Request) -> bool:
    if not any(matches(action, request.action, ignore_case=True) for action in statement.actions):
        return False
    if not any(matches(resource, request.resource) for resource in statement.resources):
        return False
    return all(
        _condition_holds(operator, key, expected, request.context)
        for operator, keys in (statement.conditions or {}).items()
        for key, expected in keys.items()
    )


def allowing_statement(statements: Iterable[StatementSpec], request: Request) -> StatementSpec | None:
    """The first statement that allows `request`, or None: denied (no identity-based policy allows it)."""
    return next((statement for statement in statements if _statement_allows(statement, request)), None)
