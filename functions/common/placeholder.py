"""The placeholder the SPA paints before the thumbnail arrives: a BlurHash and the dominant colour.

The BlurHash encoder (~50 lines, the reference algorithm of https://blurha.sh) is implemented here rather
than pinned from PyPI: the C extension `blurhash-python` would need a build for Lambda's arm64, and the
pure-Python `blurhash` package evaluates every basis function at every pixel. Ours works on a <= 20 px copy
of the thumbnail and separates the cosine sums by axis, so it costs a few milliseconds.
"""

from __future__ import annotations

import math
import operator

from PIL import Image

from functions.common.models import Placeholder

_BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
_SAMPLE_SIDE = 20  # BlurHash keeps only 4x3 cosine components: a 20 px copy holds all they can show
_LONG_COMPONENTS, _SHORT_COMPONENTS = 4, 3
_SRGB_TO_LINEAR = [
    (value / 255) / 12.92 if value / 255 <= 0.04045 else ((value / 255 + 0.055) / 1.055) ** 2.4 for value in range(256)
]


def _base83(value: int, length: int) -> str:
    return "".join(_BASE83[(value // 83 ** (length - position - 1)) % 83] for position in range(length))


def _linear_to_srgb(value: float) -> int:
    clamped = max(0.0, min(1.0, value))
    if clamped <= 0.0031308:
        return int(clamped * 12.92 * 255 + 0.5)
    return int((1.055 * clamped ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _sign_pow(value: float, exponent: float) -> float:
    return math.copysign(abs(value) ** exponent, value)


def blurhash(image: Image.Image, *, x_components: int, y_components: int) -> str:
    """The BlurHash of an RGB image (meant for a small one: cost grows with its pixel count)."""
    width, height = image.size
    raw = image.convert("RGB").tobytes()
    cos_x = [[math.cos(math.pi * i * x / width) for x in range(width)] for i in range(x_components)]
    cos_y = [[math.cos(math.pi * j * y / height) for y in range(height)] for j in range(y_components)]
    channels = [[_SRGB_TO_LINEAR[value] for value in raw[offset::3]] for offset in range(3)]
    # Per row and horizontal component, sum over x first; the vertical sums then run over rows only.
    row_sums: list[list[tuple[float, float, float]]] = []
    for y in range(height):
        red_row, green_row, blue_row = (channel[y * width : (y + 1) * width] for channel in channels)
        row_sums.append(
            [
                (
                    sum(map(operator.mul, weights, red_row)),
                    sum(map(operator.mul, weights, green_row)),
                    sum(map(operator.mul, weights, blue_row)),
                )
                for weights in cos_x
            ]
        )
    factors: list[tuple[float, float, float]] = []
    for j in range(y_components):
        for i in range(x_components):
            scale = (1 if i == 0 and j == 0 else 2) / (width * height)
            red = green = blue = 0.0
            for y in range(height):
                weight = cos_y[j][y]
                r, g, b = row_sums[y][i]
                red += weight * r
                green += weight * g
                blue += weight * b
            factors.append((red * scale, green * scale, blue * scale))
    dc, ac = factors[0], factors[1:]
    encoded = _base83((x_components - 1) + (y_components - 1) * 9, 1)
    if ac:
        actual_max = max(abs(value) for factor in ac for value in factor)
        quantised_max = max(0, min(82, math.floor(actual_max * 166 - 0.5)))
        max_value = (quantised_max + 1) / 166
        encoded += _base83(quantised_max, 1)
    else:
        max_value = 1.0
        encoded += _base83(0, 1)
    encoded += _base83((_linear_to_srgb(dc[0]) << 16) + (_linear_to_srgb(dc[1]) << 8) + _linear_to_srgb(dc[2]), 4)
    for factor in ac:
        quantised = [max(0, min(18, math.floor(_sign_pow(v / max_value, 0.5) * 9 + 9.5))) for v in factor]
        encoded += _base83(quantised[0] * 19 * 19 + quantised[1] * 19 + quantised[2], 2)
    return encoded


def dominant_color(image: Image.Image) -> str:
    """The most common colour after reducing the image to a few, as `#rrggbb`."""
    quantized = image.convert("RGB").quantize(colors=6, method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or [0, 0, 0]
    counts: list[tuple[int, int]] = quantized.getcolors() or [(1, 0)]  # type: ignore[assignment]
    _, index = max(counts)
    red, green, blue = palette[index * 3 : index * 3 + 3]
    return f"#{red:02x}{green:02x}{blue:02x}"


def make_placeholder(thumbnail: Image.Image) -> Placeholder:
    """Placeholder of an RGB/RGBA thumbnail; transparent areas count as white, as the SPA's background."""
    sample = thumbnail.copy()
    sample.thumbnail((_SAMPLE_SIDE, _SAMPLE_SIDE), Image.Resampling.BOX, reducing_gap=None)
    if sample.mode == "RGBA":
        backdrop = Image.new("RGBA", sample.size, (255, 255, 255, 255))
        sample = Image.alpha_composite(backdrop, sample)
    sample = sample.convert("RGB")
    landscape = sample.width >= sample.height
    x_components = _LONG_COMPONENTS if landscape else _SHORT_COMPONENTS
    y_components = _SHORT_COMPONENTS if landscape else _LONG_COMPONENTS
    return Placeholder(
        blurhash=blurhash(sample, x_components=x_components, y_components=y_components),
        color=dominant_color(sample),
    )
