"""One BLAS thread while the fit's optimizer runs.

SciPy's L-BFGS-B (C since SciPy 1.15) calls BLAS and LAPACK on vectors of a few numbers at every
step. With OpenBLAS's threads on (its default: one per core) each of those calls wakes and waits
for the other threads, which costs far more than the arithmetic: on 2 busy cores a fit's refits
ran 4–8 times slower than with one thread (scipy/scipy#22438, #23191; OpenMathLib/OpenBLAS#5383).
The fit has nothing for BLAS to share out, so it asks SciPy's OpenBLAS for one thread while it
optimizes and gives the count back afterwards. The answers do not change: one-thread and many-thread
BLAS do the same arithmetic on vectors this short.

The wheels of SciPy for Linux ship their OpenBLAS in `scipy.libs`; elsewhere (another BLAS, another
platform) nothing is found and this does nothing. `threadpoolctl` does the same for any BLAS but is
not among channelsim's dependencies.
"""

from __future__ import annotations

import ctypes
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_lock = threading.Lock()
_depth = 0  # fits inside one another or in threads: the first in sets one thread, the last out restores
_before = 0


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """SciPy's OpenBLAS on one thread inside the block (nested and threaded blocks share one setting)."""
    global _depth, _before
    calls = _openblas()
    if calls is None:
        yield
        return
    get, put = calls
    with _lock:
        if _depth == 0:
            _before = get()
            put(1)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                put(_before)


@functools.cache
def _openblas() -> tuple[Callable[[], int], Callable[[int], None]] | None:
    """SciPy's OpenBLAS thread count getter and setter, or None when SciPy has no OpenBLAS of its own."""
    import scipy.linalg  # loads SciPy's BLAS, so the library opened below is the one in use

    folder = Path(scipy.linalg.__file__).resolve().parents[2] / "scipy.libs"
    for path in sorted(folder.glob("libscipy_openblas*.so*")):
        try:
            library = ctypes.CDLL(str(path))
            get, put = library.scipy_openblas_get_num_threads, library.scipy_openblas_set_num_threads
        except (OSError, AttributeError):
            continue
        get.restype, get.argtypes = ctypes.c_int, []
        put.restype, put.argtypes = None, [ctypes.c_int]
        return get, put
    return None
