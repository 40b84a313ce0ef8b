"""The demo web app's own origin: a share link's page `/g/<token>` is the app (an SPA route) that keeps indexes out."""

from __future__ import annotations

from werkzeug.test import Client

from devserver.web import WEBAPP_DIR, WebApp

ENVIRON = {"SERVER_PORT": "3001", "HTTP_HOST": "127.0.0.1:3001"}
ROBOTS = "noindex, nofollow, noimageindex"


def _client() -> Client:
    return Client(WebApp(api_base="http://127.0.0.1:3000", storage_origin="http://127.0.0.1:4566"))


def test_a_share_link_path_serves_the_app_marked_noindex_never_cached_nor_referred() -> None:
    # Given the web app and a share token as secrets.token_urlsafe(32) makes them
    token = "Zq3-_x9YkP0aLmN4vB7cD2eF5gH8iJ1kL6oR0sT3uVw"

    # When a browser opens the share's link
    response = _client().get(f"/g/{token}", environ_overrides=ENVIRON)

    # Then it gets the app's own page with its CSP, and headers that keep crawlers, caches and referrers away
    assert response.status_code == 200
    assert response.content_type == "text/html; charset=utf-8"
    assert response.get_data() == (WEBAPP_DIR / "index.html").read_bytes()
    assert response.headers["X-Robots-Tag"] == ROBOTS
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_app_page_loads_its_files_from_the_root_so_a_share_path_finds_them() -> None:
    # Given the app's page, as served at /g/<token> (one folder down)
    page = _client().get("/g/abc", environ_overrides=ENVIRON).get_data(as_text=True)

    # Then every file it names is absolute, and each is served
    for name in ("/styles.css", "/js/main.js", "/icon.svg"):
        assert f'"{name}"' in page
        assert _client().get(name, environ_overrides=ENVIRON).status_code == 200


def test_other_paths_are_files_or_404_and_only_share_pages_carry_the_robots_header() -> None:
    # Given the web app
    client = _client()

    # When it is asked for its page, a file, a path beside /g/<token> and one that escapes the folder
    index = client.get("/", environ_overrides=ENVIRON)
    nested = client.get("/g/abc/def", environ_overrides=ENVIRON)
    bad = client.get("/g/a.b", environ_overrides=ENVIRON)
    escape = client.get("/g/../../pyproject.toml", environ_overrides=ENVIRON)

    # Then the app's page is served as before (cacheable after revalidation), and the rest are 404s
    assert index.status_code == 200 and "X-Robots-Tag" not in index.headers
    assert index.headers["Cache-Control"] == "no-cache"
    assert nested.status_code == bad.status_code == escape.status_code == 404


def test_the_csp_lets_images_and_videos_load_from_storage_and_nothing_else_foreign() -> None:
    # Given the app's page
    policy = _client().get("/", environ_overrides=ENVIRON).headers["Content-Security-Policy"]

    # Then thumbnails and <video> sources may come from the storage origin (videos play from their presigned GET)
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert "http://127.0.0.1:4566" in directives["img-src"].split()
    assert directives["media-src"].split() == ["'self'", "blob:", "http://127.0.0.1:4566"]


def test_the_typescript_client_build_is_served_under_client_and_nothing_beside_it() -> None:
    # Given the web app
    client = _client()

    # When it is asked for the client's entry module, and for a path that climbs out of the build
    entry = client.get("/client/index.js", environ_overrides=ENVIRON)
    escape = client.get("/client/../package.json", environ_overrides=ENVIRON)

    # Then the committed build (clients/typescript/dist) is served as JavaScript, and nothing outside it
    assert entry.status_code == 200
    assert entry.content_type == "text/javascript; charset=utf-8"
    assert b"createClient" in entry.get_data()
    assert escape.status_code == 404
