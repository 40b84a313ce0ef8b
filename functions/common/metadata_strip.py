"""Copies of images without EXIF, GPS, XMP, comments or text: what a share hands out when metadata is not allowed.

JPEG, PNG, WebP and GIF are rewritten losslessly, keeping only the segments, chunks and blocks that change how the
pixels look (an allow-list, so an unknown metadata carrier is dropped too), and nothing after the image's end (an
MPO's second image, a phone's trailer). The EXIF orientation is the one fact kept, as a fresh one-entry EXIF block:
without it a sideways photo would come out sideways. HEIC and AVIF are re-encoded (their metadata are items that
the image's location table points past), as JPEG, or PNG when they have alpha, under the decode limits of
`functions.common.images`. The format is told from the bytes, never from a name or a stored MIME type.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, ImageOps

from functions.common.images import ImageRejected, decoding, opened_image, orientation_of
from functions.common.jpeg_markers import MAX_SEGMENTS

_JPEG_MARKER = re.compile(rb"\xff+([^\x00\xff\xd0-\xd7])")
_APP0, _APP2, _APP14, _APP15, _COM, _SOS, _EOI, _TEM = 0xE0, 0xE2, 0xEE, 0xEF, 0xFE, 0xDA, 0xD9, 0x01
_JPEG_KEPT_APPS = {_APP0: b"JFIF\x00", _APP2: b"ICC_PROFILE\x00", _APP14: b"Adobe"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# What a PNG needs to be drawn as it was: critical chunks, colour, transparency, density, animation (APNG).
_PNG_KEPT = frozenset(
    {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"cHRM", b"gAMA", b"iCCP", b"sBIT", b"sRGB", b"cICP", b"mDCv"}
    | {b"cLLi", b"bKGD", b"hIST", b"pHYs", b"sPLT", b"acTL", b"fcTL", b"fdAT"}
)
_WEBP_KEPT = frozenset({b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"})
_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04
_GIF_LOOPING = (b"NETSCAPE2.0", b"ANIMEXTS1.0")
_MAX_GIF_BLOCKS = 400_000  # sub-blocks of 255 bytes: 100 MB, past any accepted size; 1-byte ones stop here
_REENCODE_QUALITY = 92
_STRIPPED_EXIF_PREFIX = b"Exif\x00\x00"


@dataclass(frozen=True)
class Stripped:
    """The copy's bytes and what they are (a re-encoded HEIC/AVIF is no longer HEIC/AVIF)."""

    data: bytes
    mime: str
    extension: str


def strip_metadata(data: bytes, *, max_pixels: int) -> Stripped:
    """A copy of `data` with no metadata but the orientation; `ImageRejected` for bytes that are no accepted image.

    Lossless for JPEG, PNG, WebP and GIF (the decoded pixels are the same); HEIC/AVIF are decoded and re-encoded.
    The cost is bounded as on upload: the same header checks first, then one walk of the file (or one decode).
    """
    with opened_image(data, max_pixels=max_pixels) as image:
        kind, orientation = image.format, orientation_of(image)
        if kind in ("HEIF", "AVIF"):
            return _reencode(image)
    with decoding():
        if kind == "JPEG":
            return Stripped(_jpeg(data, orientation), "image/jpeg", "jpg")
        if kind == "PNG":
            return Stripped(_png(data, orientation), "image/png", "png")
        if kind == "WEBP":
            return Stripped(_webp(data, orientation), "image/webp", "webp")
        if kind == "GIF":
            return Stripped(_gif(data), "image/gif", "gif")
    raise ImageRejected("unsupported_media_type", "Not an accepted image format.")


def orientation_exif(orientation: int) -> bytes:
    """A big-endian TIFF block holding one entry, the orientation (what viewers need to show the image upright)."""
    entry = struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
    return b"MM\x00\x2a" + struct.pack(">I", 8) + struct.pack(">H", 1) + entry + b"\x00\x00\x00\x00"


def _too_complex() -> ImageRejected:
    return ImageRejected("image_too_complex", "The file has more pieces than any encoder writes.")


