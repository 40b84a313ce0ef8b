"""Builds the CDK app: the stack from context options, with cdk-nag's AwsSolutions checks as a validation plugin."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.nag import acknowledge_findings
from infra.stack import GalleryStack, StackOptions

STACK_NAME = "Gallery"


def build_app(*, nag: bool = True, **app_options: Any) -> tuple[cdk.App, GalleryStack]:
    """The app and its one stack; `app_options` go to `cdk.App` (tests turn bundling and validation off)."""
    app = cdk.App(**app_options)
    stack = GalleryStack(
        app, STACK_NAME, StackOptions.from_context(app), description="Serverless image gallery backend"
    )
    acknowledge_findings(stack)
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    return app, stack
