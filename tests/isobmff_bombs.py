"""Crafted HEIF/AVIF files: grids of many tiles, tiles or coded images far larger than the displayed image, many items.

The coded pixels come from a real encoder (pillow-heif's x265, Pillow's AV1 encoder); only the boxes around them are
rewritten, and every tile points at the same coded bytes, so the files stay a few kilobytes however many tiles
they declare.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

from PIL import Image


@dataclass(frozen=True)
class Coded:
    """One coded image from an encoder's file: its item type, properties (without ispe) and bytes."""

    brand: bytes  # the ftyp box
    item_type: bytes  # b"hvc1" or b"av01"
    properties: tuple[tuple[bytes, bool], ...]  # (property box, essential)
    width: int
    height: int
    data: bytes


@dataclass
class Item:
    item_id: int
    item_type: bytes
    properties: list[tuple[bytes, bool]] = field(default_factory=list)
    data: bytes = b""
    in_idat: bool = False
    references: list[tuple[bytes, list[int]]] = field(default_factory=list)  # (type, to item ids)
    hidden: bool = False


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def full_box(kind: bytes, version: int, flags: int, payload: bytes) -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def ispe(width: int, height: int) -> bytes:
    return full_box(b"ispe", 0, 0, struct.pack(">II", width, height))


def clap(width: int, height: int) -> bytes:
    """A clean aperture of `width` x `height` centred on the coded image (offsets 0)."""
    return box(b"clap", struct.pack(">8I", width, 1, height, 1, 0, 1, 0, 1))


def grid_descriptor(rows: int, columns: int, width: int, height: int) -> bytes:
    large = width > 0xFFFF or height > 0xFFFF
    size = ">II" if large else ">HH"
    return bytes([0, 1 if large else 0, rows - 1, columns - 1]) + struct.pack(size, width, height)


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, end) of each box in data[start:end]."""
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
        elif size == 0:
            size = end - position
        yield kind, position + header, position + size
        position += size


def coded_image(fmt: str, width: int, height: int, colour: tuple[int, int, int] = (200, 60, 30)) -> Coded:
    """Encode a plain picture as HEIF or AVIF and take its primary image apart."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format=fmt, quality=60)
    data = out.getvalue()
    top = {kind: (start, end) for kind, start, end in _boxes(data, 0, len(data))}
    meta = {kind: (start, end) for kind, start, end in _boxes(data, top[b"meta"][0] + 4, top[b"meta"][1])}
    primary = struct.unpack_from(">H", data, meta[b"pitm"][0] + 4)[0]
    iprp = {kind: (start, end) for kind, start, end in _boxes(data, *meta[b"iprp"])}
    boxes = [data[start - 8 : end] for _, start, end in _boxes(data, *iprp[b"ipco"])]
    associations = _associations(data, *iprp[b"ipma"])[primary]
    properties = tuple(
        (boxes[index - 1], essential) for index, essential in associations if boxes[index - 1][4:8] != b"ispe"
    )
    item_type = b"av01" if fmt == "AVIF" else b"hvc1"
    ftyp_end = top[b"ftyp"][1]
    return Coded(data[:ftyp_end], item_type, properties, width, height, _item_data(data, *meta[b"iloc"], primary))


def _associations(data: bytes, start: int, end: int) -> dict[int, list[tuple[int, bool]]]:
    version, flags = data[start], int.from_bytes(data[start + 1 : start + 4], "big")
    position = start + 8
    result: dict[int, list[tuple[int, bool]]] = {}
    for _ in range(struct.unpack_from(">I", data, start + 4)[0]):
        width = 2 if version < 1 else 4
        item_id = int.from_bytes(data[position : position + width], "big")
        count = data[position + width]
        position += width + 1
        entries = []
        for _ in range(count):
            if flags & 1:
                value = struct.unpack_from(">H", data, position)[0]
                entries.append((value & 0x7FFF, bool(value >> 15)))
                position += 2
            else:
                entries.append((data[position] & 0x7F, bool(data[position] >> 7)))
                position += 1
        result[item_id] = entries
    return result


def _item_data(data: bytes, start: int, end: int, wanted: int) -> bytes:
    version = data[start]
    position = start + 4
    sizes = struct.unpack_from(">H", data, position)[0]
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    index_size = sizes & 15 if version in (1, 2) else 0
    position += 2
    id_width = 4 if version == 2 else 2

    def read(width: int) -> int:
        nonlocal position
        value = int.from_bytes(data[position : position + width], "big")
        position += width
        return value

    for _ in range(read(4 if version == 2 else 2)):
        item_id = read(id_width)
        if version in (1, 2):
            read(2)
        read(2)
        base = read(base_size)
        extents = []
        for _ in range(read(2)):
            read(index_size)
            offset, length = read(offset_size), read(length_size)
            extents.append(data[base + offset : base + offset + length])
        if item_id == wanted:
            return b"".join(extents)
    raise ValueError("no such item")


