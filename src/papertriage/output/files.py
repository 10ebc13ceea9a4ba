"""Write output files so that nothing is ever half-written or silently replaced.

Data goes to a temporary file beside the target, which takes the target's name only once complete.
Without `force`, an existing file is never replaced, even if it appears while we write. A write
that fails (a full disk, an I/O error), wherever it fails (write, flush, fsync, close), leaves no
temporary file behind. A device or a named pipe (`-o /dev/stdout`, a FIFO) is written in place:
it cannot be replaced, and with `force` a device node must not become a regular file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from papertriage.errors import OutputError


def check_writable(path: str, *, force: bool) -> None:
    """Fail early, before any work, when `path` cannot or must not be written."""
    if os.path.isdir(path):
        raise OutputError(f"{path}: is a directory", hint="give a file name for the output")
    if _is_stream(path):
        return  # written in place, nothing replaced
    if os.path.exists(path) and not force:
        raise OutputError(f"{path}: already exists", hint="use --force to replace it")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise OutputError(f"{path}: directory {parent} does not exist")


def write_atomically(path: str, chunks: Iterable[str], *, force: bool) -> None:
    check_writable(path, force=force)
    if _is_stream(path):
        _write_in_place(path, chunks)
        return
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


def keep_cache_file(path: Path, data: bytes | Iterable[str]) -> bool:
    """A file of the cache written whole or not at all (bytes, or text in chunks, as UTF-8),
    its directory made if need be; False, and nothing left behind, when it cannot be written.
    A cache is papertriage's own: nothing to ask before replacing, no error to report."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = tempfile.NamedTemporaryFile(
            "wb", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
        )
    except OSError:
        return False
    try:
        with handle:
            if isinstance(data, bytes):
                handle.write(data)
            else:
                for chunk in data:
                    handle.write(chunk.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())  # a torn entry would read as a shorter listing
        os.replace(handle.name, path)
    except OSError:
        _remove(handle.name)
        return False
    except BaseException:
        _remove(handle.name)
        raise
    return True


def _is_stream(path: str) -> bool:
    """A character device or a named pipe (or socket): what exists but is no regular file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _write_in_place(path: str, chunks: Iterable[str]) -> None:
    try:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            for chunk in chunks:
                handle.write(chunk)
    except BrokenPipeError:
        raise  # a reader that went away (`-o /dev/stdout | head`) is no error, as on stdout
    except OSError as error:
        raise OutputError(f"{path}: cannot write: {error.strerror or error}") from None


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
