"""Ranged reads of the media bucket (#16): part of an object, never all of it (a video can be gigabytes)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from functions.common.failures import TransientError
from functions.common.objects import ObjectChanged
from functions.common.storage import ObjectStore

_CHANGED = ("PreconditionFailed", "412")


class RangedObjectStore(ObjectStore):
    """The object store with GetObject `Range` reads."""

    def read_range(self, key: str, start: int, end: int, *, etag: str | None = None) -> bytes:
        """Bytes `start`..`end` (inclusive); with `etag`, only while the object has it (else `ObjectChanged`)."""
        params = {"Bucket": self.bucket, "Key": key, "Range": f"bytes={start}-{end}"}
        if etag:
            params["IfMatch"] = f'"{etag}"'
        try:
            body: bytes = self._s3.get_object(**params)["Body"].read()
        except ClientError as error:
            if etag and error.response.get("Error", {}).get("Code") in _CHANGED:
                raise ObjectChanged(key) from error
            raise TransientError(str(error)) from error
        except BotoCoreError as error:
            raise TransientError(str(error)) from error
        return body
