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
from collections.abc import Iterator
from dataclasses import dataclass, field

_CONTAINERS = (b"iprp", b"ipco")
_DERIVED = frozenset({b"grid", b"iovl", b"iden"})
# Items whose pixels the decoder of the primary image also decodes, found by their reference to it.
_DECODED_WITH_PRIMARY = b"auxl"
_IMAGE_TYPES = frozenset({b"hvc1", b"hev1", b"av01", b"grid", b"iovl", b"iden", b"jpeg", b"avc1", b"unci", b"j2k1"})
MAX_WALK_STEPS = 20_000  # boxes, items, properties, references and extents; a 48 MP iPhone file needs about 3,000
_MAX_DEPTH = 4  # derivations chain no deeper in any encoder (a grid of coded tiles is depth 1)


@dataclass(frozen=True)
class PrimaryCost:
    displayed_pixels: int  # the smallest size declared for the primary image (ispe, clean aperture)
    coded_pixels: int  # every coded image decoded to show it: tiles, the image behind a crop, auxiliary images
    coded_images: int
    items: int
    top_level_images: int  # what pillow-heif opens one by one: shown images that are no thumbnail or auxiliary
    exif: tuple[bytes, ...]  # the payload of each Exif item


@dataclass
class _Meta:
    primary: int = 0
    types: dict[int, bytes] = field(default_factory=dict)
    references: dict[tuple[bytes, int], list[int]] = field(default_factory=dict)  # (type, from) -> to
    auxiliaries: list[int] = field(default_factory=list)  # items with an auxl reference to the primary
    properties: list[tuple[bytes, bytes]] = field(default_factory=list)  # (type, payload), 1-based in ipma
    associations: dict[int, list[int]] = field(default_factory=dict)
    hidden: set[int] = field(default_factory=set)
    extents: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # file offset, length (iloc method 0)
    steps: int = 0

    def spend(self, steps: int = 1) -> None:
        """Count the walk's work: a file of a million tiny boxes or entries must cost less to refuse than to parse."""
        self.steps += steps
        if self.steps > MAX_WALK_STEPS:
            raise ValueError("more boxes and entries than any encoder writes")


def _boxes(data: bytes, start: int, end: int, meta: _Meta) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box in data[start:end]; raises ValueError on a broken size."""
    position = start
    while position < end:
        meta.spend()
        if position + 8 > end:
            raise ValueError("truncated box header")
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise ValueError("box overruns its parent")
        yield kind, position + header, position + size
        position += size


def is_isobmff(data: bytes) -> bool:
    return data[4:8] == b"ftyp"


def primary_cost(data: bytes) -> PrimaryCost | None:
    """The pixels shown and the pixels decoded for the primary image, or None when the boxes cannot be read."""
    try:
        meta = _read_meta(data)
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


def _top_level(meta: _Meta) -> int:
    secondary = {source for (kind, source) in meta.references if kind in (b"thmb", b"auxl")}
    inputs = {target for (kind, _), targets in meta.references.items() if kind == b"dimg" for target in targets}
    return sum(
        1
        for item_id, kind in meta.types.items()
        if kind in _IMAGE_TYPES and item_id not in meta.hidden | secondary | inputs
    )


def _payload(data: bytes, meta: _Meta, item_id: int) -> bytes:
    return b"".join(data[offset : offset + length] for offset, length in meta.extents.get(item_id, []))


def _read_meta(data: bytes) -> _Meta | None:
    meta = _Meta()
    for kind, start, end in _boxes(data, 0, len(data), meta):
        if kind == b"meta":
            for child, child_start, child_end in _boxes(data, start + 4, end, meta):
                _read_child(data, child, child_start, child_end, meta)
            return meta
    return None


def _read_child(data: bytes, kind: bytes, start: int, end: int, meta: _Meta) -> None:
    if kind == b"pitm":
        meta.primary = struct.unpack_from(">I" if data[start] else ">H", data, start + 4)[0]
    elif kind == b"iinf":
        first = start + (8 if data[start] else 6)
        for entry, entry_start, _ in _boxes(data, first, end, meta):
            if entry == b"infe" and data[entry_start] >= 2:
                wide = data[entry_start] == 3
                item_id = struct.unpack_from(">I" if wide else ">H", data, entry_start + 4)[0]
                type_at = entry_start + (10 if wide else 8)
                meta.types[item_id] = data[type_at : type_at + 4]
                if data[entry_start + 3] & 1:
                    meta.hidden.add(item_id)
    elif kind == b"iref":
        wide = data[start] == 1
        for reference, ref_start, ref_end in _boxes(data, start + 4, end, meta):
            _read_reference(data, reference, ref_start, ref_end, wide, meta)
    elif kind in _CONTAINERS:
        for child, child_start, child_end in _boxes(data, start, end, meta):
            if kind == b"ipco":
                meta.properties.append((child, data[child_start:child_end]))
            else:
                _read_child(data, child, child_start, child_end, meta)
    elif kind == b"ipma":
        _read_associations(data, start, meta)
    elif kind == b"iloc":
        _read_locations(data, start, end, meta)


def _read_locations(data: bytes, start: int, end: int, meta: _Meta) -> None:
    """Each item's extents in the file (construction method 0; idat and item-relative ones are not needed here)."""
    version = data[start]
    position = start + 4

    def read(width: int) -> int:
        nonlocal position
        value = int.from_bytes(data[position : position + width], "big")
        position += width
        return value

    sizes = read(2)
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    index_size = sizes & 15 if version in (1, 2) else 0
    for _ in range(read(4 if version == 2 else 2)):
        meta.spend()
        item_id = read(4 if version == 2 else 2)
        method = read(2) & 15 if version in (1, 2) else 0
        read(2)  # data reference index
        base = read(base_size)
        extents = []
        for _ in range(read(2)):
            meta.spend()
            read(index_size)
            extents.append((base + read(offset_size), read(length_size)))
            if position > end:  # a count no box this size can hold: stop before it costs anything
                raise ValueError("iloc overruns its box")
        if position > end:
            raise ValueError("iloc overruns its box")
        if method == 0:
            meta.extents[item_id] = extents


