"""The workshop web app: `channelsim app SCENARIO` serves sliders, buttons and charts on 127.0.0.1."""

from __future__ import annotations

from channelsim.app.server import AppServer
from channelsim.app.workbench import Workbench


def make_server(
    path: str, port: int = 0, variant: str | None = None, save_to: str | None = None
) -> AppServer:
    """A server for the scenario at `path` on 127.0.0.1 (`port` 0: a free one); call `serve_forever()`."""
    return AppServer(Workbench.open(path, variant, save_to), port)


__all__ = ["AppServer", "Workbench", "make_server"]
