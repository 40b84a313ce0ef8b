"""Large ingests are streamed, never held whole: the spooled body a fetch writes into, and the part-by-part upload.

What S3 itself does with the parts (moto, under the worker's role) is tested in tests/integration/test_ingest_video.py.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

import pytest

from functions.common.failures import TransientError
from functions.common.formats import VIDEO_SNIFF_BYTES
from functions.common.stream_upload import StreamUploader, part_bytes_for
from functions.ingest.body import SpooledBody
from tests.aws_faults import client_error
from tests.video_bytes import mp4_bytes

MIB = 1024 * 1024


class RecordingReader(io.BytesIO):
    """A file that records the size of every read asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(size)
        return super().read(size)


@dataclass
class RecordingS3:
    """Stands in for botocore's S3 client: keeps each call's parameters, and fails the part numbered `fail_part`."""

    fail_part: int | None = None
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, params))
        return {}

    def put_object(self, **params: Any) -> dict[str, Any]:
        return self._call("PutObject", params)

    def create_multipart_upload(self, **params: Any) -> dict[str, Any]:
        self._call("CreateMultipartUpload", params)
        return {"UploadId": "upload-1"}

    def upload_part(self, **params: Any) -> dict[str, Any]:
        self._call("UploadPart", params)
        if params["PartNumber"] == self.fail_part:
            raise client_error("UploadPart", "InternalError", 500)
        return {"ETag": f'"etag-{params["PartNumber"]}"'}

    def complete_multipart_upload(self, **params: Any) -> dict[str, Any]:
        return self._call("CompleteMultipartUpload", params)

    def abort_multipart_upload(self, **params: Any) -> dict[str, Any]:
        return self._call("AbortMultipartUpload", params)

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.calls]

    def parts(self) -> list[bytes]:
        return [params["Body"] for operation, params in self.calls if operation == "UploadPart"]


def test_a_body_of_many_chunks_moves_to_a_file_once_past_its_memory_share() -> None:
    # Given a spooled body that may hold 64 KiB in memory
    body = SpooledBody(memory_bytes=64 * 1024)
    chunks = [mp4_bytes(300_000, seed=1)[start : start + 10_000] for start in range(0, 300_000, 10_000)]
    # When 30 chunks of 10 KB stream in
    held_in_memory = []
    for chunk in chunks:
        body.write(chunk)
        held_in_memory.append(body.in_memory)
    # Then it stayed in memory only while under its share, then went to a file, and lost nothing
    data = b"".join(chunks)
    assert held_in_memory == [True] * 6 + [False] * 24
    assert (body.size, body.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert body.head == data[:VIDEO_SNIFF_BYTES]
    assert body.reader().read() == data
    body.close()


def test_a_small_body_stays_in_memory_and_is_handed_over_whole() -> None:
    # Given / When
    with SpooledBody(memory_bytes=1 * MIB) as body:
        body.write(b"abc")
        body.write(b"def")
        # Then
        assert (body.in_memory, body.data(), body.head) == (True, b"abcdef", b"abcdef")


def test_a_large_file_goes_up_one_part_at_a_time_never_read_whole() -> None:
    # Given a 10,500-byte file and an uploader whose parts are 1,000 bytes
    data = mp4_bytes(10_500, seed=2)
    s3, source = RecordingS3(), RecordingReader(data)
    # When it is streamed
    StreamUploader("bucket", client=s3, part_bytes=1_000).write_stream("videos/a/1", source, len(data), "video/mp4")
    # Then each read asked for at most a part, each part sent was at most a part, and together they are the file
    assert all(size is not None and 0 < size <= 1_000 for size in source.asked)
    assert [len(part) for part in s3.parts()] == [1_000] * 10 + [500]
    assert b"".join(s3.parts()) == data
    assert s3.operations() == ["CreateMultipartUpload"] + ["UploadPart"] * 11 + ["CompleteMultipartUpload"]
    completed = s3.calls[-1][1]["MultipartUpload"]["Parts"]
    assert [part["PartNumber"] for part in completed] == list(range(1, 12))
    assert completed[0]["ETag"] == '"etag-1"'


def test_a_file_no_larger_than_a_part_is_one_put() -> None:
    # Given / When
    s3 = RecordingS3()
    StreamUploader("bucket", client=s3, part_bytes=1_000).write_stream(
        "videos/a/1", io.BytesIO(b"x" * 1_000), 1_000, "video/mp4"
    )
    # Then
    assert s3.operations() == ["PutObject"]
    assert s3.calls[0][1]["ContentType"] == "video/mp4"


def test_a_part_that_fails_aborts_the_upload() -> None:
    # Given S3 failing the third part
    s3 = RecordingS3(fail_part=3)
    data = mp4_bytes(5_000, seed=3)
    # When / Then the failure is a transient one (Lambda retries), and the upload was aborted, not completed
    with pytest.raises(TransientError):
        StreamUploader("bucket", client=s3, part_bytes=1_000).write_stream(
            "videos/a/1", io.BytesIO(data), 5_000, "video/mp4"
        )
    assert s3.operations() == [
        "CreateMultipartUpload",
        "UploadPart",
        "UploadPart",
        "UploadPart",
        "AbortMultipartUpload",
    ]
    assert s3.calls[-1][1] == {"Bucket": "bucket", "Key": "videos/a/1", "UploadId": "upload-1"}


def test_a_file_shorter_than_declared_aborts_the_upload() -> None:
    # Given a file that ends before the size it was announced with
    s3 = RecordingS3()
    # When / Then
    with pytest.raises(TransientError, match="short"):
        StreamUploader("bucket", client=s3, part_bytes=1_000).write_stream(
            "k", io.BytesIO(b"x" * 1_500), 2_500, "video/mp4"
        )
    assert s3.operations()[-1] == "AbortMultipartUpload"


@pytest.mark.parametrize(
    ("size", "expected"),
    [(1, 16 * MIB), (2048 * MIB, 16 * MIB), (200 * 1024 * MIB, 21 * MIB)],
)
def test_parts_are_whole_mib_and_never_more_than_s3_allows(size: int, expected: int) -> None:
    # When / Then
    part = part_bytes_for(size)
    assert part == expected
    assert -(-size // part) <= 10_000
