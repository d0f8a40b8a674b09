"""Serve the dashboard: Solara's starlette app under uvicorn, behind a guard.

``solara run`` accepts any ``Host`` (so a page of any web site can reach the dashboard after
DNS rebinding) and any WebSocket ``Origin`` (so any site open in the same browser can drive
a session), and sends no security headers. :class:`Guard` is an ASGI middleware that
refuses foreign hosts and origins unless the user listed them, adds
``Content-Security-Policy``, ``X-Frame-Options`` and ``X-Content-Type-Options``, and makes
the session cookie ``HttpOnly; SameSite=Lax``. The pure functions below decide; the class
only applies them.
"""

from __future__ import annotations

import copy
import ipaddress
import os
import sys
import warnings
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
"""Names of this machine that no other web site can take (a rebinding attack needs a name
the attacker owns)."""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        # Solara's page has inline scripts, compiles Vue templates at run time and loads
        # widget modules (anywidget) from blob: URLs; the point here is that nothing comes
        # from another site, so a file's text cannot make the page fetch or send anything.
        "script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
"""Everything the offline page needs from its own server, and nothing from elsewhere."""

SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
)
"""Headers added to every HTTP response."""

NO_AUTH_WARNING = (
    "Warning: --host {host} makes the dashboard reachable from other machines, and it has no "
    "authentication: anyone who can reach {host}:{port} can use it. Each name or address "
    "people will type in their browser must be listed with --allow-host (others are "
    "refused)."
)


@dataclass(frozen=True)
class Allowed:
    """The hosts (names or addresses, without port) and origins the dashboard answers."""

    hosts: frozenset[str]
    origins: frozenset[str]


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address to listen on) is this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def no_auth_warning(host: str, port: int) -> str | None:
    """The warning to print when the dashboard listens beyond this machine, else None."""
    return None if is_loopback(host) else NO_AUTH_WARNING.format(host=host, port=port)


def _normal_host(name: str) -> str:
    return name.strip().strip("[]").rstrip(".").lower()


def normal_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, without a trailing slash."""
    return origin.strip().rstrip("/").lower()


def allowed(
    host: str, port: int, extra_hosts: Iterable[str] = (), extra_origins: Iterable[str] = ()
) -> Allowed:
    """What a dashboard listening on ``host:port`` answers: this machine's loopback names, the
    address it listens on (unless a wildcard), the listed hosts, and the origins of all
    those on ``port`` (over http) plus the listed origins."""
    names = {*LOOPBACK_NAMES, *(_normal_host(h) for h in extra_hosts)}
    listen = _normal_host(host)
    if listen not in ("0.0.0.0", "::", ""):
        names.add(listen)
    origins = {f"http://{_bracketed(n)}:{port}" for n in names}
    origins |= {normal_origin(o) for o in extra_origins}
    return Allowed(frozenset(names), frozenset(origins))


def _bracketed(name: str) -> str:
    return f"[{name}]" if ":" in name else name


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port (``[::1]:8765`` -> ``::1``)."""
    value = header.strip()
    if value.startswith("["):
        return _normal_host(value.split("]", 1)[0])
    return _normal_host(value.rsplit(":", 1)[0] if value.count(":") == 1 else value)


def host_allowed(header: str | None, rules: Allowed) -> bool:
    """HTTP/1.1 requires a ``Host``; one not listed is a rebound name (or a typo)."""
    return header is not None and host_name(header) in rules.hosts


def origin_allowed(header: str | None, rules: Allowed) -> bool:
    """A request without ``Origin`` comes from no web page (browsers always send one on a
    WebSocket and on a cross-site POST); ``null`` (a sandboxed frame, a file: page) and any
    other site are refused."""
    if header is None:
        return True
    origin = normal_origin(header)
    return origin in rules.origins and bool(urlsplit(origin).hostname)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def refusal(scope: Scope, rules: Allowed) -> str | None:
    """Why a request must be refused (None when it may pass)."""
    headers = _headers(scope)
    host = headers.get("host")
    if not host_allowed(host, rules):
        return f"host {host!r} is not allowed; allowed: {', '.join(sorted(rules.hosts))}"
    # Plain page loads carry no Origin, or the page's own; check every method that changes
    # state, and every WebSocket (the session's whole traffic).
    checked = scope["type"] == "websocket" or scope.get("method", "GET") not in ("GET", "HEAD")
    origin = headers.get("origin")
    if checked and not origin_allowed(origin, rules):
        return f"origin {origin!r} is not allowed; allowed: {', '.join(sorted(rules.origins))}"
    return None


def strict_cookie(value: str) -> str:
    """A ``Set-Cookie`` value with ``HttpOnly`` and ``SameSite=Lax``: no script of the page
    reads the session id, and no other site's page sends it along. Solara sets
    ``SameSite=None`` on ``localhost`` (for embedding in frames, which is refused here)."""
    parts = [p.strip() for p in value.split(";")]
    kept = [p for p in parts if p and p.split("=", 1)[0].lower() not in ("httponly", "samesite")]
    return "; ".join([*kept, "HttpOnly", "SameSite=Lax"])


