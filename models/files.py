"""Result files written atomically: a reader never sees a half-written file.

Each file is written to a temporary file in the same directory and renamed
over the old one, so an interrupted run leaves the previous version intact.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

__all__ = ["write_atomic", "write_csv"]


def write_atomic(path, write: Callable[[object], None], *, binary: bool) -> None:
    """Write a file through a temporary file in the same directory, then rename it.

    Parameters
    ----------
    path : str or os.PathLike
        Final file name, in a directory that exists.
    write : callable
        Called with the open temporary file, to write the whole content.
    binary : bool
        Open the temporary file in binary mode (images) or text mode (tables).
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        mode = "wb" if binary else "w"
        options = {} if binary else {"newline": "", "encoding": "utf-8"}
        with os.fdopen(handle, mode, **options) as file:
            write(file)
        # mkstemp creates the file readable by the owner only, so give it the
        # permissions that open() would give a new file under the umask.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_csv(frame: pd.DataFrame, path) -> None:
    """Write a DataFrame as CSV without its index, atomically.

    Floats are written with 17 significant digits, so they read back exactly.
    """
    write_atomic(
        path,
        lambda file: frame.to_csv(file, index=False, float_format="%.17g"),
        binary=False,
    )
