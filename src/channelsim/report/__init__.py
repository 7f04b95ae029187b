"""Reports: one function per figure (data prepared apart from drawing) and the HTML page."""

from __future__ import annotations

import os


def write_report(folder: str | os.PathLike[str]) -> list[str]:
    """Write report.html and its PNGs from the result files in `folder`; returns the paths."""
    from channelsim.report.page import write_report as write  # matplotlib loads only when needed

    return write(folder)


__all__ = ["write_report"]
