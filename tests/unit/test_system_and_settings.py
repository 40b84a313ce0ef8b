from __future__ import annotations

import pytest
from pydantic import ValidationError

from functions.common.settings import ApiSettings, load_settings
from functions.system import CORS_OPTIONS_ROUTE, FUNCTIONS, ROUTES, STAGE_THROTTLE

ENV = {"ASSET_TABLE_NAME": "t", "MEDIA_BUCKET_NAME": "b"}


def test_every_route_is_unique_and_served_by_a_known_function() -> None:
    keys = [route.route_key for route in ROUTES]
    assert len(keys) == len(set(keys))
    assert {route.function for route in ROUTES} <= set(FUNCTIONS)


def test_only_health_docs_the_options_fallback_and_the_public_share_routes_are_public() -> None:
    public = {route.route_key for route in ROUTES if not route.auth}
    shares = {route.route_key for route in ROUTES if route.function == "public_shares"}
    assert public == {"GET /health", "GET /openapi.json", "GET /docs", "OPTIONS /{proxy+}"} | shares
    assert shares == {
        "GET /public/shares/{token}",
        "POST /public/shares/{token}/unlock",
        "GET /public/shares/{token}/items/{alias}/download",
    }


def test_unmatched_paths_need_the_token_and_only_options_falls_back_without_one() -> None:
    # Given the catch-all routes: `$default` and the greedy OPTIONS one that AWS's CORS guide puts beside it
    default = next(route for route in ROUTES if route.route_key == "$default")
    # Then `$default` is behind the authorizer, and both have the smallest bucket of the table
    assert default.auth and not CORS_OPTIONS_ROUTE.auth and CORS_OPTIONS_ROUTE in ROUTES
    for route in ROUTES:
        for catch_all in (default, CORS_OPTIONS_ROUTE):
            assert catch_all.effective_throttle.rate_per_second <= route.effective_throttle.rate_per_second
            assert catch_all.effective_throttle.burst <= route.effective_throttle.burst


def test_what_anyone_can_call_has_a_smaller_bucket_than_the_signed_in_routes() -> None:
    # Given the routes a client without a token reaches (the public ones, and `$default`'s bucket, which API Gateway
    # takes from before the authorizer refuses an unmatched path)
    anonymous = [route for route in ROUTES if not route.auth or route.route_key == "$default"]
    # Then each has its own throttle below the stage's, and every signed-in route has the stage's
    for route in ROUTES:
        if route in anonymous:
            assert route.throttle is not None, route.route_key
            assert route.throttle.rate_per_second < STAGE_THROTTLE.rate_per_second, route.route_key
            assert route.throttle.burst < STAGE_THROTTLE.burst, route.route_key
        else:
            assert route.effective_throttle == STAGE_THROTTLE, route.route_key


def test_limits_default_to_the_contract() -> None:
    settings = load_settings(ApiSettings, ENV)
    assert settings.asset_max_image_mb == 25
    assert settings.trash_retention_days == 30
    assert settings.read_url_ttl_seconds == 3600
    assert settings.upload_url_ttl_seconds == 300
    assert settings.download_url_ttl_seconds == 300


def test_environment_overrides_defaults() -> None:
    settings = load_settings(ApiSettings, {**ENV, "ASSET_MAX_IMAGE_MB": "5"})
    assert settings.max_image_bytes == 5 * 1024 * 1024


@pytest.mark.parametrize(
    "broken",
    [
        {"ASSET_TABLE_NAME": ""},
        {"MEDIA_BUCKET_NAME": ""},
        {"UPLOAD_URL_TTL_SECONDS": "301"},
        {"READ_URL_TTL_SECONDS": "3601"},
    ],
)
def test_invalid_configuration_fails_at_start(broken: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        load_settings(ApiSettings, {**ENV, **broken})
