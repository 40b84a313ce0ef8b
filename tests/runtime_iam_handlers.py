"""A handler that only the test of the execution environments' IAM enforcement runs in a real environment process."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError


def write_original(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Writes an original to a closed port: a refusal comes before any connection, an allowed call cannot connect."""
    s3 = boto3.client("s3", endpoint_url="http://127.0.0.1:9", region_name="us-east-1")
    try:
        s3.put_object(Bucket="gallery-media", Key="originals/alice/1", Body=b"x")
    except ClientError as error:
        return {"code": error.response["Error"]["Code"], "message": error.response["Error"]["Message"]}
    except BotoCoreError as error:
        return {"code": type(error).__name__}
    return {"code": "stored"}
