"""Each function's policy as the stack synthesizes it (infra.capabilities), pointed at local resources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from devserver.iam.operations import ACCOUNT, LOCAL_WEBSOCKET_API_ID, Arns, bucket_arn, websocket_api_arn
from functions.system import FUNCTIONS
from infra.capabilities import PROFILES, ResourceNames, StatementSpec, policy_statements

REGION = "us-east-1"
# `function:Sid[,function:Sid…]`: statements left out of the local policies (the mutation check's single removals).
REVOKE_VARIABLE = "LOCAL_IAM_REVOKE"


@dataclass(frozen=True)
class LocalNames:
    """The names of the local resources the policies point at (the stack's table, bucket and functions)."""

    table: str
    idempotency_table: str
    bucket: str
    region: str = REGION
    connections_table: str = "connections"
    websocket_api_id: str = LOCAL_WEBSOCKET_API_ID

    def resource_names(self) -> ResourceNames:
        arns = Arns(self.region, ACCOUNT)
        return ResourceNames(
            table_arn=arns.table(self.table),
            idempotency_table_arn=arns.table(self.idempotency_table),
            bucket_arn=bucket_arn(self.bucket),
            bucket_name=self.bucket,
            function_arns={name: arns.function(name) for name in FUNCTIONS},
            connections_table_arn=arns.table(self.connections_table),
            websocket_api_arn=websocket_api_arn(arns, self.websocket_api_id),
        )


def parse_revocations(raw: str | None) -> frozenset[tuple[str, str]]:
    """(function, Sid) pairs from `LOCAL_IAM_REVOKE`; a malformed entry is an error, not silently kept."""
    pairs = set()
    for entry in filter(None, (part.strip() for part in (raw or "").split(","))):
        function, sep, sid = entry.partition(":")
        if not sep or function not in PROFILES or not sid:
            raise ValueError(f"{REVOKE_VARIABLE}: expected function:Sid, got {entry!r}")
        pairs.add((function, sid))
    return frozenset(pairs)


def local_policies(
    names: LocalNames, revoked: frozenset[tuple[str, str]] = frozenset()
) -> Mapping[str, list[StatementSpec]]:
    """Every deployed function's statements with local ARNs, less the revoked ones."""
    resources = names.resource_names()
    return {
        function: [spec for spec in policy_statements(function, resources) if (function, spec.sid) not in revoked]
        for function in FUNCTIONS
    }
