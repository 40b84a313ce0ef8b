"""The ingest worker is sized for the largest video it may fetch (#16): /tmp holds it, the timeout covers it."""

from __future__ import annotations

from typing import Any

from functions import system
from infra.capabilities import PROFILES
from tests.infra.template_tools import function_ids

MB = 1024 * 1024


def test_only_profiles_that_ask_for_it_get_more_ephemeral_storage(template: dict[str, Any]) -> None:
    # Given the synthesized functions
    for name, function_id in function_ids(template).items():
        properties = template["Resources"][function_id]["Properties"]
        # Then /tmp is the profile's size where it names one, Lambda's default elsewhere
        wanted = PROFILES[name].ephemeral_storage_mb
        assert properties.get("EphemeralStorage") == (None if wanted is None else {"Size": wanted}), name
    assert PROFILES["ingest_worker"].ephemeral_storage_mb is not None


def test_the_ingest_worker_holds_the_largest_video_in_tmp_and_has_time_to_store_it() -> None:
    # Given the worker's profile and the default limits
    profile = PROFILES["ingest_worker"]
    largest_video_mb = int(system.LIMIT_DEFAULTS["ASSET_MAX_VIDEO_MB"])
    deadline = int(system.LIMIT_DEFAULTS["INGEST_DEADLINE_SECONDS"])
    # Then /tmp takes the largest video with room for what the runtime keeps there
    assert profile.ephemeral_storage_mb is not None
    assert profile.ephemeral_storage_mb >= largest_video_mb + 512
    # And after the whole fetch deadline it still has a minute for the upload (2 GB at well under 100 MB/s)
    assert profile.timeout_seconds >= deadline + 60
