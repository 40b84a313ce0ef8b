"""The `meta` box of a HEIF/AVIF file read into its items, references, properties and extents, under a step budget.

What it cannot read raises (ValueError, struct.error, IndexError); `isobmff_items` turns that into a refusal.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

_CONTAINERS = (b"iprp", b"ipco")
# Items whose pixels the decoder of the primary image also decodes, found by their reference to it.
_DECODED_WITH_PRIMARY = b"auxl"
MAX_WALK_STEPS = 20_000  # boxes, items, properties, references and extents; a 48 MP iPhone file needs about 3,000


@dataclass
class ItemMeta:
    """What the walk found in `meta`, by item id, and the steps it has spent."""

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


def boxes(data: bytes, start: int, end: int, meta: ItemMeta) -> Iterator[tuple[bytes, int, int]]:
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


def read_meta(data: bytes) -> ItemMeta | None:
    meta = ItemMeta()
    for kind, start, end in boxes(data, 0, len(data), meta):
        if kind == b"meta":
            for child, child_start, child_end in boxes(data, start + 4, end, meta):
                _read_child(data, child, child_start, child_end, meta)
            return meta
    return None


def _read_child(data: bytes, kind: bytes, start: int, end: int, meta: ItemMeta) -> None:
    if kind == b"pitm":
        meta.primary = struct.unpack_from(">I" if data[start] else ">H", data, start + 4)[0]
    elif kind == b"iinf":
        first = start + (8 if data[start] else 6)
        for entry, entry_start, _ in boxes(data, first, end, meta):
            if entry == b"infe" and data[entry_start] >= 2:
                wide = data[entry_start] == 3
                item_id = struct.unpack_from(">I" if wide else ">H", data, entry_start + 4)[0]
                type_at = entry_start + (10 if wide else 8)
                meta.types[item_id] = data[type_at : type_at + 4]
                if data[entry_start + 3] & 1:
                    meta.hidden.add(item_id)
    elif kind == b"iref":
        wide = data[start] == 1
        for reference, ref_start, ref_end in boxes(data, start + 4, end, meta):
            _read_reference(data, reference, ref_start, ref_end, wide, meta)
    elif kind in _CONTAINERS:
        for child, child_start, child_end in boxes(data, start, end, meta):
            if kind == b"ipco":
                meta.properties.append((child, data[child_start:child_end]))
            else:
                _read_child(data, child, child_start, child_end, meta)
    elif kind == b"ipma":
        _read_associations(data, start, meta)
    elif kind == b"iloc":
        _read_locations(data, start, end, meta)


def _read_locations(data: bytes, start: int, end: int, meta: ItemMeta) -> None:
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


def _read_reference(data: bytes, kind: bytes, start: int, end: int, wide: bool, meta: ItemMeta) -> None:
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


def _read_associations(data: bytes, start: int, meta: ItemMeta) -> None:
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
