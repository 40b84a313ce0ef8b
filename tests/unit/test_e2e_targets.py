"""The e2e target selection: which stack, whose tokens, what a deployed run touches and what it deletes."""

from __future__ import annotations

import json
import re
from collections.abc import Container, Iterable
from io import BytesIO
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from PIL import Image

from tests.e2e.targets import (
    CognitoUsers,
    DeployedStack,
    EnvironmentTokens,
    TokenChain,
    cognito_client,
    deployed_stack,
    image_size,
    strong_password,
    target_kind,
    token_sources,
)

POOL, CLIENT = "eu-west-1_AbCdEf123", "spa-client-id"


class FakeCognito:
    """The three cognito-idp calls the helper makes; users listed in `existing` are already in the pool."""

    def __init__(self, existing: Iterable[str] = frozenset(), create_error: str | None = None, challenge: bool = False):
        self.users: dict[str, dict[str, Any]] = {name: {} for name in existing}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.create_error = create_error
        self.challenge = challenge

    def admin_create_user(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("admin_create_user", kwargs))
        if self.create_error:
            raise ClientError({"Error": {"Code": self.create_error, "Message": "no"}}, "AdminCreateUser")
        if kwargs["Username"] in self.users:
            raise ClientError({"Error": {"Code": "UsernameExistsException", "Message": "exists"}}, "AdminCreateUser")
        self.users[kwargs["Username"]] = {}
        return {}

    def admin_set_user_password(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("admin_set_user_password", kwargs))
        self.users[kwargs["Username"]]["password"] = kwargs["Password"]
        return {}

    def admin_initiate_auth(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("admin_initiate_auth", kwargs))
        if self.challenge:
            return {"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "s"}
        username, password = kwargs["AuthParameters"]["USERNAME"], kwargs["AuthParameters"]["PASSWORD"]
        assert self.users[username]["password"] == password
        return {"AuthenticationResult": {"AccessToken": f"access-{username}", "IdToken": f"id-{username}"}}

    def called(self, name: str) -> list[dict[str, Any]]:
        return [kwargs for call, kwargs in self.calls if call == name]


# Which target


@pytest.mark.parametrize(
    ("environ", "kind"), [({}, "local"), ({"API_URL": " "}, "local"), ({"API_URL": "https://x"}, "deployed")]
)
def test_api_url_selects_the_deployed_target(environ: dict[str, str], kind: str) -> None:
    assert target_kind(environ) == kind


# Token sources


def test_pasted_tokens_come_first_and_cognito_makes_the_others() -> None:
    # Given a pasted token for alice and a named user pool
    fake = FakeCognito()
    chain = token_sources(
        {"E2E_TOKEN_ALICE": "pasted", "E2E_USER_POOL_ID": POOL, "E2E_USER_POOL_CLIENT_ID": CLIENT}, lambda pool: fake
    )
    # When tokens are asked for alice and carol
    # Then alice's is the pasted one (the pool is never asked for her) and carol is a Cognito test user
    assert chain.token("alice") == "pasted"
    assert chain.token("carol") == "access-e2e-carol@example.com"
    assert {kwargs["Username"] for kwargs in fake.called("admin_create_user")} == {"e2e-carol@example.com"}
    # And only the Cognito user is the run's own, whose whole gallery it may empty
    assert (chain.owns("alice"), chain.owns("carol")) == (False, True)


def test_without_a_pool_only_pasted_tokens_count() -> None:
    made: list[str] = []
    chain = token_sources({"E2E_TOKEN_BOB": "b", "E2E_USER_POOL_ID": POOL}, made.append)  # no client id
    assert chain.token("bob") == "b"
    with pytest.raises(LookupError, match="E2E_TOKEN_CAROL"):
        chain.token("carol")
    assert made == []


def test_a_user_without_a_token_skips_the_test_naming_the_variable() -> None:
    stack = DeployedStack("https://api.example", TokenChain([EnvironmentTokens({})]), transport=_api()[0])
    with pytest.raises(pytest.skip.Exception, match="set E2E_TOKEN_DAVE"):
        stack.client("dave")


def test_cognito_users_are_made_once_silently_and_signed_in_with_the_admin_flow() -> None:
    # Given a pool where alice's test user already exists from an earlier run
    fake = FakeCognito(existing={"e2e-alice@example.com"})
    users = CognitoUsers(fake, POOL, CLIENT)

    # When alice and bob sign in, alice twice
    tokens = [users.token("alice"), users.token("bob"), users.token("alice")]

    # Then bob is made without any mail, alice is kept, both get this run's password and sign in once each
    assert tokens == ["access-e2e-alice@example.com", "access-e2e-bob@example.com", "access-e2e-alice@example.com"]
    created = fake.called("admin_create_user")
    assert [kwargs["MessageAction"] for kwargs in created] == ["SUPPRESS", "SUPPRESS"]
    assert {"Name": "email_verified", "Value": "true"} in created[1]["UserAttributes"]
    assert [kwargs["Password"] for kwargs in fake.called("admin_set_user_password")] == [users.password] * 2
    assert all(kwargs["Permanent"] for kwargs in fake.called("admin_set_user_password"))
    auths = fake.called("admin_initiate_auth")
    assert len(auths) == 2
    assert {(kwargs["AuthFlow"], kwargs["ClientId"], kwargs["UserPoolId"]) for kwargs in auths} == {
        ("ADMIN_USER_PASSWORD_AUTH", CLIENT, POOL)
    }


def test_any_other_cognito_error_or_a_challenge_stops_the_run() -> None:
    with pytest.raises(ClientError, match="AccessDenied"):
        CognitoUsers(FakeCognito(create_error="AccessDeniedException"), POOL, CLIENT).token("alice")
    with pytest.raises(RuntimeError, match="SOFTWARE_TOKEN_MFA"):
        CognitoUsers(FakeCognito(challenge=True), POOL, CLIENT).token("alice")


def test_each_run_has_its_own_password_meeting_the_pool_policy() -> None:
    first, second = strong_password(), strong_password()
    assert first != second
    for password in (first, second):
        assert len(password) >= 12
        assert all(re.search(pattern, password) for pattern in ("[a-z]", "[A-Z]", "[0-9]", r"[^A-Za-z0-9]"))


def test_the_cognito_client_signs_with_the_shells_keys_in_the_pools_region() -> None:
    # Given the shell's keys (the suite itself runs with fake ones in os.environ)
    shell = {"AWS_ACCESS_KEY_ID": "AKIASHELL", "AWS_SECRET_ACCESS_KEY": "shell-secret", "AWS_SESSION_TOKEN": "t"}
    # When the helper's client is built
    client = cognito_client(POOL, shell)
    # Then it signs with them, in the region the pool id names
    assert client.meta.region_name == "eu-west-1"
    assert client._request_signer._credentials.access_key == "AKIASHELL"


# What a deployed run touches


def _api(
    leftovers: dict[str, list[str]] | None = None, refuse: Container[str] = frozenset()
) -> tuple[httpx.MockTransport, list[tuple[str, str, Any]]]:
    """A tiny stand-in API: it makes assets, lists `leftovers` per view, and answers bulk actions."""
    seen: list[tuple[str, str, Any]] = []
    counter = iter(range(1, 1000))

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.headers.get("content-type") == "application/json" else None
        seen.append((request.method, request.url.path, body))
        if request.url.path == "/uploads/sign":
            return httpx.Response(201, json={"asset": {"id": f"NEW{next(counter)}"}, "upload": {}})
        if request.url.path == "/uploads":
            return httpx.Response(201, json={"id": "OLD", "duplicate": True})
        if request.url.path == "/gallery":
            view = request.url.params["view"]
            return httpx.Response(
                200, json={"items": [{"id": i} for i in (leftovers or {}).get(view, [])], "nextCursor": None}
            )
        if request.url.path == "/assets/bulk":
            assert body is not None, "bulk actions are sent as JSON"
            results = [{"id": i, "result": "conflict" if i in refuse else "ok"} for i in body["ids"]]
            return httpx.Response(200, json={"results": results})
        return httpx.Response(404, json={})

    return httpx.MockTransport(handle), seen


def test_the_deployed_target_never_calls_the_local_servers_dev_routes() -> None:
    transport, seen = _api()
    stack = DeployedStack("https://api.example", EnvironmentTokens({"E2E_TOKEN_ALICE": "a"}), transport=transport)
    for path in ("/__dev/token", "/__dev/purge"):
        with pytest.raises(AssertionError, match="local_only"):
            stack.client("alice").get(path)
    assert seen == []


def test_the_run_deletes_what_it_created_and_nothing_else() -> None:
    # Given a run where alice made two assets and got one duplicate of an asset she already had
    transport, seen = _api(refuse={"NEW2"})
    stack = DeployedStack("https://api.example", EnvironmentTokens({"E2E_TOKEN_ALICE": "a"}), transport=transport)
    with stack.client("alice") as alice:
        alice.post("/uploads/sign", json={})
        alice.post("/uploads/sign", json={})
        alice.post("/uploads", files={"file": ("x.png", b"x", "image/png")})

    # When the run cleans up
    failures = stack.clean_up()

    # Then exactly the two it made are trashed and deleted forever, and the one that could not be is reported
    bulk = [(body["action"], body["ids"]) for method, path, body in seen if path == "/assets/bulk"]
    assert bulk == [("trash", ["NEW1", "NEW2"]), ("delete", ["NEW1", "NEW2"])]
    assert failures == ["NEW2: conflict"]


def test_a_cognito_test_user_starts_with_an_empty_gallery_but_a_pasted_one_is_left_alone() -> None:
    # Given leftovers of an interrupted run in the gallery and the trash
    leftovers = {"all": ["LEFT1"], "trash": ["LEFT2"]}
    transport, seen = _api(leftovers)
    chain = TokenChain([EnvironmentTokens({"E2E_TOKEN_ALICE": "a"}), CognitoUsers(FakeCognito(), POOL, CLIENT)])
    stack = DeployedStack("https://api.example", chain, transport=transport)

    # When alice (pasted) and carol (a Cognito test user) start
    stack.client("alice").close()
    stack.client("carol").close()
    stack.client("carol").close()

    # Then only carol's leftovers are deleted, once, and with her token
    bulk = [(body["action"], body["ids"]) for method, path, body in seen if path == "/assets/bulk"]
    assert bulk == [("trash", ["LEFT1", "LEFT2"]), ("delete", ["LEFT1", "LEFT2"])]
    assert stack.created == {}


def test_deployed_stack_reads_its_url_and_cors_origin_from_the_environment() -> None:
    stack = deployed_stack({"API_URL": "https://abc.execute-api.eu-west-1.amazonaws.com/ "}, {})
    assert (stack.url, stack.allowed_origin) == (
        "https://abc.execute-api.eu-west-1.amazonaws.com",
        "http://localhost:3001",
    )
    other = deployed_stack({"API_URL": "https://x", "E2E_ALLOWED_ORIGIN": "https://gallery.example.com"}, {})
    assert other.allowed_origin == "https://gallery.example.com"


@pytest.mark.parametrize(("orientation", "size"), [(1, (40, 30)), (3, (40, 30)), (6, (30, 40)), (8, (30, 40))])
def test_the_expected_ingest_size_applies_exif_orientation(orientation: int, size: tuple[int, int]) -> None:
    image = Image.new("RGB", (40, 30))
    exif = image.getexif()
    exif[0x0112] = orientation
    buffer = BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    assert image_size(buffer.getvalue()) == size


def test_tokens_and_passwords_never_show_in_a_test_report() -> None:
    # Given a deployed target holding a pasted token and a Cognito password (failure reports print fixtures)
    users = CognitoUsers(FakeCognito(), POOL, CLIENT)
    chain = TokenChain(
        [EnvironmentTokens({"E2E_TOKEN_ALICE": "pasted-secret", "AWS_SECRET_ACCESS_KEY": "s3cr3t"}), users]
    )
    shown = repr(DeployedStack("https://api.example", chain))
    # Then neither the token, the shell's secrets nor the password is in its repr
    assert "pasted-secret" not in shown and "s3cr3t" not in shown and users.password not in shown


def test_a_clean_up_deletes_each_asset_once() -> None:
    # Given one asset made, then cleaned up (as at the end of a module)
    transport, seen = _api()
    stack = DeployedStack("https://api.example", EnvironmentTokens({"E2E_TOKEN_ALICE": "a"}), transport=transport)
    with stack.client("alice") as alice:
        alice.post("/uploads/sign", json={})
    assert stack.clean_up() == []
    # When the run cleans up again at its end
    # Then nothing is sent twice
    assert stack.clean_up() == []
    assert [body["action"] for method, path, body in seen if path == "/assets/bulk"] == ["trash", "delete"]
