"""Pure facts about origins and host names: parsing `Host`, same-origin, same-host, and Better
Auth's trusted-origin rule. The guard, the Worker and its auth routes all ask these questions;
they live below all three so none of them imports another to ask.
"""

from __future__ import annotations

from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def http_origin(url: str) -> str:
    """`http://127.0.0.1:5173/` → `http://127.0.0.1:5173`; ValueError when not an origin."""
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises on a port that is not a number in range
    except ValueError:
        raise ValueError(f"{url!r} is not a URL such as http://127.0.0.1:5173") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL such as http://127.0.0.1:5173")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{url!r} must be an origin only (scheme://host:port), no path")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def split_host(host: str) -> tuple[str, str] | None:
    """`name[:port]` → (lowercased name, port), or None when the value is malformed."""
    if not host or "@" in host or any(c.isspace() or c in "/\\?#" for c in host):
        return None
    if host.startswith("["):
        name, sep, rest = host.partition("]")
        if not sep:
            return None
        name += "]"
        if rest and not rest.startswith(":"):
            return None
        port = rest[1:]
    else:
        name, _, port = host.partition(":")
        if ":" in port:
            return None
    if port and (not port.isdigit() or not 0 < int(port) <= 65535):
        return None
    if host.endswith(":"):
        return None
    return name.lower(), port


def same_origin(origin: str | None, host: str, scheme: str = "http") -> bool:
    """An `Origin` header names this very server (scheme, host and port all equal)."""
    if not origin or origin == "null":
        return False
    return origin.lower() == f"{scheme}://{host}".lower()


def hostname(authority: str) -> str | None:
    """`127.0.0.1:3000`, `[::1]:8787`, `localhost` → the bare host name, lowercased."""
    try:
        return urlsplit("//" + authority).hostname
    except ValueError:
        return None


def same_host(a: str | None, b: str | None) -> bool:
    """Same host name on any port; every loopback name counts as one host."""
    if not a or not b:
        return False
    return a == b or (a in LOOPBACK_NAMES and b in LOOPBACK_NAMES)


def origin_allowed(
    origin: str, request_host: str, extra: tuple[str, ...] = (), scheme: str | None = None
) -> bool:
    """Better Auth's trusted-origin check, widened to every port of the serving host. With
    `scheme` (the scheme nanodev serves), an origin on the other scheme is another origin: an
    `https://localhost` page is not the `http://localhost` one nanodev serves."""
    if origin.rstrip("/") in {o.rstrip("/") for o in extra}:
        return True
    try:
        parts = urlsplit(origin)
        origin_host, _ = parts.hostname, parts.port  # .port raises on 99999 or "x"
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or (scheme is not None and parts.scheme != scheme):
        return False
    return same_host(origin_host, hostname(request_host))


def trusted_origin(
    origin: str, request_host: str, scheme: str, extra: tuple[str, ...] = ()
) -> bool:
    """An `Origin` header that parses as exactly `scheme://host[:port]` and is trusted (see
    `origin_allowed`). Anything else (`null`, a path, user info, a bad port) is untrusted."""
    if origin.rstrip("/") in {o.rstrip("/") for o in extra}:
        return True
    scheme_part, sep, authority = origin.partition("://")
    if not sep or split_host(authority) is None:
        return False
    return origin_allowed(f"{scheme_part.lower()}://{authority}", request_host, (), scheme)
