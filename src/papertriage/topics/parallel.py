"""Tag a large batch with several processes: the same three phases as the serial path.

Each worker scans its slice of the records, hashes their TF-IDF content words and sends back only
the document frequencies; the parent adds them up into IDF weights over the whole batch (so
results do not depend on the number of workers) and sends them to every worker; the workers score
their slice against the topic prototypes and turn evidence into verdicts. So no phase leaves the
workers waiting on one process. Workers are forked, so the tagger and the records reach them
without being copied through a pipe. Where fork is unavailable, Tagger tags in one process.

Workers never outlive the parent, however it ends. On Linux the kernel kills a worker when its
parent dies (PR_SET_PDEATHSIG), even by SIGKILL. Everywhere, a worker holds only its own end of
its pipe: fork also hands it the parent's ends of its own and its elder siblings' pipes, and
while any process holds them, a dead parent's pipes never report end-of-file or a broken pipe,
and a worker blocked on sending waits forever. Ctrl-C is the parent's to handle (it stops the
workers); workers ignore it.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from itertools import pairwise
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from papertriage.models import Record


class Phases(Protocol):
    """What the workers need of a tagger (papertriage.topics.tagger.Tagger): its three phases,
    and a place for the tokens it scans."""

    use_tfidf: bool
    token_sink: list[tuple[list[str], list[str]]] | None

    def scan(self, record: Record) -> tuple[Any, str]: ...
    def similarities(self, contents: list[str]) -> Any: ...
    def arithmetic(self, documents: int) -> Any: ...
    def count_terms(self, contents: list[str], batch: int) -> tuple[Any, Any]: ...
    def weigh_terms(self, frequencies: list[Any], documents: int) -> Any: ...
    def slice_similarities(self, contents: list[str], counts: Any, weights: Any) -> Any: ...
    def verdicts(self, evidences: list[Any], similarity: Any) -> list[Any]: ...


class Postings(Protocol):
    """Builds a batch's search postings from the tokens the tagger scanned, given by the caller
    (the library gives papertriage.library.index.PostingsPart): tagging needs no search index."""

    def from_tokens(self, fields: Sequence[tuple[list[str], list[str]]]) -> Any:
        """Postings from each record's (title tokens, abstract tokens)."""
        ...

    def concat(self, parts: Sequence[Any]) -> Any:
        """The postings of consecutive slices of a batch as those of the whole batch."""
        ...


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class ParallelTagging:
    """Workers tagging one batch, started on construction; `result()` collects their work, so
    the parent can do something else meanwhile (the library stores the batch before)."""

    def __init__(
        self,
        tagger: Phases,
        records: list[Record],
        workers: int,
        progress: Callable[[int], None] | None = None,
        *,
        postings: Postings | None = None,
    ) -> None:
        self.tagger, self.records, self.progress = tagger, records, progress
        if tagger.use_tfidf:
            # Import the batch's arithmetic (scikit-learn for a large one) once, before forking.
            tagger.arithmetic(len(records)).prepare()
            tagger.scan(records[0])
        # Objects alive now are moved out of the garbage collector's sight: collections in the
        # parent stop walking them, and the workers, which never collect (see _work), do not
        # touch and so copy their pages.
        gc.freeze()
        context = multiprocessing.get_context("fork")
        bounds = [len(records) * i // workers for i in range(workers + 1)]
        self.pipes: list[Connection] = []
        self.processes: list[Any] = []
        self.finished = False
        parent = os.getpid()
        try:
            for lo, hi in pairwise(bounds):
                parent_end, child_end = context.Pipe()
                inherited = [*self.pipes, parent_end]  # the parent's ends, for the child to close
                process = context.Process(
                    target=_work,
                    args=(tagger, records, lo, hi, child_end, postings, parent, inherited),
                    daemon=True,
                )
                process.start()
                child_end.close()
                self.pipes.append(parent_end)
                self.processes.append(process)
        except BaseException:
            self.close()
            raise

    def result(self) -> tuple[list[Any], list[Any]]:
        """Every record's verdict, and each slice's postings (none without `postings`)."""
        frequencies, scanned = [], 0
        for pipe in self.pipes:
            count, slice_frequencies = _receive(pipe)
            frequencies.append(slice_frequencies)
            scanned += count
            if self.progress is not None:  # a worker's slice is scanned
                self.progress(scanned)
        weights = self.tagger.weigh_terms(frequencies, len(self.records))
        for pipe in self.pipes:
            pipe.send(weights)
        verdicts: list[Any] = []
        parts: list[Any] = []
        for pipe in self.pipes:
            slice_verdicts, part = _receive(pipe)
            verdicts.extend(slice_verdicts)
            if part is not None:
                parts.append(part)
        self.finished = True
        return verdicts, parts

    def close(self) -> None:
        """Wait for finished workers; stop unfinished ones (a job abandoned on an error)."""
        for process in self.processes:
            if self.finished:
                process.join(timeout=5)
            if process.is_alive():
                process.kill()
            process.join()
        for pipe in self.pipes:
            pipe.close()


def _receive(pipe: Connection) -> Any:
    kind, payload = pipe.recv()
    if kind == "error":
        raise RuntimeError(f"a tagging worker failed:\n{payload}")
    return payload


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _bind_to_parent(parent: int, inherited: list[Connection]) -> None:
    """In a new worker: die with the parent; ignore Ctrl-C (the parent stops the workers) and
    let SIGTERM kill at once (not raise the parent's Terminated, see cli.app._run)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers on Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            prctl = ctypes.CDLL(None, use_errno=True).prctl
            prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl: the closed pipes below still end the worker when it next uses one
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    for end in inherited:
        end.close()


def _work(
    tagger: Phases,
    records: list[Record],
    lo: int,
    hi: int,
    pipe: Connection,
    postings: Postings | None,
    parent: int,
    inherited: list[Connection],
) -> None:
    _bind_to_parent(parent, inherited)
    gc.disable()  # a short-lived worker: collecting would only copy the parent's pages
    try:
        tagger.token_sink = [] if postings is not None else None
        scanned = [tagger.scan(record) for record in records[lo:hi]]
        contents = [content for _, content in scanned]
        counts, frequencies = tagger.count_terms(contents, len(records))
        pipe.send(("ok", (len(contents), frequencies)))
        part = None
        if postings is not None:  # while the parent adds up the frequencies
            part = postings.from_tokens(tagger.token_sink)  # type: ignore[arg-type]
            tagger.token_sink = None
        similarity = tagger.slice_similarities(contents, counts, pipe.recv())
        verdicts = tagger.verdicts([evidence for evidence, _ in scanned], similarity)
        pipe.send(("ok", (verdicts, part)))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the parent is gone: nobody to tell
    except BaseException:
        with contextlib.suppress(OSError):
            pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()
