"""Capability constructs group resources without renaming them: a deployed stack keeps its bucket and tables."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Template
from constructs import Construct

from infra.constructs import Capability, CapabilityStack

# The logical ids of what holds data or identities, as deployed before the stack was split into constructs: a
# changed id would make CloudFormation create a new bucket, table or user pool (and orphan the retained one).
STATEFUL_IDS = {
    "MediaA721A567": "AWS::S3::Bucket",
    "MediaPolicyB55044B9": "AWS::S3::BucketPolicy",
    "MediaNotifications2E8C38A3": "Custom::S3BucketNotifications",
    "Assets9A31D427": "AWS::DynamoDB::Table",
    "IdempotencyC15CBC33": "AWS::DynamoDB::Table",
    "Users0A0EEA89": "AWS::Cognito::UserPool",
    "UsersSpa85E8690B": "AWS::Cognito::UserPoolClient",
}


def resources(stack: cdk.Stack) -> dict[str, Any]:
    return dict(Template.from_stack(stack).to_json()["Resources"])


def test_stateful_resources_keep_their_logical_ids(template: dict[str, Any]) -> None:
    # Then the bucket, its policy and notifications, the tables and the user pool have the ids they had
    assert {logical_id: template["Resources"][logical_id]["Type"] for logical_id in STATEFUL_IDS} == STATEFUL_IDS


def test_a_capability_adds_nothing_to_the_logical_ids_of_what_it_holds() -> None:
    # Given the same queues made in a plain stack, and inside a capability of a CapabilityStack (CDK's built-in
    # template validation, seconds per synth, checks nothing about logical ids: off, as for the stack's own tests)
    app = cdk.App(builtin_cloud_formation_validation=False)
    plain = cdk.Stack(app, "Plain")
    grouped = CapabilityStack(app, "Grouped")
    for scope in (plain, Capability(grouped, "Capability")):
        sqs.Queue(scope, "Queue")
        sqs.Queue(Construct(scope, "Nested"), "Queue")
    # Then the logical ids are the same (the nested one's hash included)
    assert set(resources(grouped)) == set(resources(plain))
    assert len(resources(plain)) == 2


def test_two_resources_that_would_share_a_logical_id_are_refused() -> None:
    # Given two capabilities that each hold a queue of the same id
    app = cdk.App(builtin_cloud_formation_validation=False)
    stack = CapabilityStack(app, "Clash")
    sqs.Queue(Capability(stack, "First"), "Queue")
    sqs.Queue(Capability(stack, "Second"), "Queue")
    # When the stack is synthesized
    # Then it fails instead of merging two resources into one
    with pytest.raises(Exception, match="would share the id"):
        resources(stack)
