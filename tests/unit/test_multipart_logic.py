"""Multipart uploads (#16) over in-memory collaborators: the part layout, validation, completion checks and abort.

S3 itself (moto), the role and the presigned PUTs through the local S3 gate: tests/integration/test_multipart_api.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from functions.common.errors import (
    InvalidRequest,
    NotFound,
    NotMultipart,
    QuotaExceeded,
    UploadIncomplete,
    UploadMismatch,
)
from functions.common.formats import AssetKind
from functions.common.models import AssetSource, AssetStatus, AssetType, new_asset
from functions.common.object_keys import original_key
from functions.common.ports import Quota, Usage
from functions.multipart import logic
from functions.system import MULTIPART_MAX_PART_URLS, MULTIPART_MAX_PARTS, MULTIPART_MIN_PART_BYTES
from tests.conftest import NOW
from tests.fakes import MemoryAssets, MemoryMultipart, MemoryStore

MIB = 1024 * 1024
OWNER = "alice"


def multiparts(repository: MemoryAssets | None = None, quota: Quota = Quota()) -> logic.Multiparts:
    store = MemoryStore()
    return logic.Multiparts(
        repository=repository or MemoryAssets(),
        store=store,
        uploads=MemoryMultipart(store),
        clock=lambda: NOW,
        max_image_bytes=25 * MIB,
        max_video_bytes=2048 * MIB,
        upload_ttl_seconds=300,
        read_ttl_seconds=3600,
        quota=quota,
    )


def started(mp: logic.Multiparts, content_type: str = "video/mp4", size: int = 17 * MIB, **extra: object):  # type: ignore[no-untyped-def]
    request = logic.StartRequest.model_validate({"contentType": content_type, "size": size, **extra})
    return logic.start(owner=OWNER, request=request, multiparts=mp)


def uploads_of(mp: logic.Multiparts) -> MemoryMultipart:
    assert isinstance(mp.uploads, MemoryMultipart)
    return mp.uploads


def put_all(mp: logic.Multiparts, asset_id: str, *, size: int) -> None:
    asset = mp.repository.get(OWNER, asset_id).asset
    assert asset.upload_id and asset.part_size and asset.part_count
    for number in range(1, asset.part_count + 1):
        length = logic.part_bytes(number, size=size, part_size=asset.part_size, part_count=asset.part_count)
        uploads_of(mp).put_part(asset.upload_id, number, bytes([number]) * length)


# The layout


@pytest.mark.parametrize(
    ("size", "part_size", "part_count"),
    [
        (1, MULTIPART_MIN_PART_BYTES, 1),
        (MULTIPART_MIN_PART_BYTES, MULTIPART_MIN_PART_BYTES, 1),
        (MULTIPART_MIN_PART_BYTES + 1, MULTIPART_MIN_PART_BYTES, 2),
        (2048 * MIB, MULTIPART_MIN_PART_BYTES, 256),
        # Past 10,000 parts of the minimum, parts grow by whole MiB
        (100 * 1024 * MIB, 11 * MIB, 9310),
    ],
)
def test_part_layout(size: int, part_size: int, part_count: int) -> None:
    # When / Then
    assert logic.part_layout(size) == (part_size, part_count)


@pytest.mark.parametrize("size", [1, 5 * MIB, 8 * MIB + 1, 17 * MIB, 2048 * MIB, 5 * 1024 * 1024 * MIB])
def test_every_layout_covers_the_size_exactly_within_s3s_limits(size: int) -> None:
    # When
    part_size, count = logic.part_layout(size)
    sizes = [logic.part_bytes(n, size=size, part_size=part_size, part_count=count) for n in (1, count)]
    # Then the parts add up, none but the last is under S3's 5 MiB floor, and there are at most 10,000
    assert (count - 1) * part_size + sizes[-1] == size
    assert 0 < sizes[-1] <= part_size and part_size % MIB == 0 and part_size >= 5 * MIB
    assert count <= MULTIPART_MAX_PARTS


# Start


def test_start_creates_a_pending_video_at_its_videos_key_with_an_open_upload() -> None:
    # Given / When
    mp = multiparts()
    answer = started(mp, "video/mp4", 17 * MIB, filename="clip.mp4", prompt="a cat")
    # Then
    stored = mp.repository.get(OWNER, answer.asset.id).asset
    assert (answer.part_size, answer.part_count) == (8 * MIB, 3)
    assert stored.status == AssetStatus.PENDING and stored.kind == AssetKind.VIDEO
    assert stored.upload_id == answer.upload_id and (stored.part_size, stored.part_count) == (8 * MIB, 3)
    assert uploads_of(mp).open[str(answer.upload_id)] == original_key(OWNER, stored.id, AssetKind.VIDEO)
    assert uploads_of(mp).content_types[str(answer.upload_id)] == "video/mp4"
    assert (stored.filename, stored.prompt, stored.size, stored.source) == ("clip.mp4", "a cat", 17 * MIB, "upload")
    # And the bookkeeping never shows
    shown = answer.asset.model_dump(by_alias=True)
    assert not {"uploadId", "partSize", "partCount"} & set(shown)
    assert answer.asset.url is None


def test_an_image_goes_to_originals_and_has_the_image_limit() -> None:
    # Given
    mp = multiparts()
    # When
    answer = started(mp, "image/png", 25 * MIB)
    # Then
    assert mp.repository.get(OWNER, answer.asset.id).asset.original_key.startswith("originals/")
    with pytest.raises(InvalidRequest, match="image"):
        started(mp, "image/png", 25 * MIB + 1)


def test_a_video_over_its_limit_is_refused_before_anything_is_created() -> None:
    # Given
    mp = multiparts()
    # When / Then
    with pytest.raises(InvalidRequest, match="video"):
        started(mp, "video/webm", 2048 * MIB + 1)
    assert not uploads_of(mp).open and not uploads_of(mp).aborted


@pytest.mark.parametrize(
    "body",
    [
        {"contentType": "application/pdf", "size": 10},
        {"contentType": "video/mp4", "size": 0},
        {"contentType": "video/mp4", "size": "10"},
        {"contentType": "video/mp4", "size": 1.5},
        {"contentType": "video/mp4", "size": 10, "sha256": "xyz"},
        {"contentType": "video/mp4", "size": 10, "uploadId": "mine"},
    ],
)
def test_bad_start_requests_are_refused(body: dict[str, object]) -> None:
    # When / Then
    with pytest.raises(ValidationError):
        logic.StartRequest.model_validate(body)


def test_a_declared_sha256_already_stored_returns_that_asset_and_no_upload() -> None:
    # Given a ready asset with those bytes
    sha = "ab" * 32
    ready = new_asset(
        owner=OWNER,
        now=NOW,
        status=AssetStatus.READY,
        source=AssetSource.UPLOAD,
        asset_type=AssetType.UPLOADED,
        sha256=sha,
    )
    mp = multiparts(MemoryAssets(ready))
    # When
    answer = started(mp, "video/mp4", 10 * MIB, sha256=sha.upper())
    # Then
    assert answer.asset.id == ready.id and answer.asset.duplicate is True
    assert (answer.upload_id, answer.part_size, answer.part_count) == (None, None, None)
    assert not uploads_of(mp).open


def test_over_quota_opens_nothing_that_stays_open() -> None:
    # Given a user at their asset quota
    repository = MemoryAssets()
    repository.counted[OWNER] = Usage(assets=1)
    mp = multiparts(repository, quota=Quota(max_assets=1))
    # When / Then
    with pytest.raises(QuotaExceeded):
        started(mp)
    assert not uploads_of(mp).open and len(uploads_of(mp).aborted) == 1


# Parts


def test_part_urls_are_signed_for_each_parts_exact_size() -> None:
    # Given an upload of three parts
    mp = multiparts()
    answer = started(mp, size=17 * MIB)
    # When
    request = logic.PartsRequest.model_validate({"partNumbers": [3, 1, 1]})
    parts = logic.sign_parts(owner=OWNER, asset_id=answer.asset.id, request=request, multiparts=mp)
    # Then one URL a part, the last one for the rest, expiring with the upload TTL
    assert set(parts.urls) == {"1", "3"}
    assert f"size={8 * MIB}&" in parts.urls["1"] and f"size={17 * MIB - 16 * MIB}&" in parts.urls["3"]
    assert parts.expires_at == NOW + timedelta(seconds=300)


def test_part_numbers_beyond_the_upload_are_a_422() -> None:
    # Given
    mp = multiparts()
    answer = started(mp, size=17 * MIB)
    request = logic.PartsRequest.model_validate({"partNumbers": [2, 4]})
    # When / Then
    with pytest.raises(InvalidRequest, match="1 to 3") as refused:
        logic.sign_parts(owner=OWNER, asset_id=answer.asset.id, request=request, multiparts=mp)
    assert refused.value.extra["errors"][0]["field"] == "partNumbers"


@pytest.mark.parametrize(
    "numbers", [[], [0], [-1], ["1"], [1.5], list(range(1, MULTIPART_MAX_PART_URLS + 2)), [MULTIPART_MAX_PARTS + 1]]
)
def test_bad_part_requests_are_refused(numbers: list[object]) -> None:
    # When / Then
    with pytest.raises(ValidationError):
        logic.PartsRequest.model_validate({"partNumbers": numbers})


def test_another_users_or_an_unknown_upload_is_not_found() -> None:
    # Given alice's upload
    mp = multiparts()
    answer = started(mp)
    request = logic.PartsRequest.model_validate({"partNumbers": [1]})
    # When bob (or anyone, with an id that does not exist) asks for it / Then
    for owner, asset_id in (("bob", answer.asset.id), (OWNER, "01ARZ3NDEKTSV4RRFFQ69G5FAV"), (OWNER, "x")):
        with pytest.raises(NotFound):
            logic.sign_parts(owner=owner, asset_id=asset_id, request=request, multiparts=mp)
        with pytest.raises(NotFound):
            logic.complete(owner=owner, asset_id=asset_id, multiparts=mp)
        with pytest.raises(NotFound):
            logic.abort(owner=owner, asset_id=asset_id, multiparts=mp)


def test_an_asset_that_is_no_multipart_upload_is_a_409() -> None:
    # Given a presigned-POST upload's pending asset
    plain = new_asset(
        owner=OWNER, now=NOW, status=AssetStatus.PENDING, source=AssetSource.UPLOAD, asset_type=AssetType.UPLOADED
    )
    mp = multiparts(MemoryAssets(plain))
    request = logic.PartsRequest.model_validate({"partNumbers": [1]})
    # When / Then
    with pytest.raises(NotMultipart):
        logic.sign_parts(owner=OWNER, asset_id=plain.id, request=request, multiparts=mp)
    with pytest.raises(NotMultipart):
        logic.complete(owner=OWNER, asset_id=plain.id, multiparts=mp)
    with pytest.raises(NotMultipart):
        logic.abort(owner=OWNER, asset_id=plain.id, multiparts=mp)


# Complete


def test_complete_assembles_the_parts_and_marks_the_asset_processing() -> None:
    # Given every part uploaded
    mp = multiparts()
    answer = started(mp, size=17 * MIB)
    put_all(mp, answer.asset.id, size=17 * MIB)
    # When
    done = logic.complete(owner=OWNER, asset_id=answer.asset.id, multiparts=mp)
    # Then
    asset = mp.repository.get(OWNER, answer.asset.id).asset
    assert done.asset.status == AssetStatus.PROCESSING and asset.status == AssetStatus.PROCESSING
    assert done.asset.url is not None
    assert isinstance(mp.store, MemoryStore)
    assert len(mp.store.objects[asset.original_key]) == 17 * MIB
    assert uploads_of(mp).completed == [answer.upload_id]
    # And completing again returns the asset, while parts and abort are refused
    again = logic.complete(owner=OWNER, asset_id=answer.asset.id, multiparts=mp)
    assert again.asset.id == answer.asset.id and uploads_of(mp).completed == [answer.upload_id]
    with pytest.raises(NotMultipart):
        logic.abort(owner=OWNER, asset_id=answer.asset.id, multiparts=mp)
    request = logic.PartsRequest.model_validate({"partNumbers": [1]})
    with pytest.raises(NotMultipart):
        logic.sign_parts(owner=OWNER, asset_id=answer.asset.id, request=request, multiparts=mp)


def test_complete_keeps_what_the_processing_function_recorded_first() -> None:
    # Given an upload its thumbnail function finished before the record was updated
    mp = multiparts()
    answer = started(mp, "image/png", 9 * MIB)
    put_all(mp, answer.asset.id, size=9 * MIB)
    uploads = uploads_of(mp)
    real_complete = uploads.complete_upload

    def complete_then_processed(**kwargs: object) -> bool:
        result = real_complete(**kwargs)  # type: ignore[arg-type]
        stored = mp.repository.get(OWNER, answer.asset.id)
        mp.repository.replace(stored, stored.asset.model_copy(update={"status": AssetStatus.READY}))
        return result

    uploads.complete_upload = complete_then_processed  # type: ignore[method-assign]
    # When
    done = logic.complete(owner=OWNER, asset_id=answer.asset.id, multiparts=mp)
    # Then
    assert done.asset.status == AssetStatus.READY


def test_complete_with_missing_parts_names_them() -> None:
    # Given parts 1 and 3 of 3
    mp = multiparts()
    answer = started(mp, size=17 * MIB)
    upload_id = str(answer.upload_id)
    uploads_of(mp).put_part(upload_id, 1, b"a" * 8 * MIB)
    uploads_of(mp).put_part(upload_id, 3, b"c" * MIB)
    # When / Then
    with pytest.raises(UploadIncomplete, match=r"Parts not uploaded yet: 2 \(of 3\)"):
        logic.complete(owner=OWNER, asset_id=answer.asset.id, multiparts=mp)
    assert mp.repository.get(OWNER, answer.asset.id).asset.status == AssetStatus.PENDING
    assert uploads_of(mp).open


def test_complete_with_a_part_of_another_size_is_a_mismatch() -> None:
    # Given part 2 one byte short (the last part's size made up for it)
    mp = multiparts()
    answer = started(mp, size=17 * MIB)
    upload_id = str(answer.upload_id)
    for number, length in ((1, 8 * MIB), (2, 8 * MIB - 1), (3, MIB + 1)):
        uploads_of(mp).put_part(upload_id, number, b"x" * length)
    # When / Then
    with pytest.raises(UploadMismatch, match="another size than declared: 2, 3"):
        logic.complete(owner=OWNER, asset_id=answer.asset.id, multiparts=mp)


def test_complete_with_a_total_unlike_the_declaration_is_a_mismatch() -> None:
    # Given parts holding 17 MiB for an upload declared (recorded) as 18 MiB
    mp = multiparts()
    answer = started(mp, size=17 * MIB)
    put_all(mp, answer.asset.id, size=17 * MIB)
    stored = mp.repository.get(OWNER, answer.asset.id)
    mp.repository.replace(stored, stored.asset.model_copy(update={"size": 18 * MIB}))
    # When / Then
    with pytest.raises(UploadMismatch):
        logic.complete(owner=OWNER, asset_id=answer.asset.id, multiparts=mp)


def test_complete_of_an_upload_s3_no_longer_has_is_not_multipart() -> None:
    # Given an upload the lifecycle rule aborted
    mp = multiparts()
    answer = started(mp)
    uploads_of(mp).open.clear()
    # When / Then
    with pytest.raises(NotMultipart, match="no longer open"):
        logic.complete(owner=OWNER, asset_id=answer.asset.id, multiparts=mp)


# Abort


def test_abort_drops_the_upload_and_the_uncounted_record() -> None:
    # Given
    repository = MemoryAssets()
    mp = multiparts(repository)
    answer = started(mp)
    assert repository.usage(OWNER).assets == 1
    # When
    logic.abort(owner=OWNER, asset_id=answer.asset.id, multiparts=mp)
    # Then
    assert uploads_of(mp).aborted == [answer.upload_id]
    with pytest.raises(NotFound):
        repository.get(OWNER, answer.asset.id)
    assert repository.usage(OWNER).assets == 0


def test_abort_of_an_upload_already_gone_still_removes_the_record() -> None:
    # Given
    mp = multiparts()
    answer = started(mp)
    uploads_of(mp).open.clear()
    # When
    logic.abort(owner=OWNER, asset_id=answer.asset.id, multiparts=mp)
    # Then
    with pytest.raises(NotFound):
        mp.repository.get(OWNER, answer.asset.id)
