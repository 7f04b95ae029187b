"""A test's browser for the workshop app: a server on 127.0.0.1 in a thread, and requests as app.js sends them."""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from channelsim.app import AppServer, Workbench, make_server


@contextmanager
def serving(scenario: Path, **options: str) -> Iterator[AppServer]:
    """The app on a free port of 127.0.0.1, serving until the block ends."""
    app = make_server(str(scenario), port=0, **options)
    # a short poll: shutdown() waits for the loop to look (0.5 s by default, at every test's end)
    thread = threading.Thread(target=app.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield app
    finally:
        app.shutdown()
        app.server_close()


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read()


def token(url: str) -> str:
    """The run's token, read from the page as app.js reads it."""
    base = url.split("/api/", 1)[0].rstrip("/") + "/"
    found = re.search(rb'<meta name="channelsim-token" content="([^"]+)">', get(base)[1])
    assert found, "the page carries no token"
    return found.group(1).decode()


def post(url: str, body: dict | bytes, timeout: float = 60) -> tuple[int, dict]:
    """POST a body (a dict as JSON, or bytes exactly as given) with app.js's headers; status and answer."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "X-Channelsim-Token": token(url)}
    request = urllib.request.Request(url, data, headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def raw(url: str, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[int, bytes]:
    """Send one request exactly as written (urllib would fix Host and Content-Length); the answer."""
    parts = urlsplit(url)
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as conn:
        conn.sendall(head.encode("latin-1") + b"\r\n" + body)  # the body may be short of its length
        answer = b""
        while chunk := conn.recv(65536):  # the server answers and closes without reading the body
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    return status, answer.split(b"\r\n\r\n", 1)[1]


def rich_rebate_bench(folder: Path) -> tuple[Workbench, dict[str, Any]]:
    """The app's workbench opened on a copy of the industrial scenario's `rich_rebate` variant, and its
    lever values with enforcement moved to 0.6 (the change a saved variant should carry)."""
    source = Path(__file__).resolve().parents[1] / "scenarios" / "industrial_distributors.yaml"
    shutil.copy(source, folder / source.name)
    bench = Workbench.open(str(folder / source.name), variant="rich_rebate")
    values = {c["path"]: c["value"] for c in bench.describe()["controls"]} | {"conflict.enforcement_per_week": 0.6}
    return bench, values