def _read_reference(data: bytes, kind: bytes, start: int, end: int, wide: bool, meta: _Meta) -> None:
    unit = ">I" if wide else ">H"
    width = 4 if wide else 2
    source = struct.unpack_from(unit, data, start)[0]
    (count,) = struct.unpack_from(">H", data, start + width)
    if start + 2 * width + count * width > end:
        raise ValueError("reference list overruns its box")
    meta.spend(count)
    targets = [struct.unpack_from(unit, data, start + width + 2 + index * width)[0] for index in range(count)]
    meta.references.setdefault((kind, source), []).extend(targets)
    if kind == _DECODED_WITH_PRIMARY and meta.primary in targets:
        meta.auxiliaries.append(source)


def _read_associations(data: bytes, start: int, meta: _Meta) -> None:
    version, flags = data[start], data[start + 3]
    (count,) = struct.unpack_from(">I", data, start + 4)
    position = start + 8
    for _ in range(count):
        meta.spend()
        item_id = struct.unpack_from(">I" if version else ">H", data, position)[0]
        position += 4 if version else 2
        entries = data[position]
        position += 1
        indexes = []
        meta.spend(entries)
        for _ in range(entries):
            if flags & 1:
                indexes.append(struct.unpack_from(">H", data, position)[0] & 0x7FFF)
                position += 2
            else:
                indexes.append(data[position] & 0x7F)
                position += 1
        meta.associations.setdefault(item_id, []).extend(indexes)


def _property(meta: _Meta, item_id: int, kind: bytes) -> bytes | None:
    for index in meta.associations.get(item_id, []):
        if 0 < index <= len(meta.properties) and meta.properties[index - 1][0] == kind:
            return meta.properties[index - 1][1]
    return None


def _ispe_pixels(meta: _Meta, item_id: int) -> int | None:
    ispe = _property(meta, item_id, b"ispe")
    if ispe is None:
        return None
    width, height = struct.unpack_from(">II", ispe, 4)
    return width * height


def _collect(meta: _Meta, item_id: int, coded: list[int], *, depth: int) -> None:
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


def _displayed(meta: _Meta, item_id: int) -> int | None:
    """The smallest pixel count declared for the image: its ispe or its clean aperture (what the decoders report)."""
    candidates = [pixels for pixels in (_ispe_pixels(meta, item_id),) if pixels is not None]
    clap = _property(meta, item_id, b"clap")
    if clap is not None:
        width_n, width_d, height_n, height_d = struct.unpack_from(">IIII", clap)
        if width_d and height_d:
            candidates.append((width_n // width_d) * (height_n // height_d))
    return min(candidates) if candidates else None
