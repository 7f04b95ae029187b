"""Writing output files atomically: one file (a temporary beside it, then a rename) or a run's
whole set of files (a staging folder beside `--out`, then swapped in): `output_set`."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from channelsim.errors import UsageError

_UMASK = os.umask(0)
os.umask(_UMASK)  # read once: mkstemp makes 0600 files, outputs should get the usual 0666 & ~umask


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` so that `path` holds either the old content or all of the new."""
    target = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(target))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=os.path.basename(target))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


# -- a run's files as one set ---------------------------------------------------------------
# A run writes its files into a hidden staging folder beside `--out` and swaps it in by two
# renames at the end, so a reader sees the old run's files or the new run's, never a mix, and
# a run that fails (exception, Ctrl-C) leaves the old set as it was. A run killed outright
# (SIGKILL, power cut) leaves its hidden folder behind; the next run on the same folder removes
# it, or puts the old set back if the kill came between the two renames.

RESULT_SUFFIXES = (".json", ".csv", ".png", ".html")  # what a run writes at the top of its folder
_TEMPORARY = ".tmp-"  # write_bytes_atomic's temporaries (a file killed half-written)
_STAGING, _ASIDE = "staging", "old"  # .NAME.staging-PID-XXXX/NAME, .NAME.old-PID-XXXX/NAME


@dataclass(frozen=True)
class OutputSet:
    """Where a run writes (`staging`) and where its files will be once it has finished (`folder`)."""

    folder: str
    staging: str

    def final(self, paths: Iterable[str | os.PathLike[str]]) -> list[str]:
        """The paths written under `staging` as they will be named under `folder`."""
        return [os.path.join(self.folder, os.path.relpath(p, self.staging)) for p in paths]


@contextmanager
def output_set(folder: str | os.PathLike[str], keep: bool = False) -> Iterator[OutputSet]:
    """Write a run's files as one set: everything goes into `.staging`, swapped in at the end.

    The folder's result files (RESULT_SUFFIXES at its top) are the run's and are replaced as a
    whole; what else is there (sub-folders such as another run's `--out X/plan`, hidden files)
    is kept. `keep=True` starts from the current result files (for rebuilding a report). A folder
    with files that are not results (README.md, a scenario) is refused unless `keep`. The
    writers (`SimResult.write`, `write_report`, ...) write into whatever folder they are given:
    the command that calls them holds the set.
    """
    target = check_output_folder(folder, keep)
    parent, name = os.path.split(target)
    try:
        os.makedirs(parent, exist_ok=True)
        _recover(parent, name)
        # the set is built in root/NAME: its folder has the final name (a report's title may use it)
        root = tempfile.mkdtemp(dir=parent, prefix=f".{name}.{_STAGING}-{os.getpid()}-")
    except OSError as err:
        raise UsageError(f"{os.fspath(folder)}: cannot write there ({err.strerror or err})") from None
    try:
        staging = os.path.join(root, name)
        os.mkdir(staging)  # the usual 0777 & ~umask, unlike mkdtemp's 0700
        if keep:
            _link_results(target, staging)
        yield OutputSet(os.fspath(folder), staging)
        try:
            _swap(target, staging)
        except OSError as err:  # the folder became read-only, or its file system full, during the run
            raise UsageError(
                f"{os.fspath(folder)}: cannot put the results there ({err.strerror or err})"
            ) from None
    finally:
        shutil.rmtree(root, ignore_errors=True)


def check_output_folder(folder: str | os.PathLike[str], keep: bool = False) -> str:
    """Refuse, before any work, an output folder that `output_set` could not fill; its real path.

    Called by every command before it simulates or optimizes, so a wrong `--out` (a file, a
    folder inside a file, a read-only place) costs nothing. What is checked: the folder is not
    a file nor the current folder, holds only results (unless `keep`), and a folder can be
    made beside it (a probe, removed at once).
    """
    shown = os.fspath(folder)
    if "\0" in shown:
        raise UsageError(f"{shown!r}: a folder name cannot contain a NUL character")
    target = os.path.realpath(folder)
    _check_target(target, shown, keep)
    parent = os.path.dirname(target)
    existing = parent
    while not os.path.lexists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise UsageError(f"{shown}: {existing} is a file, so no folder can be made inside it")
    try:
        probe = tempfile.mkdtemp(dir=existing, prefix=".channelsim-probe-")
        os.rmdir(probe)
    except OSError as err:
        raise UsageError(f"{shown}: cannot write there ({err.strerror or err}: {existing})") from None
    return target


