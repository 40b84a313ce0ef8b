"""The local S3's gate: presigned URLs and browser-form POSTs enforced as S3 enforces them, in front of moto."""

from devserver.s3gate.errors import S3Error
from devserver.s3gate.gate import AllowEverything, Authorizer, Principal, S3Gate, cors_headers
from devserver.s3gate.server import GatedMotoServer, local_principals

__all__ = [
    "AllowEverything",
    "Authorizer",
    "GatedMotoServer",
    "Principal",
    "S3Error",
    "S3Gate",
    "cors_headers",
    "local_principals",
]
