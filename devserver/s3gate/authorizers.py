"""The gate's authorizer over the IAM enforcement's engine (devserver/iam): each function's deployed policy."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from devserver.iam import usage
from devserver.iam.policies import REVOKE_VARIABLE, LocalNames, local_policies, parse_revocations
from devserver.iam.policy import Request, allowing_statement
from infra.capabilities import StatementSpec


class PolicyAuthorizer:
    """Allow statements of the function's policy, default deny; every allowed request is counted as a grant used."""

    def __init__(self, policies: Mapping[str, Sequence[StatementSpec]]) -> None:
        self._policies = policies

    def is_allowed(self, function: str, action: str, resource: str, context: dict[str, str]) -> bool:
        statement = allowing_statement(self._policies.get(function, []), Request(action, resource, context))
        if statement is None:
            usage.record("denied", function, action)
            return False
        usage.record("allowed", function, statement.sid)
        return True


def deployed_policies(table: str, idempotency_table: str, bucket: str) -> PolicyAuthorizer:
    """The policies the stack synthesizes, on the local resources, less `LOCAL_IAM_REVOKE`'s statements."""
    names = LocalNames(table=table, idempotency_table=idempotency_table, bucket=bucket)
    return PolicyAuthorizer(local_policies(names, parse_revocations(os.environ.get(REVOKE_VARIABLE))))
