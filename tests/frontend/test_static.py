"""Static serving: path containment (pure), content types, SPA fallback, and a corpus of
encoded traversal paths sent over raw sockets to a real server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from nanodev.frontend.pageprobe import SNIPPET
from nanodev.frontend.static import DENY, contained, content_type, decode_path, denied, lookup
from nanodev.settings import Settings
from tests.conftest import Nano

SECRET = "TOP-SECRET-OUTSIDE"
DOT_SECRET = "DOTFILE-SECRET"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """dist/ with an app, a dotfile, and symlinks that lead out of it or to the dotfile."""
    (tmp_path / "secret.txt").write_text(SECRET)
    (tmp_path / "secret.html").write_text(f"<p>{SECRET}</p>")
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<html><head></head><body>APP-INDEX</body></html>")
    (dist / "assets" / "app.js").write_text("console.log('app')")
    (dist / "assets" / "app.css").write_text("body{}")
    (dist / "data.json").write_text("{}")
    (dist / ".env").write_text(DOT_SECRET)
    (dist / ".git").mkdir()
    (dist / ".git" / "config").write_text(DOT_SECRET)
    (dist / "docs").mkdir()
    (dist / "docs" / "index.html").write_text("<p>DOCS</p>")
    (dist / "out.txt").symlink_to(tmp_path / "secret.txt")
    (dist / "outdir").symlink_to(tmp_path)
    (dist / "env-link.txt").symlink_to(dist / ".env")
    (dist / "inner.js").symlink_to(dist / "assets" / "app.js")
    return dist


# -- pure -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/%00index.html",
        "/index.html%00.js",
        "/index.html#/../../secret.txt",
        "/.env",
        "/.env/.",
        "/%2eenv",
        "/.git/config",
        "/assets/./app.js",
        "/%c0%ae%c0%ae/secret.txt",
        "/.env::$DATA",
        "/a%0ab",
    ],
)
def test_decode_refuses_tricks(raw: str) -> None:
    assert decode_path(raw) is None


def test_decode_keeps_ordinary_paths() -> None:
    assert decode_path("/") == []
    assert decode_path("//assets//app.js") == ["assets", "app.js"]
    assert decode_path("/caf%C3%A9/menu") == ["café", "menu"]
    assert decode_path("/%252e%252e/x") == ["%2e%2e", "x"]  # decoded once, so a literal name


def test_contained_refuses_symlinks_out_and_to_dotfiles(site: Path) -> None:
    root = site.resolve()
    assert contained(root, root / "out.txt") is None
    assert contained(root, root / "outdir" / "secret.txt") is None
    assert contained(root, root / "env-link.txt") is None
    assert contained(root, root / "inner.js") == root / "assets" / "app.js"


def test_lookup_files_fallback_and_misses(site: Path) -> None:
    root = site.resolve()
    assert lookup(root, "/assets/app.js", wants_html=False).kind == "file"
    assert lookup(root, "/docs/", wants_html=True).path == root / "docs" / "index.html"
    spa = lookup(root, "/rooms/my-room", wants_html=False)
    assert (spa.kind, spa.path) == ("fallback", root / "index.html")
    assert lookup(root, "/assets/missing.js", wants_html=False).kind == "missing"
    assert lookup(root, "/assets/missing.js", wants_html=True).kind == "fallback"
    assert lookup(root, "/../secret.txt", wants_html=True).kind == "refused"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.js", "text/javascript"),
        ("a.mjs", "text/javascript"),
        ("a.css", "text/css"),
        ("a.svg", "image/svg+xml"),
        ("a.wasm", "application/wasm"),
        ("a.json", "application/json"),
        ("a.woff2", "font/woff2"),
        ("INDEX.HTML", "text/html"),
        ("blob", "application/octet-stream"),
    ],
)
def test_content_types(name: str, expected: str) -> None:
    assert content_type(Path(name)) == expected


# -- a real server ----------------------------------------------------------------------------
async def raw_request(port: int, target: str, method: str = "GET") -> tuple[int, bytes]:
    """Send the request-target byte for byte (no client-side normalisation)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/html\r\n"
        "Connection: close\r\n\r\n".encode("latin-1")
    )
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), timeout=5)
    writer.close()
    await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, body


TRAVERSAL = [
    "/../secret.txt",
    "/../../secret.txt",
    "/..%2fsecret.txt",
    "/%2e%2e/secret.txt",
    "/%2e%2e%2fsecret.txt",
    "/%252e%252e%252fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/%5c..%5csecret.txt",
    "/assets/../../secret.txt",
    "/assets/%2e%2e/%2e%2e/secret.txt",
    "/%2e%2e/secret.html",
    "/../secret.html",
    "/index.html%00/../../secret.txt",
    "/%00",
    "/#/../../secret.txt",
    "/index.html#/../secret.txt",
    "/?/../../secret.txt",
    "//../secret.txt",
    "/./../secret.txt",
    "/%c0%ae%c0%ae/secret.txt",
    "/out.txt",
    "/outdir/secret.txt",
    "/outdir/secret.html",
    "/outdir/dist/.env",
    "/env-link.txt",
    "/.env",
    "/.env/.",
    "/.env/",
    "/%2eenv",
    "/.ENV",
    "/./.env",
    "/.git/config",
    "/.git/",
    "/assets/../.env",
    "/.env::$DATA",
    "/some/spa/route/../../../secret.txt",
    "/spa-route/%2e%2e/%2e%2e/secret.html",
    "http://127.0.0.1/../secret.txt",
]