def _check_target(target: str, shown: str, keep: bool) -> None:
    """Refuse a folder the swap would damage: a file, the current folder, or not a results folder."""
    if os.path.lexists(target) and not os.path.isdir(target):
        raise UsageError(f"{shown}: is a file, not a folder")
    cwd = os.path.realpath(os.getcwd())
    if cwd == target or cwd.startswith(target.rstrip(os.sep) + os.sep):
        raise UsageError(f"{shown}: is or holds the current folder; run channelsim from outside it")
    if keep or not os.path.isdir(target):
        return
    foreign = [e for e in sorted(os.listdir(target)) if _foreign(target, e)]
    if foreign:
        listed = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise UsageError(
            f"{shown}: holds files that are not results ({listed}); give a new or empty folder for them"
        )


def _is_result(folder: str, entry: str) -> bool:
    """A file of the run that wrote `folder` (or a temporary it left): replaced by the next run."""
    if entry.startswith(_TEMPORARY):
        return True
    path = os.path.join(folder, entry)
    return not entry.startswith(".") and os.path.isfile(path) and entry.lower().endswith(RESULT_SUFFIXES)


def _foreign(folder: str, entry: str) -> bool:
    """A visible file that no run writes: its folder is not a results folder."""
    path = os.path.join(folder, entry)
    return not entry.startswith(".") and os.path.isfile(path) and not _is_result(folder, entry)


def _link_results(target: str, staging: str) -> None:
    """Start the set from the current result files (hard links: the writers replace, never edit)."""
    if not os.path.isdir(target):
        return
    for entry in os.listdir(target):
        if _is_result(target, entry) and not entry.startswith(_TEMPORARY):
            source, copy = os.path.join(target, entry), os.path.join(staging, entry)
            try:
                os.link(source, copy)
            except OSError:  # a file system without hard links
                shutil.copy2(source, copy)


def _swap(target: str, staging: str) -> None:
    """Put the finished set at `target`: the old folder aside, the new one in, the rest carried over."""
    parent, name = os.path.split(target)
    if not os.path.lexists(target):
        os.rename(staging, target)
    else:
        aside_root = tempfile.mkdtemp(dir=parent, prefix=f".{name}.{_ASIDE}-{os.getpid()}-")
        aside = os.path.join(aside_root, name)
        os.rename(target, aside)
        os.rename(staging, target)  # from here on the new set is the result
        _carry_over(aside, target)
        shutil.rmtree(aside_root)
    _sync(parent)


def _carry_over(old: str, new: str) -> None:
    """Move what is not the old run's result files (sub-folders, hidden files) into the new set."""
    for entry in sorted(os.listdir(old)):
        if not _is_result(old, entry) and not os.path.lexists(os.path.join(new, entry)):
            os.rename(os.path.join(old, entry), os.path.join(new, entry))


def _recover(parent: str, name: str) -> None:
    """Tidy what killed runs on `parent/name` left: remove their staging, finish or undo a swap."""
    left = re.compile(rf"\.{re.escape(name)}\.({_STAGING}|{_ASIDE})-(\d+)-.+")
    target = os.path.join(parent, name)
    for entry in sorted(os.listdir(parent)):
        match = left.fullmatch(entry)
        if match is None or _alive(int(match[2])):
            continue  # not ours, or a run still at work
        root = os.path.join(parent, entry)
        old = os.path.join(root, name)
        if match[1] == _ASIDE and os.path.isdir(old):
            if os.path.lexists(target):  # killed after the swap: the new set stands, keep its extras
                _carry_over(old, target)
            else:  # killed between the two renames: the old set is the last complete one
                os.rename(old, target)
        shutil.rmtree(root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _sync(folder: str) -> None:
    """Make the renames durable (a crash after the run must not bring the old names back)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:  # some file systems cannot sync a folder
        pass
    finally:
        os.close(handle)
