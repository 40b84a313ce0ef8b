"""The alarm topic, and the one kind of alarm the stack raises: a metric that reaches 1."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.constructs.capability import Capability


class Alarms(Capability):
    """Where every alarm goes; `-c alarmEmail=...` subscribes an address (confirmed by a link AWS mails)."""

    def __init__(self, scope: Construct, construct_id: str, *, email: str | None) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Alarms", display_name="Gallery alarms", enforce_ssl=True)
        if email:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.topic.topic_arn, description="Subscribe to get alarms")

    def watch(self, scope: Construct, construct_id: str, metric: cloudwatch.IMetric) -> cloudwatch.Alarm:
        """An alarm, made in `scope`, once the metric reaches 1 in one period; missing data is no alarm."""
        alarm = cloudwatch.Alarm(
            scope,
            construct_id,
            metric=metric,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
        return alarm
