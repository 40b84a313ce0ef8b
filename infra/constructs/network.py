"""Subnets with no route out, for the functions that need only S3 and DynamoDB (free gateway endpoints)."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from infra.constructs.capability import Capability


class IsolatedNetwork(Capability):
    """A VPC without internet or NAT gateway; HTTPS out reaches only the S3 and DynamoDB endpoints."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.vpc = ec2.Vpc(
            self,
            "Isolated",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="functions", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
            ],
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3),
                "DynamoDB": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.DYNAMODB),
            },
            # The default security group is never used; restricting it needs a custom-resource Lambda.
            restrict_default_security_group=False,
        )
        self.security_group = ec2.SecurityGroup(
            self,
            "IsolatedFunctions",
            vpc=self.vpc,
            description="Functions without internet: HTTPS out, which only the S3 and DynamoDB endpoints route",
            allow_all_outbound=False,
        )
        self.security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "AWS APIs via gateway endpoints")

    def placement(self) -> dict[str, Any]:
        """The lambda_.Function arguments that put a function in the isolated subnets."""
        return {
            "vpc": self.vpc,
            "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED),
            "security_groups": [self.security_group],
        }
