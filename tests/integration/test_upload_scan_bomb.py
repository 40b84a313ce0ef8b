"""POST /uploads refuses a progressive-JPEG scan bomb before decoding it: 422 `image_too_complex`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_events import FakeContext, decoded, http_event, multipart
from tests.crafted_images import corpus
from tests.jpeg_bombs import progressive_jpeg, with_last_scan_repeated


@pytest.fixture
def upload_handler(api_environment: None) -> Any:
    from functions.upload import handler

    return handler.handler


def test_a_jpeg_of_thousands_of_scans_is_refused_as_too_complex(upload_handler: Any, s3_client: Any) -> None:
    # Given a small progressive JPEG with 5,000 copies of one scan
    bomb = with_last_scan_repeated(progressive_jpeg(), 5_000)
    body, header = multipart({}, {"file": ("bomb.jpg", bomb, "image/jpeg")})

    # When it is uploaded
    event = http_event("POST", "/uploads", body=body, headers={"content-type": header}, binary=True)
    status, problem = decoded(upload_handler(event, FakeContext()))

    # Then it is a 422 with its own stable code (declared by the route: strict mode would make it a 500)
    assert (status, problem["code"]) == (422, "image_too_complex")


@pytest.mark.parametrize("name", ["png-200k-chunks", "gif-200k-comments", "jpeg-200k-comments", "heif-grid-64-tiles"])
def test_other_crafted_files_are_refused_as_too_complex(upload_handler: Any, s3_client: Any, name: str) -> None:
    # Given a crafted file of far more pieces, or decoded pixels, than its pixel count warrants
    crafted = corpus()[name].data
    body, header = multipart({}, {"file": (name, crafted, "application/octet-stream")})

    # When it is uploaded
    event = http_event("POST", "/uploads", body=body, headers={"content-type": header}, binary=True)
    status, problem = decoded(upload_handler(event, FakeContext()))

    # Then it is refused before decoding with the same code as a scan bomb
    assert (status, problem["code"]) == (422, "image_too_complex")
