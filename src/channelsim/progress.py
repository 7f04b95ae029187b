"""How far a run has got, on stderr: a live bar on a terminal, plain lines when piped.

The runner calls a progress as `progress(done, total)` once before the first replication
(`done` 0) and after each one, in replication order, and, where the replications run in this
process (`--jobs 1`, local), `progress.week(done, weeks)` as each week of the current
replication ends. A pool or a dask cluster tells replications only.

- On a terminal: a tqdm bar of replications, with the current replication's weeks beside it.
- Piped (CI logs, a notebook's `!channelsim ...`): one line per replication, or one per 10%
  when there are more than `PIPED_LINES`; inside a replication, a line of weeks done when
  `PIPED_WEEK_SECONDS` have passed with nothing said, so a long run is never silent.

Progress goes to stderr only and never changes what a run computes or writes.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any, TextIO

#: Piped runs print a line per replication up to this many replications, then one per 10%.
PIPED_LINES = 10
#: Piped runs say how many weeks are done when a replication has been silent this long.
PIPED_WEEK_SECONDS = 30.0
#: The terminal bar's weeks are redrawn at most this often (seconds).
REDRAW_SECONDS = 0.1


class RunProgress:
    """Replications (and weeks) done, shown on `stream` (stderr): a bar on a terminal, lines when piped."""

    def __init__(self, label: str, stream: TextIO | None = None, live: bool | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.live = is_terminal(self.stream) if live is None else live
        self.done, self.total = 0, 0
        self.started = time.monotonic()
        self._said = self.started  # when the last line or redraw was
        self._step = 0  # piped: the last tenth told
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.live:
            self._draw(done, total)
        elif done and (total <= PIPED_LINES or done == total or done * 10 // total > self._step):
            self._step = done * 10 // total
            self._line(f"{done}/{total} replications")

    def week(self, done: int, weeks: int) -> None:
        """The current replication (the `self.done + 1`-th) has `done` of its `weeks` behind it."""
        now = time.monotonic()
        if self.live:
            if now - self._said >= REDRAW_SECONDS or done == weeks:
                self._said = now
                if self._bar is not None:
                    self._bar.set_postfix_str(f"week {done}/{weeks}")
        elif now - self._said >= PIPED_WEEK_SECONDS and done < weeks:
            self._line(f"replication {self.done + 1}/{self.total}: week {done}/{weeks}")

    def __enter__(self) -> RunProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the bar and its line, so that what follows (the headline, an error) starts a line of its own."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _draw(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            size = _untold_size(self.stream)  # None: the terminal's own, followed as it is resized
            ncols, nrows = size if size else (None, None)
            self._bar = tqdm(total=total, desc=self.label, unit="replication", file=self.stream, leave=True,
                             ncols=ncols, nrows=nrows, dynamic_ncols=size is None)  # fmt: skip
        self._bar.update(done - self._bar.n)
        if done == total:
            self.close()

    def _line(self, text: str) -> None:
        self._said = time.monotonic()
        print(f"{self.label}: {text} ({self._said - self.started:.1f} s)", file=self.stream, flush=True)


def _untold_size(stream: TextIO) -> tuple[int, int] | None:
    """Columns and lines to draw in where the terminal tells no size (a pseudo-terminal of 0 × 0,
    where tqdm would draw nothing): $COLUMNS and $LINES, or 80 × 24. None where it tells one."""
    try:
        if os.get_terminal_size(stream.fileno()).columns > 0:
            return None
    except (AttributeError, OSError, ValueError):  # not a terminal's file (a test's stream)
        pass
    columns, lines = shutil.get_terminal_size()
    return columns, lines


def is_terminal(stream: TextIO) -> bool:
    """A person watching: a terminal, and not CI (whose logs are files even behind a pseudo-terminal)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and not os.environ.get("CI")


__all__ = ["PIPED_LINES", "PIPED_WEEK_SECONDS", "RunProgress", "is_terminal"]
