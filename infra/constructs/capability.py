"""The base of every capability construct, and the logical ids that keep them out of CloudFormation's names.

CDK names a resource after its construct path, so wrapping resources that were made directly in the stack into a
construct would rename them, and CloudFormation replaces a renamed resource (a new bucket, a new table). A
`Capability` is left out of that path: its children keep the logical ids they had at the stack's top level. Their
ids must therefore be unique across the stack, which `CapabilityStack` checks.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import aws_cdk as cdk
from constructs import Construct

# The rules of aws-cdk-lib's makeUniqueId (core/lib/private/uniqueid.ts), which Stack.allocateLogicalId applies.
_HIDDEN = "Default"
_HIDDEN_FROM_HUMAN = "Resource"
_HASH_LENGTH = 8
_MAX_HUMAN_LENGTH = 240
_MAX_ID_LENGTH = 255


class Capability(Construct):
    """A group of resources that together provide one capability; it adds nothing to their logical ids."""


def _alphanumeric(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text)


def unique_id(components: list[str]) -> str:
    """CDK's logical id for a path of construct ids below the stack: the readable part, then a hash of the path."""
    components = [component for component in components if component != _HIDDEN]
    if not components:
        raise ValueError("a logical id needs at least one path component")
    if len(components) == 1 and len(_alphanumeric(components[0])) <= _MAX_ID_LENGTH:
        return _alphanumeric(components[0])
    digest = hashlib.md5("/".join(components).encode(), usedforsecurity=False).hexdigest()
    readable: list[str] = []
    for component in components:
        if not readable or not readable[-1].endswith(component):
            readable.append(component)
    human = "".join(_alphanumeric(part) for part in readable if part != _HIDDEN_FROM_HUMAN)
    return human[:_MAX_HUMAN_LENGTH] + digest[:_HASH_LENGTH].upper()


class CapabilityStack(cdk.Stack):
    """A stack whose logical ids leave every Capability out of the path; two resources never share one."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        # Set before the stack exists: CDK may allocate ids from the stack's own constructor.
        self._paths_by_logical_id: dict[str, str] = {}
        # CDK asks again for every reference to an element; each answer costs calls across jsii.
        self._allocated: dict[cdk.CfnElement, str] = {}
        super().__init__(scope, construct_id, **kwargs)

    def _allocate_logical_id(self, cfn_element: cdk.CfnElement) -> str:
        if cfn_element not in self._allocated:
            self._allocated[cfn_element] = self._logical_id(cfn_element)
        return self._allocated[cfn_element]

    def _logical_id(self, cfn_element: cdk.CfnElement) -> str:
        scopes = cfn_element.node.scopes
        below_stack = scopes[scopes.index(self) + 1 :]
        logical_id = unique_id([scope.node.id for scope in below_stack if not isinstance(scope, Capability)])
        path = cfn_element.node.path
        if self._paths_by_logical_id.setdefault(logical_id, path) != path:
            raise ValueError(f"{path} and {self._paths_by_logical_id[logical_id]} would share the id {logical_id}")
        return logical_id
