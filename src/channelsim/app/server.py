"""The app's web server: the standard library's HTTP server on 127.0.0.1, one page and a JSON API.

Routes: `GET /` the page, `GET /static/NAME` its script and style, `GET /api/scenario` the
levers, `POST /api/simulate`, `POST /api/optimize`, `POST /api/save`. Errors in what a
person typed come back as `400 {"error": "..."}` naming the field (a wrong type, a lever
outside its slider's range: see `bodies`), a save under a name already taken as `409` (the
page asks, and sends it again with `"overwrite": true`); shown on the page, never a traceback.
A browser that goes away before its answer is let go silently.

Each request runs on its own thread (a class of 30 browsers at once: a listen queue of
`request_queue_size`); the workbench bounds and orders the simulations.

Strangers are refused: any other web page the browser shows could send requests here, and
one served under a domain that resolves to 127.0.0.1 (DNS rebinding) could read the answers.
So every request must name this server in `Host` (403 otherwise), and a POST must come from
the page itself: `Origin` (when sent) this server's, `Content-Type: application/json` (415;
a cross-site form cannot send it without the browser asking first) and the run's random token,
which only the page served here holds, in `X-Channelsim-Token` (403). Its `Content-Length` is
checked before the body is read (411 missing, 400 not a length, 413 over 1 MB).
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import sys
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from channelsim.app import bodies
from channelsim.app.saved import VariantExists
from channelsim.app.workbench import Workbench
from channelsim.errors import ChannelsimError

HOST = "127.0.0.1"  # the workshop room's laptop only: never reachable from the network
STATIC = {"index.html": "text/html", "app.js": "text/javascript", "app.css": "text/css"}
MAX_BODY = 1_000_000
TOKEN_HEADER = "X-Channelsim-Token"  # sent back by app.js with every request
TOKEN_SLOT = b"CHANNELSIM_TOKEN"  # in index.html, replaced by the run's token when served
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_LENGTH = re.compile(r"[0-9]+")
# what every answer says: no other site may frame the page (clicks on it would pass the checks)
SAFETY_HEADERS = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'",
                  "X-Content-Type-Options": "nosniff"}  # fmt: skip

Refusal = tuple[HTTPStatus, str]


def _static(name: str) -> bytes:
    return resources.files("channelsim.app").joinpath("static", name).read_bytes()


class Handler(BaseHTTPRequestHandler):
    """Serves one `Workbench` (set on the server as `server.workbench`)."""

    server: AppServer
    quiet = True
    timeout = 30  # seconds a connection may stall (a body shorter than its Content-Length)

    def log_message(self, format: str, *args: Any) -> None:  # the base class names it `format`
        if not self.quiet:
            super().log_message(format, *args)

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, TimeoutError):  # the browser left or stalled: nothing to tell anyone
            self.close_connection = True

    def do_GET(self) -> None:
        if self._refused(self._host_refusal()):
            return
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            page = _static("index.html").replace(TOKEN_SLOT, self.server.token.encode("ascii"))
            self._send(HTTPStatus.OK, page, STATIC["index.html"])
        elif path.startswith("/static/") and path.removeprefix("/static/") in STATIC:
            name = path.removeprefix("/static/")
            self._send(HTTPStatus.OK, _static(name), STATIC[name])
        elif path == "/api/scenario":
            self._json(HTTPStatus.OK, self.server.workbench.describe())
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {path}"})

    def do_POST(self) -> None:
        if self._refused(self._length_refusal()):
            return
        # read before refusing, so the answer is not lost to a reset for a body left unread
        raw = self.rfile.read(int(self.headers["Content-Length"]))  # at most MAX_BODY: checked
        if self._refused(self._host_refusal() or self._sender_refusal()):
            return
        actions = {"/api/simulate": self._simulate, "/api/optimize": self._optimize, "/api/save": self._save}
        action = actions.get(self.path)
        if action is None:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no such action: {self.path}"})
            return
        try:
            answer = action(bodies.parse(raw, self.path))
        except VariantExists as err:  # the page asks the person, then sends it again with overwrite
            self._json(HTTPStatus.CONFLICT, {"error": str(err)})
        except (ChannelsimError, ValueError) as err:  # the person's input: say what is wrong
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(err)})
        except Exception as err:  # a bug: keep serving, show a short message, log the trace
            traceback.print_exc(file=sys.stderr)
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error: {err}"})
        else:
            self._json(HTTPStatus.OK, answer)

    # -- actions ---------------------------------------------------------------------
    def _simulate(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.server.workbench.simulate(bodies.values(body), body.get("replications"))

    def _optimize(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.server.workbench.optimize(bodies.values(body))

    def _save(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.server.workbench.save_variant(
            bodies.text(body, "name").strip(), bodies.text(body, "description").strip(),
            bodies.values(body), overwrite=bodies.flag(body, "overwrite"),
        )  # fmt: skip

    # -- who may ask ------------------------------------------------------------------
    def _host_refusal(self) -> Refusal | None:
        """A request for another name (DNS rebinding: evil.example resolved to 127.0.0.1)."""
        named = self.headers.get_all("Host") or []
        if len(named) == 1 and named[0].strip().lower() in self.server.hosts:
            return None
        return HTTPStatus.FORBIDDEN, f"Host must be this server, {self.server.hosts[0]}"

    def _sender_refusal(self) -> Refusal | None:
        """A POST that is not from the page this server served (cross-site request forgery)."""
        origin = self.headers.get("Origin")  # the Host is one of ours (checked first)
        if origin is not None and origin.strip().lower() != "http://" + self.headers["Host"].strip().lower():
            return HTTPStatus.FORBIDDEN, f"requests from {origin} are not accepted"
        given = self.headers.get(TOKEN_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, self.server.token.encode("ascii")):
            return HTTPStatus.FORBIDDEN, f"missing or wrong {TOKEN_HEADER}: reload the page"
        kind = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if kind != "application/json":
            return HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json"
        return None

    def _length_refusal(self) -> Refusal | None:
        """Refuse before reading: a body of unknown, negative or huge length (rfile.read(-1) reads all)."""
        lengths = self.headers.get_all("Content-Length") or []
        if self.headers.get("Transfer-Encoding") is not None or not lengths:
            return HTTPStatus.LENGTH_REQUIRED, "Content-Length is required"
        if len(set(lengths)) != 1 or not _LENGTH.fullmatch(lengths[0].strip()):
            return HTTPStatus.BAD_REQUEST, f"Content-Length: not a length ({', '.join(lengths)[:40]})"
        digits = lengths[0].strip()
        if len(digits) > len(str(MAX_BODY)) or int(digits) > MAX_BODY:  # no int() of 5,000 digits
            return HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request too large (at most {MAX_BODY:,} bytes)"
        return None

    def _refused(self, refusal: Refusal | None) -> bool:
        if refusal is None:
            return False
        self.close_connection = True  # a body refused by its length stays unread: end here
        self._json(refusal[0], {"error": refusal[1]})
        return True

    # -- plumbing --------------------------------------------------------------------
    def _json(self, status: HTTPStatus, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data).encode("utf-8"), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in SAFETY_HEADERS.items():
            self.send_header(name, value)
        try:
            self.end_headers()
            self.wfile.write(body)
        except ConnectionError:  # the browser closed the tab or gave up waiting: no one to answer
            self.close_connection = True


class AppServer(ThreadingHTTPServer):
    """An HTTP server bound to 127.0.0.1 that serves one workbench."""

    daemon_threads = True
    # connections waiting to be accepted: a class opening the page at once (the default 5 reset most)
    request_queue_size = 128

    def __init__(self, workbench: Workbench, port: int = 0) -> None:
        self.workbench = workbench
        self.token = secrets.token_urlsafe(32)  # new each start: a page from an earlier run is refused
        super().__init__((HOST, port), Handler)
        bound = self.server_address[1]
        # the names a browser on this computer may use for this server (port 80: without it)
        self.hosts = [f"{name}:{bound}" for name in LOOPBACK_NAMES] + (
            list(LOOPBACK_NAMES) if bound == 80 else []
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"