async def test_traversal_corpus_never_leaks(
    make_nano: Callable[..., Awaitable[Nano]], site: Path
) -> None:
    nano = await make_nano(static_dir=site)
    port = nano.server.port
    assert port is not None
    leaks = []
    for target in TRAVERSAL:
        for method in ("GET", "HEAD"):
            status, body = await raw_request(port, target, method)
            if SECRET.encode() in body or DOT_SECRET.encode() in body:
                leaks.append((method, target, status))
            assert status in (200, 400, 403, 404), (target, status)
            if status == 200:
                assert b"APP-INDEX" in body or method == "HEAD", target  # only the SPA shell
    assert leaks == []
    # The server is still fine afterwards, and the corpus can tell a leak from none.
    assert (await raw_request(port, "/assets/app.js"))[1] == b"console.log('app')"


async def test_serving_headers_fallback_and_injection(
    make_nano: Callable[..., Awaitable[Nano]], site: Path
) -> None:
    nano = await make_nano(static_dir=site)
    res = await nano.get("/assets/app.js")
    assert res.status == 200
    assert res.headers["Content-Type"].startswith("text/javascript")
    assert res.headers["Cache-Control"] == "no-cache"
    assert "__nanodev/reload" not in await res.text()  # the snippet goes into HTML only
    page = await nano.get("/rooms/abc", headers={"Accept": "text/html"})
    html = await page.text()
    assert page.status == 200 and "APP-INDEX" in html
    assert html.index('src="/__nanodev/reload/client.js"') < html.index("</body>")
    assert (await nano.get("/assets/nope.js")).status == 404
    assert (await nano.session.post(nano.base + "/anything")).status == 404
    docs = await nano.get("/docs/")
    assert "DOCS" in await docs.text()


async def test_missing_static_dir_is_a_page_not_a_crash(
    make_nano: Callable[..., Awaitable[Nano]], tmp_path: Path
) -> None:
    nano = await make_nano(static_dir=tmp_path / "not-built")
    res = await nano.get("/")
    assert res.status == 503
    assert "npm run build" in await res.text()
    assert (await nano.get("/health")).status == 200


async def test_pages_get_the_page_probe_first_unless_it_is_off(
    make_nano: Callable[..., Awaitable[Nano]], site: Path
) -> None:
    nano = await make_nano(static_dir=site)
    html = await (await nano.get("/", headers={"Accept": "text/html"})).text()
    probe = html.index(SNIPPET.decode())
    assert probe < html.index("APP-INDEX")  # before any of the page's own scripts
    assert "probe.js" not in await (await nano.get("/assets/app.js")).text()
    # nanodev.toml may turn it off live: a new settings object, read per page.
    nano.core.settings = nano.core.settings.model_copy(update={"page_probe": False})
    html = await (await nano.get("/", headers={"Accept": "text/html"})).text()
    assert "probe.js" not in html and 'src="/__nanodev/reload/client.js"' in html


# -- the deny list ----------------------------------------------------------------------------
PRIVATE = "PRIVATE-FILE-CONTENT"
PRIVATE_FILES = [
    "server.key", "cert.pem", "site.crt", "id.p12", ".env.local", "keys/deploy.PEM",
    "secrets/token.txt",
]  # fmt: skip
PRIVATE_SPELLINGS = [
    "/server.key", "/server%2Ekey", "/server%2ekey/", "//server.key", "/server.key?x=1",
    "/server.key#top", "/SERVER.KEY", "/assets/../server.key", "/assets/%2e%2e/server.key",
    "/./cert.pem", "/cert.pem/", "/site.crt", "/id.p12", "/.env.local", "/%2Eenv.local",
    "/.env", "/.git/config", "/.git/", "/keys/deploy.PEM", "/keys//deploy.pem",
    "/secrets/token.txt", "/SECRETS/token.txt", "/innocent.txt",
]  # fmt: skip


@pytest.fixture
def private_site(site: Path) -> Path:
    for name in PRIVATE_FILES:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(PRIVATE)
    (site / "innocent.txt").symlink_to(site / "server.key")
    return site


@pytest.mark.parametrize(
    ("parts", "pattern"),
    [
        (["server.key"], "*.key"), (["a", "b.PEM"], "*.pem"), ([".env"], ".env"),
        ([".env.production"], ".env.*"), ([".git", "HEAD"], ".git"), (["x.p12"], "*.p12"),
        (["secrets", "a.txt"], "secrets/*"), (["app.js"], None), (["environment.js"], None),
        (["keys.json"], None),
    ],
)  # fmt: skip
def test_deny_patterns(parts: list[str], pattern: str | None) -> None:
    assert denied(parts, (*DENY, "secrets/*")) == pattern


async def test_private_files_are_never_served(
    make_nano: Callable[..., Awaitable[Nano]], private_site: Path
) -> None:
    nano = await make_nano(static_dir=private_site, static_deny=("secrets/*",))
    port = nano.server.port
    assert port is not None
    for target in PRIVATE_SPELLINGS:
        for method in ("GET", "HEAD"):
            status, body = await raw_request(port, target, method)
            assert PRIVATE.encode() not in body and DOT_SECRET.encode() not in body, target
            assert status in (400, 403, 404), (target, method, status)
    assert (await raw_request(port, "/assets/app.js"))[1] == b"console.log('app')"
    (private_site / "keys.json").write_text('{"public": true}')  # a name, not a key file
    assert (await raw_request(port, "/keys.json"))[0] == 200


def test_the_deny_setting_reads_a_comma_list() -> None:
    assert Settings(static_deny="secrets/*, *.sqlite").static_deny == ("secrets/*", "*.sqlite")
