"""What starts the functions not behind the API: S3 ObjectCreated under originals/ and videos/, and the schedule."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct

from functions import system
from infra.capabilities import PROFILES, Invocation
from infra.constructs.capability import Capability

# S3 ObjectCreated by prefix: images reach the thumbnail function, videos the video function (#16); the prefixes
# do not overlap, as S3 requires of two notifications for the same event type.
_CREATED_PREFIXES = {
    Invocation.ORIGINAL_CREATED: system.ORIGINALS_PREFIX,
    Invocation.VIDEO_CREATED: system.VIDEO_ORIGINALS_PREFIX,
}


class Triggers(Capability):
    """Each function's invocation as its profile names it (API routes are the HTTP API's; ASYNC is its caller's)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, bucket: s3.Bucket, functions: Mapping[str, lambda_.Function]
    ) -> None:
        super().__init__(scope, construct_id)
        for name, function in functions.items():
            invocation = PROFILES[name].invocation
            created_prefix = _CREATED_PREFIXES.get(invocation)
            if created_prefix is not None:
                # The notification lives with the bucket (CDK makes it there), whoever asks for it.
                bucket.add_event_notification(
                    s3.EventType.OBJECT_CREATED,
                    s3n.LambdaDestination(function),
                    s3.NotificationKeyFilter(prefix=created_prefix),
                )
            elif invocation is Invocation.SCHEDULE:
                events.Rule(
                    self,
                    f"{function.node.id}Schedule",
                    description=f"{name} on its schedule (functions.system.PURGE_SCHEDULE_CRON)",
                    schedule=events.Schedule.expression(system.PURGE_SCHEDULE_CRON),
                    targets=[targets.LambdaFunction(function, retry_attempts=PROFILES[name].retry_attempts)],
                )
