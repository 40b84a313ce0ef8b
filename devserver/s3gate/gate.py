"""A WSGI gate in front of moto: unsigned requests to our buckets are authenticated and authorized as S3 does it.

Requests with an `Authorization` header (botocore clients: our functions', whose calls the IAM enforcement checks
on the client side, and the server's own) and everything that is not one of the gated buckets (DynamoDB, SQS, …)
pass through untouched. What reaches a gated bucket without one must be a presigned URL or a browser-form POST
that S3 would accept, signed by a key the gate knows, and the signer's function must hold the permission
(S3 authorizes a presigned request as whoever signed it). Anything else is refused with S3's XML error, with the
bucket's CORS headers so a browser can read it.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote

from devserver.iam.operations import implicit_listing
from devserver.s3gate import postpolicy, querysig
from devserver.s3gate.errors import S3Error, access_denied

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
CorsRule = Mapping[str, Any]  # one rule as put_bucket_cors takes it: AllowedOrigins, AllowedMethods, …


class Authorizer(Protocol):
    """Whether `function`'s deployed policy allows `action` on `resource` (an ARN) with these condition keys."""

    def is_allowed(self, function: str, action: str, resource: str, context: dict[str, str]) -> bool: ...


class AllowEverything:
    """No identity policy at all: every signed request of a known key is allowed."""

    def is_allowed(self, function: str, action: str, resource: str, context: dict[str, str]) -> bool:
        return True


@dataclass(frozen=True)
class Principal:
    """Who an access key is: a function (its execution environments' key), or None for the server itself."""

    function: str | None
    secret: str


_QUERY_ACTIONS = {"GET": "s3:GetObject", "HEAD": "s3:GetObject", "PUT": "s3:PutObject", "DELETE": "s3:DeleteObject"}


