"""Where the end-to-end contract tests run: the local server (default), or a deployed stack when `API_URL` is set.

On a deployed stack the tests get their users' tokens, per user and in this order, from `E2E_TOKEN_<USER>` (any
OIDC issuer: the caller pastes them), or from test users this module makes in the stack's Cognito user pool
(`E2E_USER_POOL_ID` + `E2E_USER_POOL_CLIENT_ID`, with the shell's AWS credentials). A deployed target never calls
the local server's `/__dev/*` routes, and deletes at the end of the run every asset the run created.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, Literal, Protocol

import httpx
import pytest
from botocore.exceptions import ClientError

API_URL = "API_URL"
TOKEN_PREFIX = "E2E_TOKEN_"
USER_POOL_ID = "E2E_USER_POOL_ID"
USER_POOL_CLIENT_ID = "E2E_USER_POOL_CLIENT_ID"
INGEST_URL = "E2E_INGEST_URL"
ALLOWED_ORIGIN = "E2E_ALLOWED_ORIGIN"
# The stack's default `allowedOrigins` (infra/stack.py) and one of the local server's: a deploy with its own
# origins sets E2E_ALLOWED_ORIGIN to one of them.
DEFAULT_ALLOWED_ORIGIN = "http://localhost:3001"
# Reserved for examples (RFC 2606) and MessageAction SUPPRESS: no mail is ever sent to these users.
TEST_USER_DOMAIN = "example.com"
# Responses that made an asset the caller now owns (the path ends so, under any stage prefix).
CREATING_PATHS = ("/uploads/sign", "/uploads", "/ingest")
BULK_LIMIT = 100
EXIF_ORIENTATION = 0x0112

Kind = Literal["local", "deployed"]


class Target(Protocol):
    """What a contract test may use, whichever target it runs against."""

    url: str

    # Read-only, so a target may fix them for its whole class (the local server does).
    @property
    def kind(self) -> Kind: ...

    @property
    def allowed_origin(self) -> str: ...

    def client(self, user: str | None) -> httpx.Client: ...


class MissingToken(LookupError):
    """No source gives a token for this user."""


def target_kind(environ: Mapping[str, str]) -> Kind:
    return "deployed" if environ.get(API_URL, "").strip() else "local"


def token_variable(user: str) -> str:
    return TOKEN_PREFIX + re.sub(r"[^A-Z0-9]", "_", user.upper())


class TokenSource(Protocol):
    def token(self, user: str) -> str:
        """A bearer token for `user`, or MissingToken."""

    def owns(self, user: str) -> bool:
        """Whether the user exists for these tests alone, so that the run may empty the whole gallery."""


@dataclass
class EnvironmentTokens:
    """Tokens the caller pasted, one variable per user: `E2E_TOKEN_ALICE`, `E2E_TOKEN_BOB`, …"""

    environ: Mapping[str, str] = field(repr=False)  # tokens and the shell's secrets never reach a test report

    def token(self, user: str) -> str:
        value = self.environ.get(token_variable(user), "").strip()
        if not value:
            raise MissingToken(user)
        return value

    def owns(self, user: str) -> bool:
        return False  # a pasted token may be anyone's: only what the run made is deleted


def strong_password() -> str:
    """A fresh password per run that meets the stack's policy (12+ characters, upper, lower, digit, symbol)."""
    return f"{secrets.token_urlsafe(24)}aA1!"


