"""Loopback receivers for notifications: an SMTP server (aiosmtpd) and a JSON webhook.

Both listen on 127.0.0.1 on a free port, keep what they receive, and give the Apprise URL that
reaches them::

    with SmtpReceiver() as smtp, WebhookReceiver() as hook:
        smtp.url("me@example.com")   # mailto://127.0.0.1:PORT?from=…&to=me@example.com
        hook.url("amazon")           # json://127.0.0.1:PORT/amazon
        hook.failing = True          # answer 500 until set back: a destination that is down
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

SENDER = "policywatch@example.org"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    html: str
    text: str


class SmtpReceiver:
    """An SMTP server that accepts every message (no TLS, no authentication)."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    def url(self, to: str) -> str:
        return f"mailto://127.0.0.1:{self.port}?from={SENDER}&to={to}&secure=no"

    def to(self, address: str) -> list[Mail]:
        return [m for m in self.mails if address in m.to]

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's handler hook
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
        self.mails.append(
            Mail(
                to=tuple(envelope.rcpt_tos),
                subject=str(message["subject"]),
                html=parts.get("text/html", ""),
                text=parts.get("text/plain", ""),
            )
        )
        return "250 OK"

    def __enter__(self) -> SmtpReceiver:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


class WebhookReceiver:
    """An HTTP server that keeps every JSON body POSTed to it, by path; ``failing`` makes it answer 500."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict]] = []  # (path, body)
        self.failing = False
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length)
                if receiver.failing:
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.posts.append((self.path, json.loads(body or b"{}")))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def at(self, path: str) -> list[dict]:
        return [body for p, body in self.posts if p == "/" + path]

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
