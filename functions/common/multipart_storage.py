"""The media bucket's multipart uploads (#16): create, presign each part's PUT, list, complete, abort.

Part URLs are SigV4 query-signed `UploadPart` PUTs with `Content-Length` among the signed headers
(`X-Amz-SignedHeaders=content-length;host`), so S3 refuses a part of any other size; botocore signs the
`ContentLength` parameter as that header when it presigns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.clients import aws_client
from functions.common.failures import TransientError

# ListParts returns at most 1,000 parts a page (S3's own ceiling).
_PARTS_PER_PAGE = 1000
_NO_UPLOAD = ("NoSuchUpload", "404")


@dataclass(frozen=True)
class PresignedPart:
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class UploadedPart:
    """A part S3 holds for an open upload: its number, size and eTag (quoted, as CompleteMultipartUpload wants it)."""

    number: int
    size: int
    etag: str


class MultipartStore:
    """Multipart uploads into one bucket; `None`/`False` answers mean S3 knows no such open upload."""

    def __init__(self, bucket: str, client: Any | None = None) -> None:
        self.bucket = bucket
        self._s3 = client or aws_client("s3", config=Config(signature_version="s3v4"))

    def create_upload(self, *, key: str, content_type: str) -> str:
        """Start an upload of `key` with its declared type; returns S3's upload id."""
        try:
            response = self._s3.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType=content_type)
        except (BotoCoreError, ClientError) as error:
            raise TransientError(str(error)) from error
        return str(response["UploadId"])

    def presign_part(
        self, *, key: str, upload_id: str, number: int, size: int, ttl_seconds: int, now: datetime
    ) -> PresignedPart:
        """A PUT URL for part `number` that S3 accepts only with exactly `size` bytes."""
        params = {"Bucket": self.bucket, "Key": key, "UploadId": upload_id, "PartNumber": number, "ContentLength": size}
        try:
            url = self._s3.generate_presigned_url("upload_part", Params=params, ExpiresIn=ttl_seconds)
        except (BotoCoreError, ClientError) as error:
            raise TransientError(str(error)) from error
        return PresignedPart(url=str(url), expires_at=now + timedelta(seconds=ttl_seconds))

    def uploaded_parts(self, *, key: str, upload_id: str) -> list[UploadedPart] | None:
        """Every part S3 holds for the upload, by number (ListParts, every page); None if the upload is not open."""
        parts: list[UploadedPart] = []
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "UploadId": upload_id, "MaxParts": _PARTS_PER_PAGE}
        while True:
            try:
                page = self._s3.list_parts(**params)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in _NO_UPLOAD:
                    return None
                raise TransientError(str(error)) from error
            except BotoCoreError as error:
                raise TransientError(str(error)) from error
            parts += [
                UploadedPart(number=int(part["PartNumber"]), size=int(part["Size"]), etag=str(part["ETag"]))
                for part in page.get("Parts", [])
            ]
            marker = page.get("NextPartNumberMarker")
            if not page.get("IsTruncated") or not marker:
                return sorted(parts, key=lambda part: part.number)
            params["PartNumberMarker"] = marker

    def complete_upload(self, *, key: str, upload_id: str, parts: list[UploadedPart]) -> bool:
        """Assemble the object from these parts; False if the upload is no longer open (completed or aborted)."""
        layout = {"Parts": [{"PartNumber": part.number, "ETag": part.etag} for part in parts]}
        try:
            self._s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload=layout)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _NO_UPLOAD:
                return False
            raise TransientError(str(error)) from error
        except BotoCoreError as error:
            raise TransientError(str(error)) from error
        return True

    def abort_upload(self, *, key: str, upload_id: str) -> bool:
        """Drop the upload and every part it holds; False if it was not open (already completed or aborted)."""
        try:
            self._s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _NO_UPLOAD:
                return False
            raise TransientError(str(error)) from error
        except BotoCoreError as error:
            raise TransientError(str(error)) from error
        return True