def assemble(brand: bytes, items: list[Item], primary: int) -> bytes:
    """A HEIF/AVIF file of `items`; equal payloads are stored once in mdat and shared by every item using them."""
    properties: list[bytes] = []
    for item in items:
        for prop, _ in item.properties:
            if prop not in properties:
                properties.append(prop)
    ipma = b"".join(
        struct.pack(">HB", item.item_id, len(item.properties))
        + b"".join(
            struct.pack(">H", (0x8000 if essential else 0) | (properties.index(prop) + 1))
            for prop, essential in item.properties
        )
        for item in items
    )
    iprp = box(
        b"iprp", box(b"ipco", b"".join(properties)) + full_box(b"ipma", 0, 1, struct.pack(">I", len(items)) + ipma)
    )
    infe = b"".join(
        full_box(b"infe", 2, 1 if item.hidden else 0, struct.pack(">HH4s", item.item_id, 0, item.item_type) + b"\0")
        for item in items
    )
    iinf = full_box(b"iinf", 0, 0, struct.pack(">H", len(items)) + infe)
    refs = b"".join(
        box(kind, struct.pack(">HH", item.item_id, len(targets)) + b"".join(struct.pack(">H", t) for t in targets))
        for item in items
        for kind, targets in item.references
    )
    iref = full_box(b"iref", 0, 0, refs) if refs else b""
    idat_payload = b"".join(item.data for item in items if item.in_idat)
    payloads: list[bytes] = []
    for item in items:
        if item.data and not item.in_idat and item.data not in payloads:
            payloads.append(item.data)
    mdat_payload = b"".join(payloads)

    def meta_with(mdat_start: int) -> bytes:
        entries = []
        idat_offset = 0
        for item in items:
            if item.in_idat:
                offset, method = idat_offset, 1
                idat_offset += len(item.data)
            elif item.data:
                at = payloads.index(item.data)
                offset, method = mdat_start + sum(len(p) for p in payloads[:at]), 0
            else:
                entries.append(struct.pack(">HHHH", item.item_id, 0, 0, 0))
                continue
            entries.append(struct.pack(">HHHHII", item.item_id, method, 0, 1, offset, len(item.data)))
        iloc = full_box(b"iloc", 1, 0, struct.pack(">HH", 0x4400, len(entries)) + b"".join(entries))
        hdlr = full_box(b"hdlr", 0, 0, b"\0\0\0\0pict" + b"\0" * 12 + b"\0")
        pitm = full_box(b"pitm", 0, 0, struct.pack(">H", primary))
        idat = box(b"idat", idat_payload) if idat_payload else b""
        return full_box(b"meta", 0, 0, hdlr + pitm + iloc + iinf + iref + iprp + idat)

    mdat_start = len(brand) + len(meta_with(0)) + 8
    return brand + meta_with(mdat_start) + box(b"mdat", mdat_payload)


def tile_item(coded: Coded, item_id: int, *, hidden: bool = True) -> Item:
    return Item(
        item_id,
        coded.item_type,
        [*coded.properties, (ispe(coded.width, coded.height), False)],
        coded.data,
        hidden=hidden,
    )


def grid(coded: Coded, rows: int, columns: int, width: int, height: int) -> bytes:
    """A grid of rows x columns copies of one coded tile, displayed as `width` x `height`."""
    tiles = [tile_item(coded, 2 + index) for index in range(rows * columns)]
    extra = [(prop, essential) for prop, essential in coded.properties if prop[4:8] == b"pixi"]
    grid_item = Item(
        1,
        b"grid",
        [(ispe(width, height), False), *extra],
        grid_descriptor(rows, columns, width, height),
        in_idat=True,
        references=[(b"dimg", [tile.item_id for tile in tiles])],
    )
    return assemble(coded.brand, [grid_item, *tiles], primary=1)


def plain(coded: Coded) -> bytes:
    """The coded image alone, rewritten by `assemble` (the baseline for the crafted ones)."""
    return assemble(coded.brand, [tile_item(coded, 1, hidden=False)], primary=1)


def cropped(coded: Coded, width: int, height: int) -> bytes:
    """The coded image with a clean aperture that shows only `width` x `height` of it."""
    item = tile_item(coded, 1, hidden=False)
    item.properties.append((clap(width, height), True))
    return assemble(coded.brand, [item], primary=1)


def many_images(coded: Coded, count: int) -> bytes:
    """`count` top-level images (plus the primary), each the same coded bytes."""
    items = [tile_item(coded, 1 + index, hidden=False) for index in range(count)]
    return assemble(coded.brand, items, primary=1)


def many_thumbnails(coded: Coded, count: int) -> bytes:
    """The primary with `count` thumbnails (thmb references), each the same coded bytes."""
    primary = tile_item(coded, 1, hidden=False)
    thumbnails = [tile_item(coded, 2 + index, hidden=False) for index in range(count)]
    for thumbnail in thumbnails:
        thumbnail.references.append((b"thmb", [1]))
    return assemble(coded.brand, [primary, *thumbnails], primary=1)
