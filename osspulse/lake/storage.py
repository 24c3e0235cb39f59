"""S3 access (MinIO natively) for bootstrap, tests and maintenance."""

from __future__ import annotations

from typing import Any

from osspulse.settings import Settings


def s3_client(s: Settings) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=s.s3_endpoint_url,
        region_name=s.s3_region,
        aws_access_key_id=s.s3_access_key.get_secret_value(),
        aws_secret_access_key=s.s3_secret_key.get_secret_value(),
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )
