"""Reading a file a user names (a scenario, a plan): a regular file, and at most MAX_INPUT_BYTES.

A device (`/dev/zero`), a FIFO or a socket is refused before it is opened (reading one may
never end), and a file is read only up to the limit, so nothing a user points at can fill
the memory or hang the command.
"""

from __future__ import annotations

import json
import math
import os
import stat
from typing import Any

#: The largest scenario or plan file read (10 MB; the gallery's largest scenario is 15 kB).
MAX_INPUT_BYTES = 10 * 1024 * 1024


class InputFileError(Exception):
    """Why a file cannot be read (`reason` is said after the file's name)."""

    def __init__(self, reason: str, missing: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.missing = missing


def read_limited(path: str | os.PathLike[str], limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; else `InputFileError` saying why."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputFileError("file not found", missing=True) from None
    except NotADirectoryError:
        raise InputFileError("file not found (a part of the path is a file, not a folder)", True) from None
    except ValueError:  # os.stat refuses a name with a NUL character
        raise InputFileError("the file name contains a NUL character") from None
    except OSError as err:
        raise InputFileError(f"cannot be read: {err.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError("is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError("is not a regular file (a device, a FIFO or a socket?)")
    if info.st_size > limit:
        raise InputFileError(f"file too large ({_size(info.st_size)}; at most {_size(limit)} is read)")
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise InputFileError(f"cannot be read: {err.strerror}") from None
    if len(data) > limit:  # it grew since stat
        raise InputFileError(f"file too large (more than {_size(limit)})")
    return data


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB" if count >= 1024 * 1024 else f"{count:,} bytes"


def read_json(path: str | os.PathLike[str]) -> Any:
    """A JSON file read as `read_limited` reads it; numbers finite (no NaN, Infinity, 1e309)."""
    raw = read_limited(path)
    try:
        return json.loads(raw.decode("utf-8-sig"), parse_constant=_no_constant, parse_float=_finite)
    except UnicodeDecodeError:
        raise InputFileError("is not UTF-8 text (a binary file?)") from None
    except RecursionError:
        raise InputFileError("is nested too deeply to read") from None
    except json.JSONDecodeError as err:
        raise InputFileError(f"not valid JSON ({err})") from None


def _no_constant(name: str) -> Any:
    raise InputFileError(f"not valid JSON for channelsim ({name} is not a number)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise InputFileError(f"not valid JSON for channelsim ({text} is too large a number)")
    return value