@dataclass
class CognitoUsers:
    """Test users `e2e-<user>@example.com` in the stack's pool, made if missing, signed in with the admin flow."""

    cognito: Any = field(repr=False)  # a boto3 cognito-idp client, or a fake with the same three calls
    user_pool_id: str
    client_id: str
    password: str = field(default_factory=strong_password, repr=False)
    _tokens: dict[str, str] = field(default_factory=dict, repr=False)

    @staticmethod
    def username(user: str) -> str:
        return f"e2e-{user}@{TEST_USER_DOMAIN}"

    def token(self, user: str) -> str:
        if user not in self._tokens:
            self._tokens[user] = self._sign_in(self.username(user))
        return self._tokens[user]

    def owns(self, user: str) -> bool:
        return True

    def _sign_in(self, username: str) -> str:
        try:
            self.cognito.admin_create_user(
                UserPoolId=self.user_pool_id,
                Username=username,
                UserAttributes=[{"Name": "email", "Value": username}, {"Name": "email_verified", "Value": "true"}],
                MessageAction="SUPPRESS",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "UsernameExistsException":
                raise
        # Every run sets its own password, so none is stored anywhere and a previous run's is useless.
        self.cognito.admin_set_user_password(
            UserPoolId=self.user_pool_id, Username=username, Password=self.password, Permanent=True
        )
        answer = self.cognito.admin_initiate_auth(
            UserPoolId=self.user_pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": self.password},
        )
        result = answer.get("AuthenticationResult")
        if not result:
            raise RuntimeError(f"Cognito asked {username} for {answer.get('ChallengeName')!r} instead of signing in")
        return str(result["AccessToken"])


@dataclass
class TokenChain:
    """The first source that has a token for the user gives it."""

    sources: list[TokenSource]

    def _source(self, user: str) -> tuple[TokenSource, str]:
        for source in self.sources:
            try:
                return source, source.token(user)
            except MissingToken:
                continue
        raise MissingToken(
            f"no token for user {user!r}: set {token_variable(user)}, or {USER_POOL_ID} and {USER_POOL_CLIENT_ID}"
            " to make Cognito test users"
        )

    def token(self, user: str) -> str:
        return self._source(user)[1]

    def owns(self, user: str) -> bool:
        return self._source(user)[0].owns(user)


def cognito_client(user_pool_id: str, shell: Mapping[str, str]) -> Any:
    """A cognito-idp client signed with the shell's AWS credentials, not the fakes the test suite runs with."""
    import boto3
    import botocore.session

    region = user_pool_id.split("_", 1)[0]  # pool ids are `<region>_<id>`
    if shell.get("AWS_ACCESS_KEY_ID") and shell.get("AWS_SECRET_ACCESS_KEY"):
        return boto3.Session(
            aws_access_key_id=shell["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=shell["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=shell.get("AWS_SESSION_TOKEN"),
            region_name=region,
        ).client("cognito-idp")
    core = botocore.session.Session(profile=shell.get("AWS_PROFILE"))
    # The test suite's fake keys sit in os.environ: skip them for the shell's profile, SSO or instance credentials.
    core.get_component("credential_provider").remove("env")
    return boto3.Session(botocore_session=core, region_name=region).client("cognito-idp")


def token_sources(environ: Mapping[str, str], make_cognito: Callable[[str], Any]) -> TokenChain:
    """Pasted tokens first; then Cognito test users when the pool and its client are named."""
    sources: list[TokenSource] = [EnvironmentTokens(environ)]
    pool, client_id = environ.get(USER_POOL_ID, "").strip(), environ.get(USER_POOL_CLIENT_ID, "").strip()
    if pool and client_id:
        sources.append(CognitoUsers(make_cognito(pool), pool, client_id))
    return TokenChain(sources)


def _refuse_dev_routes(request: httpx.Request) -> None:
    if "/__dev/" in request.url.path:
        raise AssertionError(f"a deployed stack has no {request.url.path}: mark the test local_only")


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), BULK_LIMIT):
        yield items[start : start + BULK_LIMIT]


