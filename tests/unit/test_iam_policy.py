"""The IAM evaluator: default deny, Allow by action, resource and conditions, as IAM evaluates identity policies."""

from __future__ import annotations

import pytest

from devserver.iam.policy import Request, allowing_statement
from infra.capabilities import StatementSpec

BUCKET = "arn:aws:s3:::media"
READ_ORIGINALS = StatementSpec(sid="Read", actions=("s3:GetObject",), resources=(f"{BUCKET}/originals/*",))
LIST_ORIGINALS = StatementSpec(
    sid="List",
    actions=("s3:ListBucket",),
    resources=(BUCKET,),
    conditions={"StringLike": {"s3:prefix": "originals/*"}},
)


def test_nothing_is_allowed_by_an_empty_policy() -> None:
    # When / Then
    assert allowing_statement([], Request("s3:GetObject", f"{BUCKET}/originals/a")) is None


def test_the_allowing_statement_is_returned() -> None:
    # When
    statement = allowing_statement([LIST_ORIGINALS, READ_ORIGINALS], Request("s3:GetObject", f"{BUCKET}/originals/a"))
    # Then
    assert statement is READ_ORIGINALS


@pytest.mark.parametrize(
    ("action", "allowed"),
    [("s3:getobject", True), ("S3:GETOBJECT", True), ("s3:GetObjectVersion", False), ("s3:PutObject", False)],
)
def test_actions_match_case_insensitively_and_exactly(action: str, allowed: bool) -> None:
    # When
    statement = allowing_statement([READ_ORIGINALS], Request(action, f"{BUCKET}/originals/a"))
    # Then
    assert (statement is not None) is allowed


@pytest.mark.parametrize(
    ("pattern", "action", "allowed"),
    [("s3:Get*", "s3:GetObjectVersion", True), ("s3:?etObject", "s3:GetObject", True), ("s3:Get?", "s3:Get", False)],
)
def test_action_wildcards(pattern: str, action: str, allowed: bool) -> None:
    # Given
    policy = [StatementSpec(sid="W", actions=(pattern,), resources=("*",))]
    # When / Then
    assert (allowing_statement(policy, Request(action, BUCKET)) is not None) is allowed


@pytest.mark.parametrize(
    ("resource", "allowed"),
    [
        (f"{BUCKET}/originals/alice/1", True),
        (f"{BUCKET}/originals/", True),
        (f"{BUCKET}/thumbs/alice/1", False),
        (f"{BUCKET}/Originals/alice/1", False),  # resources are case-sensitive
        ("arn:aws:s3:::media-other/originals/x", False),
        (BUCKET, False),
    ],
)
def test_resources_match_as_globs_across_slashes(resource: str, allowed: bool) -> None:
    # When / Then
    assert (allowing_statement([READ_ORIGINALS], Request("s3:GetObject", resource)) is not None) is allowed


def test_question_mark_matches_one_character_and_other_characters_are_literal() -> None:
    # Given
    policy = [StatementSpec(sid="Q", actions=("s3:GetObject",), resources=("arn:aws:s3:::m/a?[c].txt",))]
    # When / Then
    assert allowing_statement(policy, Request("s3:GetObject", "arn:aws:s3:::m/ab[c].txt")) is not None
    assert allowing_statement(policy, Request("s3:GetObject", "arn:aws:s3:::m/abc.txt")) is None


@pytest.mark.parametrize(
    ("context", "allowed"),
    [
        ({"s3:prefix": "originals/alice/1"}, True),
        ({"S3:Prefix": "originals/alice/1"}, True),  # condition keys are case-insensitive
        ({"s3:prefix": "thumbs/"}, False),
        ({}, False),  # the key is absent: the condition does not hold
    ],
)
def test_string_like_conditions(context: dict[str, str], allowed: bool) -> None:
    # When
    statement = allowing_statement([LIST_ORIGINALS], Request("s3:ListBucket", BUCKET, context))
    # Then
    assert (statement is not None) is allowed


@pytest.mark.parametrize(
    ("context", "allowed"),
    [({"s3:x-amz-copy-source": "media/originals/a"}, True), ({"s3:x-amz-copy-source": "media/originals/A"}, False)],
)
def test_string_equals_is_exact_and_case_sensitive(context: dict[str, str], allowed: bool) -> None:
    # Given
    policy = [
        StatementSpec(
            sid="E",
            actions=("s3:PutObject",),
            resources=("*",),
            conditions={"StringEquals": {"s3:x-amz-copy-source": ["media/originals/a", "media/other"]}},
        )
    ]
    # When / Then
    assert (allowing_statement(policy, Request("s3:PutObject", "x", context)) is not None) is allowed
    assert allowing_statement(policy, Request("s3:PutObject", "x")) is None


@pytest.mark.parametrize(
    ("context", "allowed"),
    [({"s3:prefix": "thumbs/a"}, True), ({"s3:prefix": "originals/a"}, False), ({}, True)],
)
def test_string_not_like_holds_for_an_absent_key_as_iam_does(context: dict[str, str], allowed: bool) -> None:
    # Given
    policy = [
        StatementSpec(
            sid="N", actions=("s3:ListBucket",), resources=(BUCKET,), conditions={"StringNotLike": {"s3:prefix": "o*"}}
        )
    ]
    # When / Then
    assert (allowing_statement(policy, Request("s3:ListBucket", BUCKET, context)) is not None) is allowed


@pytest.mark.parametrize(
    ("null", "context", "allowed"),
    [
        ("false", {"s3:if-none-match": "*"}, True),
        ("false", {}, False),
        ("true", {}, True),
        ("true", {"s3:if-none-match": "*"}, False),
    ],
)
def test_null_tells_whether_the_request_carries_the_key(null: str, context: dict[str, str], allowed: bool) -> None:
    # Given a put allowed only when the request does (or does not) carry If-None-Match
    policy = [
        StatementSpec(
            sid="C",
            actions=("s3:PutObject",),
            resources=(f"{BUCKET}/k",),
            conditions={"Null": {"s3:if-none-match": null}},
        )
    ]
    # When / Then
    assert (allowing_statement(policy, Request("s3:PutObject", f"{BUCKET}/k", context)) is not None) is allowed


def test_every_condition_must_hold() -> None:
    # Given
    policy = [
        StatementSpec(
            sid="Both",
            actions=("s3:ListBucket",),
            resources=(BUCKET,),
            conditions={"StringLike": {"s3:prefix": "originals/*", "s3:delimiter": "/"}},
        )
    ]
    # When / Then
    assert allowing_statement(policy, Request("s3:ListBucket", BUCKET, {"s3:prefix": "originals/a"})) is None
    both = {"s3:prefix": "originals/a", "s3:delimiter": "/"}
    assert allowing_statement(policy, Request("s3:ListBucket", BUCKET, both)) is not None


def test_an_operator_it_cannot_evaluate_is_an_error_not_an_allow() -> None:
    # Given
    policy = [StatementSpec(sid="X", actions=("*",), resources=("*",), conditions={"IpAddress": {"aws:SourceIp": "1"}})]
    # When / Then
    with pytest.raises(ValueError, match="IpAddress"):
        allowing_statement(policy, Request("s3:GetObject", "x", {"aws:SourceIp": "1"}))
