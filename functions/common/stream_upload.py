"""Writing an object read from a file without holding it whole: one PutObject when small, else a multipart upload.

Parts are read and sent one at a time (so at most one part is in memory), in this thread: the local IAM emulation
tells the acting function from the call stack, which a transfer thread pool would lose. Anything failing after the
upload started aborts it, so no parts are left behind (the bucket's lifecycle rule is only the backstop).
"""

from __future__ import annotations

import contextlib
from typing import IO, Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.clients import aws_client
from functions.common.failures import TransientError
from functions.system import MULTIPART_MAX_PARTS, MULTIPART_MIN_PART_BYTES

_MIB = 1024 * 1024
# Bigger parts than S3's floor: fewer requests for a large video, still one part in memory at a time.
DEFAULT_PART_BYTES = 2 * MULTIPART_MIN_PART_BYTES


def part_bytes_for(size: int, minimum: int = DEFAULT_PART_BYTES) -> int:
    """The part size for an object of `size` bytes: `minimum`, or more (whole MiB) to stay within S3's 10,000 parts."""
    needed = -(-size // MULTIPART_MAX_PARTS)
    return minimum if needed <= minimum else -(-needed // _MIB) * _MIB


class StreamUploader:
    """Writes objects into one bucket: bytes at once, files streamed."""

    def __init__(self, bucket: str, client: Any | None = None, part_bytes: int = DEFAULT_PART_BYTES) -> None:
        self.bucket = bucket
        self.part_bytes = part_bytes
        self._s3 = client or aws_client("s3", config=Config(signature_version="s3v4"))

    def write(self, key: str, body: bytes, content_type: str) -> None:
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
        except (BotoCoreError, ClientError) as error:
            raise TransientError(str(error)) from error

    def write_stream(self, key: str, body: IO[bytes], size: int, content_type: str) -> None:
        """Write the `size` bytes `body` holds from its current position to `key`."""
        try:
            if size <= self.part_bytes:
                self._s3.put_object(Bucket=self.bucket, Key=key, Body=body.read(size), ContentType=content_type)
            else:
                self._multipart(key, body, size, content_type)
        except (BotoCoreError, ClientError) as error:
            raise TransientError(str(error)) from error

    def _multipart(self, key: str, body: IO[bytes], size: int, content_type: str) -> None:
        part_bytes = part_bytes_for(size, self.part_bytes)
        upload_id = self._s3.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType=content_type)["UploadId"]
        try:
            parts: list[dict[str, Any]] = []
            left = size
            while left > 0:
                chunk = body.read(min(part_bytes, left))
                if not chunk:
                    raise TransientError(f"the body ended {left} bytes short of {size}")
                left -= len(chunk)
                number = len(parts) + 1
                answer = self._s3.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=chunk
                )
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
                del chunk, answer  # the part's bytes go before the next part is read
            self._s3.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            # Best effort: the failure that got here is what the caller must see; the lifecycle rule is the backstop.
            with contextlib.suppress(BotoCoreError, ClientError):
                self._s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            raise