@dataclass
class DeployedStack:
    """A stack in an AWS account, reached over HTTPS at its `ApiUrl`."""

    url: str
    tokens: TokenSource
    allowed_origin: str = DEFAULT_ALLOWED_ORIGIN
    transport: httpx.BaseTransport | None = None  # tests of this module answer without a network
    created: dict[str, list[str]] = field(default_factory=dict)
    _swept: set[str] = field(default_factory=set)
    kind: Kind = "deployed"

    def client(self, user: str | None) -> httpx.Client:
        if user is None:
            return self._client({})
        try:
            token = self.tokens.token(user)
        except MissingToken as missing:
            pytest.skip(str(missing))
        if user not in self._swept:
            self._swept.add(user)
            if self.tokens.owns(user):
                with self._client({"Authorization": f"Bearer {token}"}) as own:
                    empty_gallery(own)  # what an interrupted earlier run left behind
        return self._client({"Authorization": f"Bearer {token}"}, record_for=user)

    def _client(self, headers: dict[str, str], record_for: str | None = None) -> httpx.Client:
        hooks: dict[str, list[Callable[..., Any]]] = {"request": [_refuse_dev_routes], "response": []}
        if record_for is not None:
            hooks["response"].append(self._recorder(record_for))
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, event_hooks=hooks, transport=self.transport)

    def _recorder(self, user: str) -> Callable[[httpx.Response], None]:
        def record(response: httpx.Response) -> None:
            request = response.request
            if request.method != "POST" or not request.url.path.endswith(CREATING_PATHS):
                return
            if response.status_code not in (200, 201, 202):
                return
            response.read()
            body = response.json()
            asset = body.get("asset") if isinstance(body.get("asset"), dict) else body
            if asset.get("id") and not asset.get("duplicate"):
                self.created.setdefault(user, []).append(str(asset["id"]))

        return record

    def clean_up(self) -> list[str]:
        """Trash and delete forever what was created since the last clean-up; the ids that could not be, with why."""
        failures: list[str] = []
        made, self.created = self.created, {}
        for user, asset_ids in made.items():
            with self._client({"Authorization": f"Bearer {self.tokens.token(user)}"}) as client:
                failures += delete_assets(client, asset_ids)
        return failures


def _results(response: httpx.Response) -> Iterable[tuple[str, str]]:
    if response.status_code != 200:
        raise AssertionError(f"bulk action answered {response.status_code}: {response.text}")
    return ((item["id"], item["result"]) for item in response.json()["results"])


def delete_assets(client: httpx.Client, asset_ids: list[str]) -> list[str]:
    """Trash, then delete forever; an id already gone counts as deleted."""
    failures = []
    for chunk in _chunks(list(dict.fromkeys(asset_ids))):
        client.post("/assets/bulk", json={"action": "trash", "ids": chunk})
        deleted = client.post("/assets/bulk", json={"action": "delete", "ids": chunk})
        failures += [
            f"{asset_id}: {result}" for asset_id, result in _results(deleted) if result not in ("ok", "not_found")
        ]
    return failures


def _every_id(client: httpx.Client, view: str) -> list[str]:
    found: list[str] = []
    cursor = None
    while True:
        page = client.get(
            "/gallery", params={"view": view, "limit": BULK_LIMIT, **({"cursor": cursor} if cursor else {})}
        )
        page.raise_for_status()
        found += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["nextCursor"]
        if cursor is None:
            return found


def empty_gallery(client: httpx.Client) -> None:
    """Delete everything the caller has, trash included: only for users that exist for these tests alone."""
    leftovers = _every_id(client, "all") + _every_id(client, "trash")
    failures = delete_assets(client, leftovers)
    if failures:
        raise AssertionError(f"could not empty a test user's gallery: {failures}")


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height as the thumbnail function records them: EXIF orientation applied."""
    from PIL import Image

    with Image.open(BytesIO(data)) as image:
        width, height = image.size
        orientation = image.getexif().get(EXIF_ORIENTATION, 1)
    # Orientations 5 to 8 turn the image a quarter (as ImageOps.exif_transpose does), so the sides swap.
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def deployed_stack(environ: Mapping[str, str], shell: Mapping[str, str]) -> DeployedStack:
    """The target `API_URL` names, with its token sources and the CORS origin it allows."""
    return DeployedStack(
        url=environ[API_URL].strip().rstrip("/"),
        tokens=token_sources(environ, lambda pool: cognito_client(pool, shell)),
        allowed_origin=environ.get(ALLOWED_ORIGIN, "").strip() or DEFAULT_ALLOWED_ORIGIN,
    )
