"""Log groups: every part of the stack keeps its logs a month."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_logs as logs
from constructs import Construct

LOG_RETENTION = logs.RetentionDays.ONE_MONTH


class LogGroup(logs.LogGroup):
    """A log group as every function and the API's access log keep one: a month of retention, removed with the stack."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id, retention=LOG_RETENTION, removal_policy=cdk.RemovalPolicy.DESTROY)
