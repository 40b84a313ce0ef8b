"""What decoding a HEIF/AVIF file's primary image costs, read from its boxes without decoding anything.

The size Pillow and pillow-heif report is the displayed one, but the decoder decodes every coded image behind it:
each tile of a grid, the whole coded image behind a clean-aperture crop, the alpha and other auxiliary images. A
file of a few kilobytes can declare a 64x64 grid of 256 tiles of 512x512 that all share one coded payload (67
megapixels decoded for 4,096 shown), or crop one pixel out of a 8192x8192 image. Counting the coded pixels behind
the primary image bounds that cost before any decoding.

The walk reads only the `meta` box (ftyp, then meta's pitm, iinf, iref, iprp); anything it cannot read gives None,
and the caller refuses the file, since libheif or libavif might read it differently.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from functions.common.isobmff_meta import ItemMeta, read_meta

_DERIVED = frozenset({b"grid", b"iovl", b"iden"})
_IMAGE_TYPES = frozenset({b"hvc1", b"hev1", b"av01", b"grid", b"iovl", b"iden", b"jpeg", b"avc1", b"unci", b"j2k1"})
_MAX_DEPTH = 4  # derivations chain no deeper in any encoder (a grid of coded tiles is depth 1)


@dataclass(frozen=True)
class PrimaryCost:
    displayed_pixels: int  # the smallest size declared for the primary image (ispe, clean aperture)
    coded_pixels: int  # every coded image decoded to show it: tiles, the image behind a crop, auxiliary images
    coded_images: int
    items: int
    top_level_images: int  # what pillow-heif opens one by one: shown images that are no thumbnail or auxiliary
    exif: tuple[bytes, ...]  # the payload of each Exif item


def is_isobmff(data: bytes) -> bool:
    return data[4:8] == b"ftyp"


def primary_cost(data: bytes) -> PrimaryCost | None:
    """The pixels shown and the pixels decoded for the primary image, or None when the boxes cannot be read."""
    try:
        meta = read_meta(data)
        if meta is None or meta.primary not in meta.types:
            return None
        coded: list[int] = []
        _collect(meta, meta.primary, coded, depth=0)
        for auxiliary in meta.auxiliaries:
            _collect(meta, auxiliary, coded, depth=0)
        displayed = _displayed(meta, meta.primary)
    except (ValueError, struct.error, IndexError, KeyError, RecursionError):
        return None
    if displayed is None:
        return None
    exif = tuple(_payload(data, meta, item_id) for item_id, kind in meta.types.items() if kind == b"Exif")
    return PrimaryCost(displayed, sum(coded), len(coded), len(meta.types), _top_level(meta), exif)


def _top_level(meta: ItemMeta) -> int:
    secondary = {source for (kind, source) in meta.references if kind in (b"thmb", b"auxl")}
    inputs = {target for (kind, _), targets in meta.references.items() if kind == b"dimg" for target in targets}
    return sum(
        1
        for item_id, kind in meta.types.items()
        if kind in _IMAGE_TYPES and item_id not in meta.hidden | secondary | inputs
    )


def _payload(data: bytes, meta: ItemMeta, item_id: int) -> bytes:
    return b"".join(data[offset : offset + length] for offset, length in meta.extents.get(item_id, []))


def _property(meta: ItemMeta, item_id: int, kind: bytes) -> bytes | None:
    for index in meta.associations.get(item_id, []):
        if 0 < index <= len(meta.properties) and meta.properties[index - 1][0] == kind:
            return meta.properties[index - 1][1]
    return None


def _ispe_pixels(meta: ItemMeta, item_id: int) -> int | None:
    ispe = _property(meta, item_id, b"ispe")
    if ispe is None:
        return None
    width, height = struct.unpack_from(">II", ispe, 4)
    return width * height


def _collect(meta: ItemMeta, item_id: int, coded: list[int], *, depth: int) -> None:
    """Append the pixels of every coded image `item_id` is made of (itself, or its derivation's inputs)."""
    if depth > _MAX_DEPTH:
        raise ValueError("derivation chain too deep")
    meta.spend()  # a derivation may reuse its inputs, so visits, not references, are what cost
    if meta.types.get(item_id) in _DERIVED:
        for source in meta.references.get((b"dimg", item_id), []):
            _collect(meta, source, coded, depth=depth + 1)
        return
    pixels = _ispe_pixels(meta, item_id)
    if pixels is None:
        raise ValueError("a coded image without ispe")  # libheif and libavif refuse it too
    coded.append(pixels)


def _displayed(meta: ItemMeta, item_id: int) -> int | None:
    """The smallest pixel count declared for the image: its ispe or its clean aperture (what the decoders report)."""
    candidates = [pixels for pixels in (_ispe_pixels(meta, item_id),) if pixels is not None]
    clap = _property(meta, item_id, b"clap")
    if clap is not None:
        width_n, width_d, height_n, height_d = struct.unpack_from(">IIII", clap)
        if width_d and height_d:
            candidates.append((width_n // width_d) * (height_n // height_d))
    return min(candidates) if candidates else None
