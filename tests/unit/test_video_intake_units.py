"""Videos coming in (#16) over in-memory collaborators: the kind from the declared type (sign) or the bytes (direct
upload), sign's per-kind limits and multipart threshold, the gallery's `kind` rules, the record mapping.

The same paths on moto, under each function's role: tests/integration/test_video_intake.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.common.clock import fixed_clock
from functions.common.errors import InvalidImage, InvalidRequest, UnsupportedMediaType
from functions.common.formats import AssetKind
from functions.common.metadata import AssetMetadata
from functions.common.models import AssetStatus, View
from functions.common.ports import candidate_for
from functions.common.repository import table_schema
from functions.common.repository.mapping import to_attributes
from functions.gallery import logic
from functions.sign.logic import Signer, SignUploadRequest, sign_upload
from functions.upload.logic import Uploader, upload
from tests.builders import new_asset, new_gallery
from tests.fakes import MemoryAssets, MemoryStore, Ticking
from tests.imagegen import png_bytes

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
MIB = 1024 * 1024


def box(kind: bytes, body: bytes) -> bytes:
    return (8 + len(body)).to_bytes(4, "big") + kind + body


def mp4(major: bytes = b"isom", *compatible: bytes) -> bytes:
    """An `ftyp` box and a small `mdat`: enough for sniffing, not for decoding."""
    return box(b"ftyp", major + (512).to_bytes(4, "big") + b"".join(compatible or (major,))) + box(b"mdat", bytes(16))


# An EBML header whose DocType is "webm", then a few bytes of a Segment.
WEBM = b"\x1a\x45\xdf\xa3\x87\x42\x82\x84webm" + b"\x18\x53\x80\x67\x80"


def signer(repository: MemoryAssets, **limits: int) -> Signer:
    """A signer with the default limits (25 MB images, 2 GB videos, 100 MB threshold) unless told."""
    return Signer(
        repository=repository,
        store=MemoryStore(),
        clock=fixed_clock(NOW),
        upload_ttl_seconds=300,
        read_ttl_seconds=3600,
        max_image_bytes=limits.get("max_image_bytes", 25 * MIB),
        max_video_bytes=limits.get("max_video_bytes", 2048 * MIB),
        multipart_threshold_bytes=limits.get("multipart_threshold_bytes", 100 * MIB),
    )


# Sign


@pytest.mark.parametrize(
    ("content_type", "kind", "prefix"),
    [("video/mp4", "video", "videos/"), ("video/x-matroska", "video", "videos/"), ("image/png", "image", "originals/")],
)
def test_the_declared_type_gives_the_kind_and_so_the_key(content_type: str, kind: str, prefix: str) -> None:
    # Given / When
    repository = MemoryAssets()
    response = sign_upload(
        owner="alice", request=SignUploadRequest(content_type=content_type, size=10), signer=signer(repository)
    )
    # Then the pending asset has that kind, and the slot's key (pinned by the policy) is under its prefix
    assert response.asset.kind == kind and response.upload is not None
    assert response.upload.fields["key"] == f"{prefix}alice/{response.asset.id}"
    assert response.upload.fields["Content-Type"] == content_type
    assert repository.get("alice", response.asset.id).asset.kind == kind


@pytest.mark.parametrize(
    ("content_type", "size", "limits", "refused"),
    [
        ("image/png", 1000, {"max_image_bytes": 1000}, None),
        ("image/png", 1001, {"max_image_bytes": 1000}, "at most 1000 bytes \\(images\\)"),
        ("video/mp4", 100 * MIB, {}, None),
        ("video/mp4", 100 * MIB + 1, {}, "POST /uploads/multipart"),
        ("video/webm", 2000, {"max_video_bytes": 1000, "multipart_threshold_bytes": 5000}, "at most 1000 bytes"),
        # An image over the threshold but within its maximum also goes to multipart.
        ("image/jpeg", 2000, {"max_image_bytes": 5000, "multipart_threshold_bytes": 1000}, "POST /uploads/multipart"),
    ],
)
def test_sign_takes_each_kind_up_to_its_maximum_and_the_threshold(
    content_type: str, size: int, limits: dict[str, int], refused: str | None
) -> None:
    # Given
    repository = MemoryAssets()
    request = SignUploadRequest(content_type=content_type, size=size)
    if refused is None:
        # When within both / Then signed
        assert sign_upload(owner="alice", request=request, signer=signer(repository, **limits)).upload is not None
        return
    # When over either / Then refused with the reason, and nothing stored
    with pytest.raises(InvalidRequest, match=refused):
        sign_upload(owner="alice", request=request, signer=signer(repository, **limits))
    assert repository.items == {}


def test_an_unknown_video_type_is_refused() -> None:
    # Given / When / Then
    with pytest.raises(ValueError, match="must be one of"):
        SignUploadRequest(content_type="video/x-msvideo", size=10)


# The direct upload


def uploader(repository: MemoryAssets, store: MemoryStore) -> Uploader:
    return Uploader(
        repository=repository, store=store, clock=fixed_clock(NOW), max_image_pixels=50_000_000, read_ttl_seconds=60
    )


@pytest.mark.parametrize(
    ("data", "mime"),
    [(mp4(), "video/mp4"), (mp4(b"qt  "), "video/quicktime"), (WEBM, "video/webm")],
    ids=["mp4", "mov", "webm"],
)
def test_a_tiny_video_is_stored_under_videos_with_its_container_type(data: bytes, mime: str) -> None:
    # Given / When
    repository, store = MemoryAssets(), MemoryStore()
    shown = upload(owner="alice", data=data, metadata=AssetMetadata(), uploader=uploader(repository, store))
    # Then a processing video, its type, size and sha256 from the bytes, stored at its videos/ key and counted
    asset = repository.get("alice", shown.id).asset
    assert (asset.kind, asset.status, asset.mime, asset.size) == (
        AssetKind.VIDEO,
        AssetStatus.PROCESSING,
        mime,
        len(data),
    )
    assert asset.sha256 and asset.stored_bytes == len(data) and asset.width is None
    assert store.objects == {f"videos/alice/{asset.id}": data}


def test_images_still_go_through_pillow() -> None:
    # Given a PNG, and an ftyp of a HEIF brand that is no image at all
    repository, store = MemoryAssets(), MemoryStore()
    png = upload(owner="alice", data=png_bytes(8, 6), metadata=AssetMetadata(), uploader=uploader(repository, store))
    # When / Then the PNG is an image with its dimensions under originals/, and the HEIF brand is no video
    assert (png.kind, png.width, png.height) == (AssetKind.IMAGE, 8, 6)
    assert list(store.objects) == [f"originals/alice/{png.id}"]
    with pytest.raises((InvalidImage, UnsupportedMediaType)):
        upload(
            owner="alice", data=mp4(b"heic", b"mif1"), metadata=AssetMetadata(), uploader=uploader(repository, store)
        )
    assert len(repository.items) == 1


# The gallery


def test_the_kind_filter_lists_one_kind_and_combines_with_no_type_or_folder() -> None:
    # Given a video and an image
    gallery = new_gallery(MemoryAssets(), MemoryStore(), Ticking(NOW))
    clip = new_asset(created_at=gallery.clock(), kind=AssetKind.VIDEO)
    image = new_asset(created_at=gallery.clock())
    for asset in (clip, image):
        gallery.repository.create(asset)

    def listed(**kwargs: object) -> list[str]:
        arguments: dict[str, object] = {"asset_type": None, "limit": 10, "cursor": None} | kwargs
        page = logic.list_gallery(owner="alice", view=View.ALL, gallery=gallery, **arguments)  # type: ignore[arg-type]
        return [item.id for item in page.items]

    # When / Then each kind lists alone, and with a type or a folder it is a 422
    assert (listed(kind=AssetKind.VIDEO), listed(kind=AssetKind.IMAGE), listed()) == (
        [clip.id],
        [image.id],
        [
            image.id,
            clip.id,
        ],
    )
    with pytest.raises(InvalidRequest, match="kind"):
        listed(kind=AssetKind.VIDEO, asset_type=image.asset_type)
    with pytest.raises(InvalidRequest, match="kind"):
        listed(kind=AssetKind.IMAGE, folder_id=clip.id)


# The record


def test_a_video_maps_to_an_item_with_its_kind_keys_and_a_pending_one_is_a_candidate_under_videos() -> None:
    # Given a pending starred video in the trash, with the video function's facts
    clip = new_asset(
        created_at=NOW,
        kind=AssetKind.VIDEO,
        status=AssetStatus.PENDING,
        starred=True,
        duration_ms=1500,
        video_codec="hevc",
        has_audio=True,
        playable=False,
    )
    # When it becomes an item (read back whole on moto: tests/integration/test_video_intake.py)
    attributes = to_attributes(clip)
    # Then the kind and its index keys are attributes, the facts in the document
    assert (attributes["kind"], attributes["view_kind_pk"], attributes["starred_kind_pk"]) == (
        "video",
        "alice#all#k#video",
        "alice#starred#k#video",
    )
    assert '"video_codec":"hevc"' in attributes["doc"] and '"playable":false' in attributes["doc"]
    assert clip.original_key == f"videos/alice/{clip.id}"
    # And the purge's candidate for it knows where its upload would be
    assert candidate_for(clip).kind is AssetKind.VIDEO
    trashed = to_attributes(clip.model_copy(update={"trashed_at": NOW}))
    assert (trashed["view_kind_pk"], trashed["starred_kind_pk"]) == ("alice#trash#k#video", None)


def test_the_kind_indexes_keep_the_table_within_dynamodbs_index_quota() -> None:
    # Given the asset table's indexes / When counted
    names = [index.name for index in table_schema().indexes]
    # Then the two per-kind views are there, and the table stays under the default quota of 20 global secondary
    # indexes with room for more (`kind` combined with a type and a folder would take the six left)
    assert {"by_view_kind", "by_starred_kind"} <= set(names)
    assert len(names) <= 20 - 6
