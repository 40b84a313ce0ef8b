"""Multipart uploads (#16) in the stack: who may list and abort uploads, and on which keys."""

from __future__ import annotations

from typing import Any

from functions import system
from tests.infra.template_tools import function_ids, permissions_of, resource_id

ORIGINALS = f"<MEDIA.Arn>/{system.ORIGINALS_PREFIX}*"
VIDEOS = f"<MEDIA.Arn>/{system.VIDEO_ORIGINALS_PREFIX}*"


def holders(template: dict[str, Any], action: str) -> dict[str, set[str]]:
    """Each function that may do `action`, with the resources it may do it on (the bucket's id as MEDIA)."""
    media = resource_id(template, "AWS::S3::Bucket", "Media")
    found: dict[str, set[str]] = {}
    for name, function_id in function_ids(template).items():
        pairs = permissions_of(template, function_id)
        resources = {resource.replace(media, "MEDIA") for granted, resource in pairs if granted == action}
        if resources:
            found[name] = resources
    return found


def test_only_the_multipart_function_lists_parts_and_only_of_originals(template: dict[str, Any]) -> None:
    # Then ListParts (checking an upload before completing it) is the multipart function's, on originals only
    assert holders(template, "s3:ListMultipartUploadParts") == {"multipart": {ORIGINALS, VIDEOS}}


def test_uploads_are_aborted_only_by_their_writers_and_the_purge(template: dict[str, Any]) -> None:
    # Then AbortMultipartUpload is held by the functions that open uploads and by the purge, on originals only
    aborters = holders(template, "s3:AbortMultipartUpload")
    assert {"multipart", "purge"} <= set(aborters) <= {"multipart", "purge", "ingest_worker"}
    assert all(resources == {ORIGINALS, VIDEOS} for resources in aborters.values())


def test_the_multipart_function_writes_only_originals(template: dict[str, Any]) -> None:
    # Then its PutObject (CreateMultipartUpload, its part URLs, CompleteMultipartUpload) is on originals only
    assert holders(template, "s3:PutObject")["multipart"] == {ORIGINALS, VIDEOS}
