"""Listing and deleting every version of a key: exact matches only, across pages, version ids in DeleteObjects."""

from __future__ import annotations

from typing import Any

from functions.common.objects import ObjectVersion
from functions.common.storage import ObjectStore


class PagedVersions:
    """ListObjectVersions over a fixed, key-sorted list, `page_size` entries a page; records DeleteObjects."""

    def __init__(self, entries: list[tuple[str, str, bool]], page_size: int) -> None:
        self.entries = entries  # (key, version id, is a delete marker)
        self.page_size = page_size
        self.list_calls = 0
        self.deleted: list[dict[str, Any]] = []

    def list_object_versions(self, *, Bucket: str, Prefix: str, **markers: str) -> dict[str, Any]:
        self.list_calls += 1
        matching = [entry for entry in self.entries if entry[0].startswith(Prefix)]
        after = (markers.get("KeyMarker"), markers.get("VersionIdMarker"))
        start = next((i + 1 for i, entry in enumerate(matching) if entry[:2] == after), 0)
        page = matching[start : start + self.page_size]
        truncated = start + self.page_size < len(matching)
        response: dict[str, Any] = {
            "Versions": [{"Key": key, "VersionId": version} for key, version, marker in page if not marker],
            "DeleteMarkers": [{"Key": key, "VersionId": version} for key, version, marker in page if marker],
            "IsTruncated": truncated,
        }
        if truncated:
            response |= {"NextKeyMarker": page[-1][0], "NextVersionIdMarker": page[-1][1]}
        return response

    def delete_objects(self, *, Bucket: str, Delete: dict[str, Any]) -> dict[str, Any]:
        self.deleted += Delete["Objects"]
        return {
            "Errors": [{"Key": item["Key"], "Code": "AccessDenied"} for item in Delete["Objects"] if "x" in item["Key"]]
        }


def test_versions_pages_through_every_version_of_exactly_the_key() -> None:
    # Given five versions and a delete marker of one key, then three versions of a key it prefixes, two a page
    key = "originals/alice/1"
    entries = [(key, f"v{n}", n == 2) for n in range(6)] + [(f"{key}0", f"w{n}", False) for n in range(3)]
    client = PagedVersions(entries, page_size=2)
    # When its versions are listed
    versions = ObjectStore("media", client=client).versions(key)
    # Then all six come back, delete marker included, the other key is left out, and listing stopped on the page
    # where the other key showed (the fourth of five)
    assert sorted(versions, key=lambda version: version.version_id) == [ObjectVersion(key, f"v{n}") for n in range(6)]
    assert client.list_calls == 4


def test_delete_batch_names_each_version_and_reports_refused_keys() -> None:
    # Given two versions of one key and one of a key S3 refuses
    client = PagedVersions([], page_size=1)
    versions = [ObjectVersion("thumbs/a/1.webp", "v1"), ObjectVersion("thumbs/a/1.webp", "v2"), ObjectVersion("x", "v")]
    # When they are deleted
    refused = ObjectStore("media", client=client).delete_batch(versions)
    # Then one call named every version id, and the refused key is reported
    assert client.deleted == [
        {"Key": "thumbs/a/1.webp", "VersionId": "v1"},
        {"Key": "thumbs/a/1.webp", "VersionId": "v2"},
        {"Key": "x", "VersionId": "v"},
    ]
    assert refused == {"x"}
