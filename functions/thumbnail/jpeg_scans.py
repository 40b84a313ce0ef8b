"""Progressive JPEG without the scans a 1/8-scale decode never reads.

At 1/8 scale libjpeg inverse-transforms each full-resolution component's 8x8 block with a 1x1 IDCT, which
reads only the DC coefficient; yet it still entropy-decodes every AC scan first, which is most of a progressive
file's decode time. Dropping the AC scans of those components gives a file that decodes at 1/8 scale to the
same pixels in about half the time. Kept: every DC scan; every scan of a subsampled component (its 2x2 IDCT reads
low AC coefficients); every other segment; and the first AC scan of each full-resolution component, because
libjpeg smooths the DC values of a component none of whose AC coefficients arrived, which would change the picture.

The parser is strict: anything it does not fully understand gives None and the caller decodes the original.
"""

from __future__ import annotations

import re
import struct

_SOI = b"\xff\xd8"
_EOI = b"\xff\xd9"
_SOF_PROGRESSIVE_HUFFMAN = 0xC2
# Start-of-frame markers of every other coding process (baseline, lossless, arithmetic, hierarchical): not ours.
_OTHER_SOF = frozenset({0xC0, 0xC1, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_SOS = 0xDA
_EOI_MARKER = 0xD9
_FILL = 0xFF
# Inside entropy-coded data a 0xFF byte is followed by 0x00 (stuffing) or RST0-7; anything else ends the scan.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def dc_scans_only(data: bytes) -> bytes | None:
    """`data` without the AC scans of its full-resolution components, or None if it is not a plain progressive JPEG."""
    if not data.startswith(_SOI):
        return None
    kept = [_SOI]
    full_resolution: frozenset[int] | None = None
    ac_started: set[int] = set()
    dropped = 0
    position = len(_SOI)
    try:
        while True:
            if data[position] != _FILL:
                return None
            while data[position + 1] == _FILL:  # fill bytes may pad before a marker
                position += 1
            marker = data[position + 1]
            if marker == _EOI_MARKER:
                break
            (length,) = struct.unpack_from(">H", data, position + 2)
            segment_end = position + 2 + length
            if length < 2 or segment_end > len(data):
                return None
            if marker in _OTHER_SOF or (marker == _SOS and full_resolution is None):
                return None
            if marker == _SOF_PROGRESSIVE_HUFFMAN:
                full_resolution = _full_resolution_components(data[position + 4 : segment_end])
            if marker != _SOS:
                kept.append(data[position:segment_end])
                position = segment_end
                continue
            end = _SCAN_END.search(data, segment_end)
            if end is None:
                return None  # truncated: let the real decoder report it
            if _droppable(data[position + 4 : segment_end], full_resolution or frozenset(), ac_started):
                dropped += 1
            else:
                kept.append(data[position : end.start()])
            position = end.start()
    except (IndexError, struct.error):
        return None
    if full_resolution is None or dropped == 0:
        return None
    kept.append(_EOI)
    return b"".join(kept)


def _full_resolution_components(frame: bytes) -> frozenset[int]:
    """Ids of the frame's components sampled at the highest horizontal and vertical factors."""
    count = frame[5]
    components = [frame[6 + 3 * index : 9 + 3 * index] for index in range(count)]
    if count == 0 or len(components[-1]) != 3:
        raise IndexError("short frame header")
    horizontal = max(component[1] >> 4 for component in components)
    vertical = max(component[1] & 0x0F for component in components)
    return frozenset(
        component[0] for component in components if component[1] >> 4 == horizontal and component[1] & 0x0F == vertical
    )


def _droppable(scan_header: bytes, full_resolution: frozenset[int], ac_started: set[int]) -> bool:
    """Whether a scan holds only AC coefficients of full-resolution components whose first AC scan was kept."""
    count = scan_header[0]
    component_ids = {scan_header[1 + 2 * index] for index in range(count)}
    spectral_start = scan_header[1 + 2 * count]
    successive_high = scan_header[3 + 2 * count] >> 4
    if spectral_start == 0 or not component_ids or not component_ids <= full_resolution:
        return False
    if spectral_start == 1 and successive_high == 0 and not component_ids <= ac_started:
        ac_started.update(component_ids)
        return False
    return True
