"""Security headers on every response: a strict Content-Security-Policy and friends.

Scripts come only from this origin (no inline script, no third party); Plotly and Swagger UI
set inline styles, so styles allow 'unsafe-inline'. Chart export draws to data: and blob: URLs.
Which pages may frame Unrolled (HTML slides embedding a demo with `?embed=1`) is the
`frame_ancestors` setting: this origin only by default.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(frame_ancestors: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def security_headers(frame_ancestors: str) -> list[tuple[bytes, bytes]]:
    """The headers for a `frame_ancestors` source list. X-Frame-Options, for browsers without
    CSP frame-ancestors, can say only DENY or SAMEORIGIN: it is left out for other origins
    (it would forbid what the CSP allows)."""
    headers = [
        (b"content-security-policy", content_security_policy(frame_ancestors).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    frame_options = {"'none'": b"DENY", "'self'": b"SAMEORIGIN"}.get(frame_ancestors)
    if frame_options:
        headers.append((b"x-frame-options", frame_options))
    return headers


class SecurityHeaders:
    """ASGI middleware adding `security_headers` to every HTTP response."""

    def __init__(self, app: ASGIApp, frame_ancestors: str = "'self'") -> None:
        self.app = app
        self.headers = security_headers(frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, with_headers)
