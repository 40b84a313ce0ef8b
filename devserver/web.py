"""The demo web app's own origin: static files from webapp/ plus a generated `config.js` naming the API."""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.security import safe_join
from werkzeug.wrappers import Request, Response

from devserver.guards import refuse_foreign_host

WEBAPP_DIR = Path(__file__).resolve().parent.parent / "webapp"
# The TypeScript client's committed build (#18), which the web app imports as `/client/index.js`: no build step here.
CLIENT_DIST = Path(__file__).resolve().parent.parent / "clients" / "typescript" / "dist"
# Browsers refuse ES modules served with a non-JavaScript type; the OS table is not always right about .js.
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
# A share link's public page (`/g/<token>`) is the app's index.html, routed by its path (an SPA route): it asks search
# engines and image indexes to keep out, and nothing of it (the token is in its address) is cached or referred.
_SHARE_PAGE = re.compile(r"g/[A-Za-z0-9_-]{1,128}/?")
_SHARE_PAGE_HEADERS = {"X-Robots-Tag": "noindex, nofollow, noimageindex", "Cache-Control": "no-store"}


class WebApp:
    """A WSGI app serving webapp/ read-only, with a content security policy that names the API and S3 origins."""

    def __init__(
        self,
        *,
        api_base: str,
        storage_origin: str,
        realtime_origin: str = "",
        root: Path = WEBAPP_DIR,
        client_root: Path = CLIENT_DIST,
    ) -> None:
        self._root = root
        self._client_root = client_root
        self._config = f"export const apiBase = {json.dumps(api_base)};\nexport const devTokens = true;\n"
        self._csp = "; ".join(
            (
                "default-src 'self'",
                # The WebSocket API is another origin (its ticket's URL); `'self'` never covers ws: on another port.
                f"connect-src 'self' {api_base} {storage_origin} {realtime_origin}".rstrip(),
                f"img-src 'self' data: blob: {storage_origin}",
                # A video plays straight from its presigned GET (ranges); without this, default-src blocks it.
                f"media-src 'self' blob: {storage_origin}",
                "style-src 'self'",
                "script-src 'self'",
                "frame-ancestors 'none'",
                "base-uri 'none'",
                "form-action 'none'",
            )
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        response = self._respond(Request(environ))
        response.headers["Content-Security-Policy"] = self._csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers.setdefault("Cache-Control", "no-cache")
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        refused = refuse_foreign_host(request)  # a rebound name would make this app its origin
        if refused is not None:
            return refused
        if request.method not in ("GET", "HEAD"):
            return Response("Method not allowed", status=405, headers={"Allow": "GET, HEAD"})
        path = request.path.lstrip("/") or "index.html"
        if path == "config.js":
            return Response(self._config, content_type="text/javascript; charset=utf-8")
        if _SHARE_PAGE.fullmatch(path):
            page = (self._root / "index.html").read_bytes()
            return Response(page, content_type="text/html; charset=utf-8", headers=_SHARE_PAGE_HEADERS)
        folder, path = (self._client_root, path[len("client/") :]) if path.startswith("client/") else (self._root, path)
        target = safe_join(str(folder), path)
        if target is None or not Path(target).is_file():
            return Response("Not found", status=404, content_type="text/plain")
        file = Path(target)
        content_type = _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        return Response(file.read_bytes(), content_type=content_type)
