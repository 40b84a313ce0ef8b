"""What keeps other web pages out of the local server: loopback `Host` names only, and no cross-site `/__dev/*` writes.

Binding 127.0.0.1 is not enough. DNS rebinding points a hostile name at 127.0.0.1, and the browser then treats the
server as that name's own origin: it could mint tokens from `/__dev/token` and read the whole API. And any page may
send a simple cross-site POST (a form) to `/__dev/purge`, which runs without CORS letting it read the answer.
"""

from __future__ import annotations

import json

from werkzeug.wrappers import Request, Response

from functions.common.errors import PROBLEM_JSON, problem

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
# Methods a browser may send cross-site without a preflight and that the dev routes treat as writes.
_SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# `none`: the user's own action (address bar, bookmark); `same-origin`: a page of the server itself.
_TRUSTED_FETCH_SITES = ("same-origin", "none")


def _refusal(status: int, title: str, detail: str, code: str) -> Response:
    return Response(json.dumps(problem(status, title, detail, code)), status=status, content_type=PROBLEM_JSON)


def loopback_hosts(port: int) -> frozenset[str]:
    """Every `Host` value a client of this port on loopback sends (port 80 may be left out)."""
    hosts = {f"{name}:{port}" for name in LOOPBACK_NAMES}
    if port == 80:
        hosts.update(LOOPBACK_NAMES)
    return frozenset(hosts)


def own_origins(port: int) -> frozenset[str]:
    return frozenset(f"http://{name}:{port}" for name in LOOPBACK_NAMES)


def server_port(request: Request) -> int:
    """The port the server is bound to, as the WSGI server reports it (so a port chosen at bind time counts)."""
    return int(request.environ.get("SERVER_PORT") or 80)


def refuse_foreign_host(request: Request) -> Response | None:
    """421 unless `Host` is a loopback name with the port the server listens on (werkzeug's `SERVER_PORT`)."""
    # 421 Misdirected Request (RFC 9110 §15.5.20): this server is not authoritative for that name, which is the
    # truth, and it keeps 403 for a caller the server does serve but will not obey (the cross-site refusal below).
    port = server_port(request)
    host = request.headers.get("Host", "").lower()
    if host in loopback_hosts(port):
        return None
    return _refusal(
        421,
        "Misdirected request",
        f"The local server answers only to {', '.join(sorted(loopback_hosts(port)))}.",
        "host_not_allowed",
    )


def refuse_cross_site_write(request: Request, trusted_origins: frozenset[str]) -> Response | None:
    """403 for a write to a `/__dev/*` route that a browser sent on behalf of a page of another origin.

    Browsers send `Origin` with every POST and scripts cannot set or remove it (a forbidden header name), so it is
    the rule: present, it must be the server's own origin or one of the allowed web origins (the demo web app's).
    `Sec-Fetch-Site` is unforgeable too but cannot tell the web app from any other page on a loopback port (both
    are `same-site`) and older browsers omit it, so it only refuses an Origin-less request a browser marked as not
    the user's own. Without either header the caller is no browser (curl, tests): allowed.
    """
    if request.method in _SAFE_METHODS:
        return None
    origin = request.headers.get("Origin")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if origin is not None:
        allowed = origin in trusted_origins  # `null` (sandboxed frames, data: pages) is never trusted
    else:
        allowed = fetch_site is None or fetch_site in _TRUSTED_FETCH_SITES
    if allowed:
        return None
    return _refusal(
        403,
        "Forbidden",
        "The local server's /__dev routes refuse writes sent by a page of another origin.",
        "cross_site_request",
    )
