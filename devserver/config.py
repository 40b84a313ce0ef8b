"""The local server's configuration: ports, the state folder, and the environment the handlers get."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from functions.system import LIMIT_DEFAULTS, LOCAL_WEB_ORIGINS, REALTIME_CONNECTION_MAX_SECONDS, REALTIME_IDLE_SECONDS
from infra.capabilities import PROFILES, function_name_variable

if TYPE_CHECKING:
    from devserver.iam.policies import LocalNames

ASSET_TABLE = "gallery-assets"
IDEMPOTENCY_TABLE = "gallery-idempotency"
CONNECTIONS_TABLE = "gallery-connections"
MEDIA_BUCKET = "gallery-media"
THUMBNAIL_QUEUE = "gallery-originals-created"
# S3 → SQS for `videos/` (#16): the video function's own notification, as the stack gives it its own trigger.
VIDEO_QUEUE = "gallery-videos-created"
REGION = "us-east-1"


@dataclass(frozen=True)
class LocalConfig:
    port: int
    state_dir: Path
    allowed_origins: tuple[str, ...]
    purge_interval_seconds: float
    # API Gateway's route throttles (functions.system) times this; 0 turns them off. The test suites raise it.
    throttle_scale: float = 1.0
    # The demo web app's own origin (devserver/web.py), so the browser really exercises CORS.
    web_port: int = 3001
    # The WebSocket API (devserver/websocket_api.py); tests shorten API Gateway's idle and lifetime limits.
    realtime_port: int = 3002
    realtime_idle_seconds: float = REALTIME_IDLE_SECONDS
    realtime_max_seconds: float = REALTIME_CONNECTION_MAX_SECONDS

    @classmethod
    def from_environ(cls) -> LocalConfig:
        origins = os.environ.get("ALLOWED_ORIGINS", ",".join(LOCAL_WEB_ORIGINS))
        port = int(os.environ.get("PORT", "3000"))
        web_port = int(os.environ.get("WEB_PORT", str(port + 1)))
        allowed = tuple(origin.strip() for origin in origins.split(",") if origin.strip())
        # The web app must always reach the API, whichever port it was given.
        web = (f"http://127.0.0.1:{web_port}", f"http://localhost:{web_port}")
        return cls(
            port=port,
            state_dir=Path(os.environ.get("STATE_DIR", ".local-state")).resolve(),
            allowed_origins=allowed + tuple(origin for origin in web if origin not in allowed),
            purge_interval_seconds=float(os.environ.get("PURGE_INTERVAL_SECONDS", "3600")),
            throttle_scale=float(os.environ.get("API_THROTTLE_SCALE", "1")),
            web_port=web_port,
            realtime_port=int(os.environ.get("REALTIME_PORT", str(port + 2))),
            realtime_idle_seconds=float(os.environ.get("REALTIME_IDLE_SECONDS", str(REALTIME_IDLE_SECONDS))),
            realtime_max_seconds=float(os.environ.get("REALTIME_MAX_SECONDS", str(REALTIME_CONNECTION_MAX_SECONDS))),
        )


def function_environment(
    endpoint: str, lambda_endpoint: str | None = None, *, realtime_url: str = "", realtime_management_endpoint: str = ""
) -> dict[str, str]:
    """What every handler's settings model reads, pointed at the embedded AWS emulation.

    `realtime_url` is the local WebSocket API's stage URL (`ws://` on loopback stands for the deployed `wss://`), and
    `realtime_management_endpoint` its `@connections` endpoint (devserver/websocket_api.py, connections_api.py).
    """
    env = {key: os.environ.get(key, value) for key, value in LIMIT_DEFAULTS.items()}
    env.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "ASSET_TABLE_NAME": ASSET_TABLE,
            "IDEMPOTENCY_TABLE_NAME": IDEMPOTENCY_TABLE,
            "MEDIA_BUCKET_NAME": MEDIA_BUCKET,
            "CONNECTIONS_TABLE_NAME": CONNECTIONS_TABLE,
            "REALTIME_URL": realtime_url,
            "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": realtime_management_endpoint,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_NAMESPACE": "GalleryLocal",
            # EMF documents are for CloudWatch; locally they would only flood the console.
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            # Locally an error a route does not declare (functions/common/errors.py, problems) is a 500, so it shows.
            "STRICT_PROBLEMS": os.environ.get("STRICT_PROBLEMS", "1"),
        }
    )
    # Locally a function's name is its name in functions.system, which is what devserver/lambda_api.py serves.
    env.update({function_name_variable(target): target for profile in PROFILES.values() for target in profile.invokes})
    if lambda_endpoint:
        # boto3 honours service-specific endpoints: lambda.invoke reaches devserver/lambda_api.py, not moto.
        env["AWS_ENDPOINT_URL_LAMBDA"] = lambda_endpoint
    return env


def function_credentials(function: str) -> dict[str, str]:
    """The function's own key pair: S3 authorizes a presigned URL or POST as its signer, so the key names it.

    `LOCAL<NAME>` (letters and digits only, as AWS key ids are) with a secret derived from the name, so the server's
    S3 gate (devserver/s3gate) knows every function's key without being told. Loopback only: not a secret.
    """
    name = "".join(ch for ch in function.upper() if ch.isalnum())
    secret = hashlib.sha256(f"gallery-local-secret:{function}".encode()).hexdigest()[:40]
    return {"AWS_ACCESS_KEY_ID": f"LOCAL{name}", "AWS_SECRET_ACCESS_KEY": secret}


def local_names() -> LocalNames:
    """The local resources the functions' policies name (the stack's tables, bucket and WebSocket API)."""
    from devserver.iam.policies import LocalNames

    return LocalNames(
        table=ASSET_TABLE, idempotency_table=IDEMPOTENCY_TABLE, bucket=MEDIA_BUCKET, connections_table=CONNECTIONS_TABLE
    )
