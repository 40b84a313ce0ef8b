"""The template passes cfn-lint and cdk-nag's AwsSolutions pack; every accepted finding says why."""

from __future__ import annotations

import json
from typing import Any

from tests.infra.conftest import Synthesized

# cfn-lint findings we accept, all in resources CDK generates itself:
ACCEPTED_LINT = {
    # CDK adds DependsOn on a function's role (and its policy) although the function already GetAtt's the role.
    "W3005",
}


def test_cfn_lint_finds_nothing_beyond_the_accepted_cdk_internals(template: dict[str, Any]) -> None:
    from cfnlint.api import ManualArgs, lint

    # When cfn-lint checks the template in-process
    matches = lint(json.dumps(template), config=ManualArgs(regions=["us-east-1"]))
    # Then nothing is found beyond the accepted rules
    unexpected = [f"{match.rule.id} {'/'.join(map(str, match.path))}: {match.message}" for match in matches]
    assert [line for line in unexpected if line.split()[0] not in ACCEPTED_LINT] == []


def test_cdk_nag_aws_solutions_passes(synthesized: Synthesized) -> None:
    from cdk_nag import AwsSolutionsChecks

    # When the AwsSolutions pack validates the construct tree
    report = AwsSolutionsChecks().validate_scope(synthesized.stack)
    # Then no finding is left unacknowledged
    violations = [
        f"{violation.rule_name}: {[resource.construct_path for resource in violation.violating_resources]}"
        for violation in report.violations
    ]
    assert violations == []
    assert report.success


# ec2.Vpc acknowledges cfn-lint's "hard-coded availability zones" for the AZs it picks.
CDK_OWN_ACKNOWLEDGMENTS = frozenset({"CloudFormation-Validate::W3010"})


def test_every_acknowledgment_has_a_reason(synthesized: Synthesized) -> None:
    import aws_cdk as cdk

    # Given every acknowledgment recorded in the tree
    acknowledged: dict[str, str] = {}
    for construct in synthesized.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                acknowledged.update(entry.data)
    # Then there are some, each for an AwsSolutions rule (or one CDK's own constructs make), each with a real reason
    assert acknowledged
    for rule, reason in acknowledged.items():
        if rule in CDK_OWN_ACKNOWLEDGMENTS:
            continue
        assert rule.startswith("Annotation::AwsSolutions-"), rule
        assert len(reason.split()) >= 8, rule
