"""One Lambda function of functions.system with what is its own: role, log group, failure queue and alarms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from functions import system
from infra.capabilities import PROFILES, Invocation, ResourceNames, policy_statements
from infra.constructs.alarms import Alarms
from infra.constructs.capability import Capability
from infra.constructs.logs import LogGroup
from infra.constructs.network import IsolatedNetwork
from infra.constructs.package import FunctionPackage

# What Lambda needs to attach a function to the subnets (CDK adds it only to roles it creates itself).
VPC_ACCESS_POLICY = "service-role/AWSLambdaVPCAccessExecutionRole"


def resource_prefix(name: str) -> str:
    """The function's name as its resources' ids begin: `ingest_worker` -> `IngestWorker`."""
    return "".join(part.title() for part in name.split("_"))


def role_statements(name: str, names: ResourceNames) -> list[iam.PolicyStatement]:
    """The role's statements, from the one table in infra.capabilities that the local IAM emulation enforces."""
    return [
        iam.PolicyStatement(
            sid=spec.sid,
            actions=list(spec.actions),
            resources=list(spec.resources),
            conditions=dict(spec.conditions) if spec.conditions else None,
        )
        for spec in policy_statements(name, names)
    ]


class GalleryFunction(Capability):
    """A function with a role of its own holding only its profile's grants; if asynchronous, a failure queue too."""

    def __init__(
        self,
        scope: Construct,
        name: str,
        *,
        package: FunctionPackage,
        environment: Mapping[str, str],
        names: ResourceNames,
        alarms: Alarms,
        network: IsolatedNetwork,
        reserved_concurrency: bool,
    ) -> None:
        prefix = resource_prefix(name)
        super().__init__(scope, f"{prefix}Function")
        profile = PROFILES[name]
        spec = system.FUNCTIONS[name]
        self.name = name
        self.role = iam.Role(
            self,
            f"{prefix}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{name}: only what infra/capabilities.py grants it",
        )
        self.log_group = LogGroup(self, f"{prefix}Logs")
        self.log_group.grant_write(self.role)
        if profile.isolated:
            self.role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name(VPC_ACCESS_POLICY))
        self.failure_queue: sqs.Queue | None = None
        asynchronous: dict[str, Any] = {}
        if profile.invocation.asynchronous:
            # Bounded retries, then the event goes to a queue of its own; the queue and the errors are alarmed.
            self.failure_queue = sqs.Queue(
                self,
                f"{prefix}Failures",
                retention_period=cdk.Duration.days(14),
                enforce_ssl=True,
                encryption=sqs.QueueEncryption.SQS_MANAGED,
            )
            # A stream's event source mapping has retries and an on-failure destination of its own (the queue above).
            if profile.invocation is not Invocation.ASSET_STREAM:
                asynchronous = {
                    "retry_attempts": profile.retry_attempts,
                    "max_event_age": cdk.Duration.seconds(profile.max_event_age_seconds),
                    "on_failure": destinations.SqsDestination(self.failure_queue),
                }
            alarms.watch(
                self, f"{prefix}FailuresAlarm", self.failure_queue.metric_approximate_number_of_messages_visible()
            )
        self.function = lambda_.Function(
            self,
            prefix,
            description=spec.description,
            code=package.code,
            handler=spec.handler,
            runtime=package.runtime,
            architecture=package.architecture,
            layers=[package.layer, *(package.extra_layer(layer) for layer in profile.layers)],
            memory_size=profile.memory_mb,
            ephemeral_storage_size=(
                cdk.Size.mebibytes(profile.ephemeral_storage_mb) if profile.ephemeral_storage_mb is not None else None
            ),
            timeout=cdk.Duration.seconds(profile.timeout_seconds),
            reserved_concurrent_executions=profile.reserved_concurrency if reserved_concurrency else None,
            environment=dict(environment),
            role=self.role,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            **asynchronous,
            **(network.placement() if profile.isolated else {}),
        )
        for statement in role_statements(name, names):
            self.role.add_to_policy(statement)
        alarms.watch(self, f"{prefix}ErrorsAlarm", self.function.metric_errors(period=cdk.Duration.minutes(5)))
