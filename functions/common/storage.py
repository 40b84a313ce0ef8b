"""The media bucket: presigning (always SigV4) and object operations. The only module that knows the S3 API."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from functions.common.clients import aws_client
from functions.common.failures import TransientError
from functions.common.objects import (
    ObjectChanged,
    ObjectInfo,
    ObjectVersion,
    PresignedGet,
    PresignedPost,
    attachment_disposition,
)
from functions.common.read_urls import ReadUrls

_MAX_DELETE_BATCH = 1000
_MISSING = ("404", "NoSuchKey", "NotFound")
_NOT_CREATED = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409")


class ObjectStore:
    """S3 operations on one bucket."""

    def __init__(self, bucket: str, client: Any | None = None, *, read_url_window_seconds: int = 0) -> None:
        self.bucket = bucket
        self._s3 = client or aws_client("s3", config=Config(signature_version="s3v4"))
        self._read_urls = ReadUrls(self._s3, bucket, window_seconds=read_url_window_seconds)

    def presign_post(
        self,
        *,
        key: str,
        content_type: str,
        size: int,
        ttl_seconds: int,
        now: datetime,
        sha256_hex: str | None = None,
    ) -> PresignedPost:
        """A POST policy pinning the key, the content type and the exact size (and the checksum when given)."""
        fields: dict[str, str] = {"Content-Type": content_type}
        conditions: list[Any] = [
            {"bucket": self.bucket},
            ["eq", "$key", key],
            ["eq", "$Content-Type", content_type],
            ["content-length-range", size, size],
        ]
        if sha256_hex:
            checksum = base64.b64encode(bytes.fromhex(sha256_hex)).decode()
            fields["x-amz-checksum-sha256"] = checksum
            conditions.append(["eq", "$x-amz-checksum-sha256", checksum])
        try:
            post = self._s3.generate_presigned_post(
                Bucket=self.bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=ttl_seconds
            )
        except (BotoCoreError, ClientError) as error:
            raise TransientError(str(error)) from error
        return PresignedPost(url=post["url"], fields=post["fields"], expires_at=now + timedelta(seconds=ttl_seconds))

    def presign_get(
        self,
        *,
        key: str,
        ttl_seconds: int,
        now: datetime,
        download_name: str | None = None,
        version_id: str | None = None,
        immutable: bool = False,
    ) -> PresignedGet:
        """A read URL, stable for the window (a download: signed now); `immutable`: the key's bytes never change."""
        query = {} if download_name is None else {"response-content-disposition": attachment_disposition(download_name)}
        url, expires_at = self._read_urls.sign(
            key,
            ttl_seconds=ttl_seconds,
            now=now,
            query=query,
            version_id=version_id,
            immutable=immutable,
            stable=download_name is None,
        )
        return PresignedGet(url=url, expires_at=expires_at)

    def head(self, key: str) -> dict[str, Any] | None:
        try:
            response: dict[str, Any] = self._s3.head_object(Bucket=self.bucket, Key=key)
            return response
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise TransientError(str(error)) from error
        except BotoCoreError as error:  # timeouts and connection errors are worth a retry too
            raise TransientError(str(error)) from error

    def stat(self, key: str) -> ObjectInfo | None:
        """The object's eTag and size, None if absent: one ListObjectsV2 with the key as prefix.

        Not HeadObject: to a role without `s3:ListBucket` S3 answers 403, not 404, for a missing key, and a
        ListBucket grant scoped by `s3:prefix` does not apply to HeadObject (its request has no prefix).
        """
        try:
            response = self._s3.list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
        except (BotoCoreError, ClientError) as error:
            raise TransientError(str(error)) from error
        # Keys sort after their own prefixes, so when `key` exists it is the first key listed.
        for item in response.get("Contents", []):
            if item["Key"] == key:
                return ObjectInfo(etag=str(item["ETag"]).strip('"'), size=int(item["Size"]))
        return None

    def exists(self, key: str) -> bool:
        """Whether the object is stored (see `stat`)."""
        return self.stat(key) is not None

    def read(self, key: str, *, etag: str | None = None) -> bytes:
        """The object's bytes; with `etag`, only if it still has it (else `ObjectChanged`: it was replaced since)."""
        params = {"Bucket": self.bucket, "Key": key} | ({"IfMatch": f'"{etag}"'} if etag else {})
        try:
            body: bytes = self._s3.get_object(**params)["Body"].read()
            return body
        except ClientError as error:
            if etag and error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412"):
                raise ObjectChanged(key) from error
            raise TransientError(str(error)) from error
        except BotoCoreError as error:
            raise TransientError(str(error)) from error

    def read_if_readable(self, key: str) -> bytes | None:
        """The object's bytes, or None when S3 says it is missing: 404, or 403 to a role that may not list the bucket.

        A 403 may also be a real refusal; `create` then tells the two apart (it fails, or finds the object there).
        """
        try:
            body: bytes = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            return body
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in (*_MISSING, "AccessDenied", "403"):
                return None
            raise TransientError(str(error)) from error
        except BotoCoreError as error:
            raise TransientError(str(error)) from error

    def create(self, key: str, body: bytes, content_type: str) -> bool:
        """Write the object only if no object has the key (PutObject with `If-None-Match: *`); False if one has."""
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch="*")
        except ClientError as error:
            # 412: it exists. 409: a concurrent conditional write to the key is in flight (S3 asks for a retry).
            if error.response.get("Error", {}).get("Code") in _NOT_CREATED:
                return False
            raise TransientError(str(error)) from error
        except BotoCoreError as error:
            raise TransientError(str(error)) from error
        return True

    def write(self, key: str, body: bytes, content_type: str) -> None:
        try:
            self._s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
        except (BotoCoreError, ClientError) as error:
            raise TransientError(str(error)) from error

    def versions(self, key: str) -> list[ObjectVersion]:
        """Every version of exactly `key`, delete markers included: ListObjectVersions with the key as prefix.

        The bucket is versioned, so a plain delete only hides the bytes behind a delete marker; deleting forever
        deletes each of these by its version id.
        """
        found: list[ObjectVersion] = []
        params: dict[str, str] = {"Bucket": self.bucket, "Prefix": key}
        while True:
            try:
                page = self._s3.list_object_versions(**params)
            except (BotoCoreError, ClientError) as error:
                raise TransientError(str(error)) from error
            entries = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            found += [ObjectVersion(key, str(entry["VersionId"])) for entry in entries if entry["Key"] == key]
            # Keys sort after their own prefixes: once another key is listed, `key` has no version left to list.
            if not page.get("IsTruncated") or any(entry["Key"] != key for entry in entries):
                return found
            params |= {"KeyMarker": page["NextKeyMarker"], "VersionIdMarker": page["NextVersionIdMarker"]}

    def delete_batch(self, versions: list[ObjectVersion]) -> set[str]:
        """One DeleteObjects call for up to 1,000 versions; returns the keys S3 refused (a missing one is deleted)."""
        if len(versions) > _MAX_DELETE_BATCH:
            raise ValueError(f"DeleteObjects takes at most {_MAX_DELETE_BATCH} keys")
        if not versions:
            return set()
        objects = [{"Key": version.key, "VersionId": version.version_id} for version in versions]
        try:
            response = self._s3.delete_objects(Bucket=self.bucket, Delete={"Objects": objects, "Quiet": True})
        except (BotoCoreError, ClientError) as error:
            raise TransientError(str(error)) from error
        return {error["Key"] for error in response.get("Errors", [])}

    def rewrite_in_place(self, key: str) -> bool:
        """Copy an object onto itself (same bytes, type, metadata) so S3 emits a new ObjectCreated; False if absent.

        Existence is asked first: HeadObject of a missing key is a 403 to a role that may not list the bucket.
        """
        head = self.head(key) if self.exists(key) else None
        if head is None:
            return False
        kept: dict[str, Any] = {"Metadata": head.get("Metadata", {})}
        for name in ("ContentType", "ContentDisposition", "CacheControl", "ContentEncoding", "ContentLanguage"):
            if head.get(name):
                kept[name] = head[name]
        try:
            self._s3.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": key},
                MetadataDirective="REPLACE",
                **kept,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise TransientError(str(error)) from error
        except BotoCoreError as error:
            raise TransientError(str(error)) from error
        return True

    def delete_many(self, keys: Iterable[str]) -> int:
        """Delete every key (a missing key counts as deleted), in batches of 1,000; returns the number of calls."""
        unique = list(dict.fromkeys(keys))
        calls = 0
        for start in range(0, len(unique), _MAX_DELETE_BATCH):
            batch = unique[start : start + _MAX_DELETE_BATCH]
            try:
                response = self._s3.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
                )
            except (BotoCoreError, ClientError) as error:
                raise TransientError(str(error)) from error
            calls += 1
            if response.get("Errors"):
                raise TransientError(f"S3 could not delete {len(response['Errors'])} objects")
        return calls