def _origin_allowed(origin: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        head, star, tail = pattern.partition("*")
        if pattern == origin or (star and origin.startswith(head) and origin.endswith(tail)):
            return True
    return False


def cors_headers(rules: Sequence[CorsRule], origin: str | None, method: str) -> list[tuple[str, str]]:
    """The headers S3 adds for the first CORS rule matching the request's origin and method."""
    if not origin:
        return []
    for rule in rules:
        if _origin_allowed(origin, rule.get("AllowedOrigins", [])) and method in rule.get("AllowedMethods", []):
            headers = [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Methods", ", ".join(rule["AllowedMethods"])),
                ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
            ]
            if rule.get("ExposeHeaders"):
                headers.append(("Access-Control-Expose-Headers", ", ".join(rule["ExposeHeaders"])))
            if rule.get("MaxAgeSeconds") is not None:
                headers.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
            return headers
    return []


class S3Gate:
    """The WSGI middleware; `buckets` maps each gated bucket to its CORS rules."""

    def __init__(
        self,
        app: WsgiApp,
        *,
        buckets: Mapping[str, Sequence[CorsRule]],
        principals: Mapping[str, Principal],
        authorizer: Authorizer,
        region: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._app = app
        self._buckets = buckets
        self._principals = principals
        self._secrets = {key: principal.secret for key, principal in principals.items()}
        self._authorizer = authorizer
        self._region = region
        self._clock = clock

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        target = self._target(environ)
        if environ.get("HTTP_AUTHORIZATION") or target is None or method == "OPTIONS":
            return self._app(environ, start_response)
        bucket, key = target
        try:
            query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            if querysig.is_presigned(query):
                return self._presigned(environ, start_response, bucket, key, query)
            content_type = environ.get("CONTENT_TYPE", "")
            boundary = postpolicy.boundary_of(content_type)
            if method == "POST" and not key and boundary:
                self._form_post(environ, bucket, boundary)
                return self._app(environ, start_response)
            raise access_denied()  # anonymous, and the bucket is private
        except S3Error as error:
            return self._refuse(environ, start_response, bucket, error)

    # Routing

    def _target(self, environ: Mapping[str, Any]) -> tuple[str, str] | None:
        """(bucket, key) of a request to a gated bucket, path-style or virtual-hosted; None for anything else."""
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0]
        label, _, rest = host.partition(".")
        if label in self._buckets and (rest == "localhost" or rest.startswith("s3.") or rest.startswith("s3-")):
            return label, path.lstrip("/")
        bucket, _, key = path.lstrip("/").partition("/")
        return (bucket, key) if bucket in self._buckets else None

    # Presigned URLs

    def _presigned(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        bucket: str,
        key: str,
        query: list[tuple[str, str]],
    ) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"].upper()
        request = querysig.QueryRequest(
            method=method,
            host=environ.get("HTTP_HOST", ""),
            raw_path=_raw_path(environ),
            query=query,
            headers=_headers(environ),
        )
        accepted = querysig.check_presigned(request, region=self._region, secrets=self._secrets, now=self._clock())
        action = _QUERY_ACTIONS.get(method) if key else None
        if action == "s3:GetObject" and any(name == "versionId" for name, _ in query):
            action = "s3:GetObjectVersion"  # a version's read is its own permission
        if action is None:
            raise access_denied()  # bucket-level presigned requests: nothing of ours makes them
        if method == "PUT":
            _check_put_body(environ, query)
        context = self._context("REST-QUERY-STRING", accepted.signed_at)
        function = self._authorize(accepted.access_key, action, f"arn:aws:s3:::{bucket}/{key}", context)
        if action not in ("s3:GetObject", "s3:GetObjectVersion") or function is None:
            return self._app(environ, start_response)
        implied = implicit_listing(bucket, key, context)
        listing = (function, implied.resource, dict(implied.context))
        return self._hiding_misses(environ, start_response, bucket, listing)

    def _hiding_misses(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        bucket: str,
        listing: tuple[str, str, dict[str, str]],
    ) -> Iterable[bytes]:
        """S3 answers a read of a missing key with 404 only to a caller that may list the bucket, else 403."""
        captured: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
            captured.append((status, headers))
            return lambda data: None

        answer = self._app(environ, capture)
        try:
            chunks = list(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        function, bucket_arn, context = listing
        # Asked only for a miss, as S3 does: a read that finds its key never needs s3:ListBucket.
        if captured[0][0].startswith("404") and not self._authorizer.is_allowed(
            function, "s3:ListBucket", bucket_arn, context
        ):
            return self._refuse(environ, start_response, bucket, access_denied())
        start_response(*captured[0])
        return chunks

    # Browser-form POSTs

    def _form_post(self, environ: dict[str, Any], bucket: str, boundary: str) -> None:
        """Check the upload, then hand moto exactly the form S3 would act on."""
        length = environ.get("CONTENT_LENGTH", "")
        if not length.isdigit():
            raise S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
        body = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(body)  # read once: a refusal must not wait for it again
        form = postpolicy.parse_form(body, boundary)
        accepted = postpolicy.check_post(
            form, bucket=bucket, region=self._region, secrets=self._secrets, now=self._clock()
        )
        context = self._context("POST", accepted.signed_at)
        self._authorize(accepted.access_key, "s3:PutObject", f"arn:aws:s3:::{bucket}/{accepted.key}", context)
        postpolicy.check_checksum(form)
        forwarded = form.encode(boundary)
        environ["wsgi.input"] = io.BytesIO(forwarded)
        environ["CONTENT_LENGTH"] = str(len(forwarded))

    # Shared

    def _context(self, auth_type: str, signed_at: datetime) -> dict[str, str]:
        age_ms = max(0, int((self._clock() - signed_at).total_seconds() * 1000))
        return {"s3:authType": auth_type, "s3:signatureversion": "AWS4-HMAC-SHA256", "s3:signatureAge": str(age_ms)}

    def _authorize(self, access_key: str, action: str, resource: str, context: dict[str, str]) -> str | None:
        """The signing function (None: the server itself), if its policy allows the request; else AccessDenied."""
        function = self._principals[access_key].function
        if function is not None and not self._authorizer.is_allowed(function, action, resource, context):
            raise access_denied()
        return function

    def _refuse(
        self, environ: Mapping[str, Any], start_response: StartResponse, bucket: str, error: S3Error
    ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        body = b"" if method == "HEAD" else error.to_xml()
        headers = [
            ("Content-Type", "application/xml"),
            ("Content-Length", str(len(body))),
            ("x-amz-request-id", f"{time.time_ns():X}"[-16:]),
            *cors_headers(self._buckets[bucket], environ.get("HTTP_ORIGIN"), method),
        ]
        start_response(f"{error.status} {_REASONS.get(error.status, 'Error')}", headers)
        if "wsgi.input" in environ and method in ("POST", "PUT"):
            _drain(environ)
        return [body]


_REASONS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 411: "Length Required"}


def _check_put_body(environ: dict[str, Any], query: list[tuple[str, str]]) -> None:
    """A presigned PUT's body is exactly its Content-Length (which the signature covers when signed), read once.

    Stricter than S3 on one point, on purpose: a part URL (`uploadId` and `partNumber`) that does not sign
    `content-length` is refused, since ours always pin the part's size (functions/common/multipart_storage.py).
    """
    params = dict(query)
    signed = params.get("X-Amz-SignedHeaders", "").split(";")
    if "uploadId" in params and "partNumber" in params and "content-length" not in signed:
        raise access_denied("A part URL must sign content-length (the part's exact size)")
    length = environ.get("CONTENT_LENGTH", "")
    if not length.isdigit():
        raise S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)  # read once: a refusal must not wait for it again
    if len(body) != int(length):
        raise S3Error(
            400,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header",
        )


def _drain(environ: Mapping[str, Any]) -> None:
    # An unread request body would be taken for the next request on a kept-alive connection.
    length = environ.get("CONTENT_LENGTH", "")
    stream = environ["wsgi.input"]
    if length.isdigit() and not isinstance(stream, io.BytesIO):
        stream.read(int(length))


def _raw_path(environ: Mapping[str, Any]) -> str:
    """The path exactly as the client sent it (SigV4 for S3 signs the encoded path as is)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = str(raw).split("?", 1)[0]
        return path if path.startswith("/") else "/" + path.split("/", 3)[-1]
    return quote(environ.get("PATH_INFO", "").encode("latin-1"), safe="/~")


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    headers = {name[5:].replace("_", "-").lower(): str(value) for name, value in environ.items() if name[:5] == "HTTP_"}
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").lower()] = str(environ[name])
    return headers
