"""The media formats the contract accepts, by MIME type, and how a video's format is told from its first bytes."""

from __future__ import annotations

from enum import StrEnum

ACCEPTED_MIME_TYPES: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/gif": "GIF",
    "image/avif": "AVIF",
    "image/heic": "HEIF",
    "image/heif": "HEIF",
}

# Videos (#16), by MIME type and the container FFmpeg calls it.
ACCEPTED_VIDEO_MIME_TYPES: dict[str, str] = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "video/x-matroska": "matroska",
}

# Every type an upload may declare.
ACCEPTED_UPLOAD_MIME_TYPES: tuple[str, ...] = (*ACCEPTED_MIME_TYPES, *ACCEPTED_VIDEO_MIME_TYPES)

# How many bytes `sniff_video` needs at most (an `ftyp` box with many brands, an EBML header).
VIDEO_SNIFF_BYTES = 4096


class AssetKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"


def kind_of_mime(mime: str) -> AssetKind:
    """The kind an accepted MIME type names (only for types in ACCEPTED_UPLOAD_MIME_TYPES)."""
    return AssetKind.VIDEO if mime in ACCEPTED_VIDEO_MIME_TYPES else AssetKind.IMAGE


# ISO-BMFF brands of still images and image sequences (HEIF, AVIF): those are images, decided by Pillow.
_IMAGE_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"mif2", b"msf1", b"avif", b"avis", b"avio"}
)
_QUICKTIME_BRAND = b"qt  "
# Top-level atoms an old QuickTime file may start with, before (or without) an `ftyp`.
_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE = 0x4282


def sniff_video(head: bytes) -> str | None:
    """The video MIME type the first bytes of a file show (`ftyp` brands, QuickTime atoms, EBML DocType), else None."""
    if head.startswith(_EBML_MAGIC):
        return _matroska_type(head)
    if len(head) < 12:
        return None
    box_type = head[4:8]
    if box_type == b"ftyp":
        size = int.from_bytes(head[0:4], "big")
        brands = [head[8:12]] + [head[offset : offset + 4] for offset in range(16, min(size, len(head)) - 3, 4)]
        if brands[0] in _IMAGE_BRANDS:
            return None
        return "video/quicktime" if _QUICKTIME_BRAND in brands[:1] else "video/mp4"
    if box_type in _QUICKTIME_ATOMS and int.from_bytes(head[0:4], "big") >= 8:
        return "video/quicktime"
    return None


def _vint(data: bytes, offset: int, *, keep_marker: bool) -> tuple[int, int] | None:
    """An EBML variable-length integer at `offset`: (value, its length), or None past the end or when invalid."""
    if offset >= len(data) or data[offset] == 0:
        return None
    length = 8 - data[offset].bit_length() + 1
    if offset + length > len(data):
        return None
    value = int.from_bytes(data[offset : offset + length], "big")
    if not keep_marker:
        value &= (1 << (7 * length)) - 1
    return value, length


def _matroska_type(head: bytes) -> str | None:
    """`video/webm` or `video/x-matroska` from the EBML header's DocType."""
    header_size = _vint(head, 4, keep_marker=False)
    if header_size is None:
        return None
    offset = 4 + header_size[1]
    end = min(len(head), offset + header_size[0])
    while offset < end:
        element = _vint(head, offset, keep_marker=True)
        size = element and _vint(head, offset + element[1], keep_marker=False)
        if element is None or size is None:
            return None
        body = offset + element[1] + size[1]
        if element[0] == _EBML_DOCTYPE:
            doctype = head[body : body + size[0]].rstrip(b"\x00")
            return {b"webm": "video/webm", b"matroska": "video/x-matroska"}.get(doctype)
        offset = body + size[0]
    return None