def _jpeg(data: bytes, orientation: int) -> bytes:
    """Every segment but APPn (except JFIF, ICC, Adobe) and COM, up to the first image's end."""
    out = [b"\xff\xd8"]
    if orientation != 1:
        exif = _STRIPPED_EXIF_PREFIX + orientation_exif(orientation)
        out.append(b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif)
    position, segments = 2, 0
    while (found := _JPEG_MARKER.search(data, position)) is not None:
        out.append(data[position : found.start()])  # entropy-coded data after a scan header (or stray bytes)
        marker = found.group(1)[0]
        segments += 1
        if segments > MAX_SEGMENTS:
            raise _too_complex()
        if marker == _EOI:
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker == _TEM:
            out.append(b"\xff\x01")
            position = found.end()
            continue
        length = int.from_bytes(data[found.end() : found.end() + 2], "big")
        if length < 2 or found.end() + length > len(data):
            raise ImageRejected("invalid_image", "The image is truncated or corrupt.")
        payload = data[found.end() + 2 : found.end() + length]
        dropped = marker == _COM or (_APP0 <= marker <= _APP15 and not _kept_app(marker, payload))
        if not dropped:
            out.append(bytes((0xFF, marker)) + data[found.end() : found.end() + length])
        position = found.end() + length
    raise ImageRejected("invalid_image", "The image is truncated or corrupt.")


def _kept_app(marker: int, payload: bytes) -> bool:
    signature = _JPEG_KEPT_APPS.get(marker)
    return signature is not None and payload.startswith(signature)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _png(data: bytes, orientation: int) -> bytes:
    """The chunks that draw the image, up to IEND; an eXIf of the orientation alone after IHDR when it matters."""
    out = [_PNG_SIGNATURE]
    position = len(_PNG_SIGNATURE)
    while position + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        end = position + 12 + length
        if end > len(data):
            break
        if kind in _PNG_KEPT:
            out.append(data[position:end])
        if kind == b"IHDR" and orientation != 1:
            out.append(_png_chunk(b"eXIf", orientation_exif(orientation)))
        if kind == b"IEND":
            return b"".join(out)
        position = end
    raise ImageRejected("invalid_image", "The image is truncated or corrupt.")


def _webp(data: bytes, orientation: int) -> bytes:
    """The RIFF chunks that draw the image; the VP8X flags say no XMP, and EXIF only for the orientation's block."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ImageRejected("invalid_image", "The image is truncated or corrupt.")
    end = min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    chunks: list[bytes] = []
    position = 12
    while position + 8 <= end:
        kind = data[position : position + 4]
        size = int.from_bytes(data[position + 4 : position + 8], "little")
        chunk = data[position : position + 8 + size + (size & 1)]
        if kind == b"VP8X" and size >= 10:
            flags = chunk[8] & ~(_VP8X_EXIF | _VP8X_XMP) | (_VP8X_EXIF if orientation != 1 else 0)
            chunk = chunk[:8] + bytes((flags,)) + chunk[9:]
        if kind in _WEBP_KEPT:
            chunks.append(chunk)
        position += 8 + size + (size & 1)
    if orientation != 1 and chunks and chunks[0][:4] == b"VP8X":
        exif = orientation_exif(orientation)
        chunks.append(b"EXIF" + struct.pack("<I", len(exif)) + exif + b"\x00" * (len(exif) & 1))
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _gif(data: bytes) -> bytes:
    """Header, colour tables, images and their control blocks; no comments, no application data but looping."""
    flags = data[10]
    position = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    out = [data[:position]]
    blocks = 0
    while position < len(data):
        start, introducer = position, data[position]
        if introducer == 0x3B:
            out.append(b"\x3b")
            return b"".join(out)
        if introducer == 0x2C:  # image descriptor, local colour table, LZW code size, then data sub-blocks
            local = data[position + 9] if position + 9 < len(data) else 0
            position += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1
            kept = True
        elif introducer == 0x21 and position + 1 < len(data):
            label = data[position + 1]
            position += 2
            first = data[position + 1 : position + 1 + data[position]] if position < len(data) else b""
            kept = label in (0xF9, 0x01) or (label == 0xFF and first in _GIF_LOOPING)
        else:
            break
        while position < len(data) and (size := data[position]) != 0:
            blocks += 1
            if blocks > _MAX_GIF_BLOCKS:
                raise _too_complex()
            position += 1 + size
        position += 1
        if kept:
            out.append(data[start:position])
    raise ImageRejected("invalid_image", "The image is truncated or corrupt.")


def _reencode(image: Image.Image) -> Stripped:
    """HEIC/AVIF decoded (inside the caller's limits), turned upright, and encoded with nothing but its ICC profile."""
    icc = image.info.get("icc_profile")
    upright = ImageOps.exif_transpose(image)
    buffer = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    if upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info:
        upright.convert("RGBA").save(buffer, "PNG", **extra)
        return Stripped(buffer.getvalue(), "image/png", "png")
    upright.convert("RGB").save(buffer, "JPEG", quality=_REENCODE_QUALITY, **extra)
    return Stripped(buffer.getvalue(), "image/jpeg", "jpg")
