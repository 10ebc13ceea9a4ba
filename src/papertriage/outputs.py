"""Write output files so that nothing is ever half-written or silently replaced.

Data goes to a temporary file beside the target, which takes the target's name only once complete.
Without `force`, an existing file is never replaced, even if it appears while we write.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable

from papertriage.errors import OutputError


def check_writable(path: str, *, force: bool) -> None:
    """Fail early, before any work, when `path` cannot or must not be written."""
    if os.path.isdir(path):
        raise OutputError(f"{path}: is a directory", hint="give a file name for the output")
    if os.path.exists(path) and not force:
        raise OutputError(f"{path}: already exists", hint="use --force to replace it")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise OutputError(f"{path}: directory {parent} does not exist")


def write_atomically(path: str, chunks: Iterable[str], *, force: bool) -> None:
    check_writable(path, force=force)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle = tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            newline="",
            dir=directory,
            prefix=f".{os.path.basename(path)}.",
            suffix=".tmp",
            delete=False,
        )
    except OSError as error:
        raise OutputError(f"{path}: cannot write: {error.strerror or error}") from None
    try:
        with handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        # A temporary file is private (0600); the output gets what a new file would get (or the
        # mode of the file it replaces), so others can read a reading list as they could before.
        os.chmod(handle.name, _mode_for(path))
        if force:
            os.replace(handle.name, path)
        else:
            os.link(handle.name, path)  # fails if the target appeared meanwhile: no clobbering
            os.unlink(handle.name)
    except FileExistsError:
        _remove(handle.name)
        raise OutputError(f"{path}: already exists", hint="use --force to replace it") from None
    except OSError as error:
        _remove(handle.name)
        raise OutputError(f"{path}: cannot write: {error.strerror or error}") from None
    except BaseException:
        _remove(handle.name)
        raise


def _mode_for(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
