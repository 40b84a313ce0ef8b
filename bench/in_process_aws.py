"""moto in this process for the benches that count DynamoDB and S3 calls: fake credentials, no endpoint override."""

from __future__ import annotations

import os
from typing import Any


def in_process_aws() -> Any:
    """moto's `mock_aws()`, with the environment botocore needs to sign requests and none pointing elsewhere."""
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    return mock_aws()