def secured_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A response's headers with :data:`SECURITY_HEADERS` (replacing any of those names) and
    strict cookies."""
    ours = {name for name, _ in SECURITY_HEADERS}
    out: list[tuple[bytes, bytes]] = []
    for name, value in headers:
        key = name.decode("latin-1").lower()
        if key in ours:
            continue
        if key == "set-cookie":
            value = strict_cookie(value.decode("latin-1")).encode("latin-1")
        out.append((name, value))
    out += [(n.encode("latin-1"), v.encode("latin-1")) for n, v in SECURITY_HEADERS]
    return out


class Guard:
    """ASGI middleware: refuse what :func:`refusal` refuses (HTTP 403, or a WebSocket closed
    before the handshake, which uvicorn answers with 403), and secure every response."""

    def __init__(self, app: ASGIApp, rules: Allowed) -> None:
        self.app = app
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        reason = refusal(scope, self.rules)
        if reason is not None:
            await _refuse(scope, send, reason)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = secured_headers(message.get("headers", []))
            await send(message)

        await self.app(scope, receive, send_secured)


async def _refuse(scope: Scope, send: Send, reason: str) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
        return
    body = f"Refused: {reason}.\n".encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    headers += [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 403, "headers": secured_headers(headers)})
    await send({"type": "http.response.body", "body": body})


SYSTEM_ALLOCATOR = "malloc"
"""The ``PYTHONMALLOC`` the dashboard server runs under: the C library's allocator for every
Python object, instead of Python's own small-object arenas.

Many sessions playing at once leave their surviving objects scattered over Python's arenas,
which it can only hand back when an arena is entirely empty: measured with 8 tabs playing and
closing, the server kept 426 MB against 325 MB before (1.31x) under Python's allocator, and
333 MB (1.11x) under the C one, which ``session.release_memory`` trims once a tab closes.
The cost is a little speed on small objects; the model's work is in numpy."""


def restart_with_system_allocator(argv: list[str] | None = None) -> None:
    """Replace this process by itself under :data:`SYSTEM_ALLOCATOR` (same pid, same arguments).

    ``PYTHONMALLOC`` is read only when an interpreter starts, so the ``coprod dashboard``
    process starts again once, before it prints or listens. Nothing happens when the user chose
    an allocator (``PYTHONMALLOC`` set), off POSIX, or when the command runs inside another
    program (a test's CLI runner): only a process started as ``coprod`` restarts."""
    argv = sys.argv if argv is None else argv
    started_as_coprod = Path(argv[0]).name in {"coprod", "__main__.py"} and "dashboard" in argv
    if os.environ.get("PYTHONMALLOC") or os.name != "posix" or not started_as_coprod:
        return
    env = {**os.environ, "PYTHONMALLOC": SYSTEM_ALLOCATOR}
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def serve(app_module: str, host: str, port: int, rules: Allowed) -> None:
    """Run the dashboard until Ctrl-C: what ``solara run --production`` does, with the guard."""
    # Solara reads these when its server module is imported and when the app loads.
    os.environ["SOLARA_APP"] = app_module
    os.environ["SERVER_NAME"] = host
    os.environ["SERVER_PORT"] = str(port)
    import solara.server.settings as settings
    import uvicorn
    from solara.__main__ import LOGGING_CONFIG

    settings.main.mode = "production"
    settings.session.http_only = True
    # Solara reports each server start to an analytics service: an offline council's server
    # must not try to reach the internet (nor tell anyone it runs).
    settings.telemetry.mixpanel_enable = False
    # Solara warns on every page over plain http that it cannot set SameSite=None (meant for
    # frames); the guard sets SameSite=Lax and refuses frames anyway.
    warnings.filterwarnings("ignore", "Cookies with samesite=none require https", UserWarning)
    from solara.server.starlette import app as solara_app

    uvicorn.run(
        Guard(solara_app, rules),
        host=host,
        port=port,
        log_level="warning",
        log_config=log_config(LOGGING_CONFIG),
    )


def log_config(solara_config: dict[str, Any]) -> dict[str, Any]:
    """Solara's logging, at warning level, plus this package's messages (a failure in a
    session is logged with its traceback: the page only says that something went wrong)."""
    config = copy.deepcopy(solara_config)
    config["loggers"]["solara"]["level"] = "WARNING"
    config["loggers"]["coprod_sim"] = {"handlers": ["default"], "level": "INFO"}
    return config


__all__: list[str] = [
    "CONTENT_SECURITY_POLICY",
    "SYSTEM_ALLOCATOR",
    "Allowed",
    "Guard",
    "allowed",
    "host_allowed",
    "is_loopback",
    "log_config",
    "no_auth_warning",
    "origin_allowed",
    "refusal",
    "restart_with_system_allocator",
    "secured_headers",
    "serve",
    "strict_cookie",
]
