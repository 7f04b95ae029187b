"""The app's web server: the standard library's HTTP server on 127.0.0.1, one page and a JSON API.

Routes: `GET /` the page, `GET /static/NAME` its script and style, `GET /api/scenario` the
levers, `POST /api/simulate`, `POST /api/optimize`, `POST /api/save`. Errors in what a
person typed come back as `400 {"error": "..."}`, shown on the page; never a traceback.
"""

from __future__ import annotations

import json
import sys
import traceback
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

from channelsim.app.workbench import Workbench
from channelsim.errors import ChannelsimError

HOST = "127.0.0.1"  # the workshop room's laptop only: never reachable from the network
STATIC = {"index.html": "text/html", "app.js": "text/javascript", "app.css": "text/css"}
MAX_BODY = 1_000_000


def _static(name: str) -> bytes:
    return resources.files("channelsim.app").joinpath("static", name).read_bytes()


class Handler(BaseHTTPRequestHandler):
    """Serves one `Workbench` (set on the server as `server.workbench`)."""

    server: AppServer
    quiet = True

    def log_message(self, format: str, *args: Any) -> None:  # the base class names it `format`
        if not self.quiet:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self._send(HTTPStatus.OK, _static("index.html"), STATIC["index.html"])
        elif path.startswith("/static/") and path.removeprefix("/static/") in STATIC:
            name = path.removeprefix("/static/")
            self._send(HTTPStatus.OK, _static(name), STATIC[name])
        elif path == "/api/scenario":
            self._json(HTTPStatus.OK, self.server.workbench.describe())
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no such page: {path}"})

    def do_POST(self) -> None:
        actions = {"/api/simulate": self._simulate, "/api/optimize": self._optimize, "/api/save": self._save}
        action = actions.get(self.path)
        if action is None:
            self._json(HTTPStatus.NOT_FOUND, {"error": f"no such action: {self.path}"})
            return
        try:
            self._json(HTTPStatus.OK, action(self._body()))
        except (ChannelsimError, ValueError) as err:  # the person's input: say what is wrong
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(err)})
        except Exception as err:  # a bug: keep serving, show a short message, log the trace
            traceback.print_exc(file=sys.stderr)
            self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"internal error: {err}"})

    # -- actions ---------------------------------------------------------------------
    def _simulate(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.server.workbench.simulate(body.get("values", {}), body.get("replications"))

    def _optimize(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.server.workbench.optimize(body.get("values", {}))

    def _save(self, body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get("name", "")).strip()
        return self.server.workbench.save_variant(
            name, str(body.get("description", "")), body.get("values", {})
        )

    # -- plumbing --------------------------------------------------------------------
    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("request too large")
        data = json.loads(self.rfile.read(length) or b"{}")
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    def _json(self, status: HTTPStatus, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data).encode("utf-8"), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class AppServer(ThreadingHTTPServer):
    """An HTTP server bound to 127.0.0.1 that serves one workbench."""

    daemon_threads = True

    def __init__(self, workbench: Workbench, port: int = 0) -> None:
        self.workbench = workbench
        super().__init__((HOST, port), Handler)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"
