"""Sign logic over in-memory collaborators: which ids get read URLs, when a declared sha256 reuses an asset.

What S3 signs (SigV4, the POST policy) is tested in tests/unit/test_presign.py and on moto.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.common.clock import fixed_clock
from functions.common.errors import InvalidRequest
from functions.common.ids import new_ulid
from functions.common.models import Asset, AssetSource, AssetStatus, AssetType
from functions.sign.logic import ReadVariant, Signer, SignReadRequest, SignUploadRequest, sign_read, sign_upload
from tests.fakes import MemoryAssets, MemoryStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
SHA = "ab" * 32


def signer(repository: MemoryAssets) -> Signer:
    return Signer(
        repository=repository,
        store=MemoryStore(),
        clock=fixed_clock(NOW),
        max_image_bytes=1000,
        upload_ttl_seconds=300,
        read_ttl_seconds=3600,
    )


def stored(status: AssetStatus, n: int, **fields: object) -> Asset:
    moment = NOW.replace(second=n)
    return Asset(
        owner="alice",
        id=new_ulid(moment),
        status=status,
        source=AssetSource.UPLOAD,
        asset_type=AssetType.UPLOADED,
        created_at=moment,
        updated_at=moment,
        **fields,  # type: ignore[arg-type]
    )


def test_read_urls_go_only_to_ids_whose_variant_is_stored() -> None:
    # Given a ready, a processing and a pending asset
    ready, processing, pending = (
        stored(AssetStatus.READY, 1),
        stored(AssetStatus.PROCESSING, 2),
        stored(AssetStatus.PENDING, 3),
    )
    repository = MemoryAssets(ready, processing, pending)
    ids = [ready.id, processing.id, pending.id, "not-a-ulid", ready.id]
    # When thumbnails and originals are signed
    thumbs = sign_read(owner="alice", request=SignReadRequest(ids=ids), signer=signer(repository))
    originals = sign_read(
        owner="alice", request=SignReadRequest(ids=ids, variant=ReadVariant.ORIGINAL), signer=signer(repository)
    )
    # Then only a ready asset has a thumbnail, a processing one has its original too, each id is answered once
    assert set(thumbs.urls) == {ready.id} and thumbs.urls[ready.id].url.startswith(
        f"https://media.invalid/{ready.thumb_object_key}"
    )
    assert thumbs.missing == [processing.id, pending.id, "not-a-ulid"]
    assert set(originals.urls) == {ready.id, processing.id} and originals.missing == [pending.id, "not-a-ulid"]
    # And an id that is no ULID never became a lookup
    assert all("not-a-ulid" not in asked for asked in repository.batch_gets)


def test_the_preview_variant_signs_only_a_recorded_preview() -> None:
    # Given a ready asset with a preview, a ready one processed before previews existed, and a processing one
    with_preview = stored(AssetStatus.READY, 1, thumb_key="thumbs/T.webp", preview_key="thumbs/P.webp")
    without = stored(AssetStatus.READY, 2, thumb_key="thumbs/U.webp")
    processing = stored(AssetStatus.PROCESSING, 3, preview_key="thumbs/Q.webp")
    repository = MemoryAssets(with_preview, without, processing)
    ids = [with_preview.id, without.id, processing.id]

    # When previews are signed
    answer = sign_read(
        owner="alice", request=SignReadRequest(ids=ids, variant=ReadVariant.PREVIEW), signer=signer(repository)
    )

    # Then only the ready asset with a recorded preview gets a URL, of that preview; the others are missing
    assert set(answer.urls) == {with_preview.id}
    assert answer.urls[with_preview.id].url.startswith("https://media.invalid/thumbs/P.webp")
    assert answer.missing == [without.id, processing.id]


def test_another_owners_ids_are_missing() -> None:
    # Given bob's ready asset
    bobs = stored(AssetStatus.READY, 1).model_copy(update={"owner": "bob"})
    # When alice signs it / Then it is missing for her
    response = sign_read(owner="alice", request=SignReadRequest(ids=[bobs.id]), signer=signer(MemoryAssets(bobs)))
    assert (response.urls, response.missing) == ({}, [bobs.id])


def test_a_declared_sha256_the_owner_has_returns_that_asset_and_no_upload() -> None:
    # Given alice's ready asset with these bytes
    existing = stored(AssetStatus.READY, 1, sha256=SHA)
    repository = MemoryAssets(existing)
    # When she signs an upload of the same bytes
    request = SignUploadRequest(content_type="image/png", size=10, sha256=SHA)
    response = sign_upload(owner="alice", request=request, signer=signer(repository))
    # Then she gets the existing asset, marked duplicate, no upload slot, and nothing new is stored
    assert (response.asset.id, response.asset.duplicate, response.upload) == (existing.id, True, None)
    assert list(repository.items) == [("alice", existing.id)]


@pytest.mark.parametrize(
    "fields",
    [{"trashed_at": NOW}, {"deleting": True}, {"status": AssetStatus.PENDING}],
    ids=["trashed", "being-deleted", "not-stored-yet"],
)
def test_a_sha256_match_that_is_trashed_deleted_or_not_stored_is_no_duplicate(fields: dict[str, object]) -> None:
    # Given alice's asset with these bytes that may not be reused
    status = fields.pop("status", AssetStatus.READY)
    repository = MemoryAssets(stored(status, 1, sha256=SHA, **fields))  # type: ignore[arg-type]
    # When she signs an upload of the same bytes
    request = SignUploadRequest(content_type="image/png", size=10, sha256=SHA)
    response = sign_upload(owner="alice", request=request, signer=signer(repository))
    # Then a new pending asset and an upload slot for its key are made
    assert response.upload is not None and response.asset.status == AssetStatus.PENDING
    assert response.upload.fields["key"] == f"originals/alice/{response.asset.id}"
    assert len(repository.items) == 2


def test_an_upload_over_the_size_limit_is_refused_before_anything_is_stored() -> None:
    # Given / When / Then
    repository = MemoryAssets()
    with pytest.raises(InvalidRequest):
        sign_upload(
            owner="alice", request=SignUploadRequest(content_type="image/png", size=1001), signer=signer(repository)
        )
    assert repository.items == {}
