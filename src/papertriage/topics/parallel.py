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
from collections.abc import Callable
from itertools import pairwise
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from papertriage.library.index import PostingsPart
    from papertriage.models import Record
    from papertriage.topics.tagger import Tagger, Verdict


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class ParallelTagging:
    """Workers tagging one batch, started on construction; `result()` collects their work, so
    the parent can do something else meanwhile (the library stores the batch before)."""

    def __init__(
        self,
        tagger: Tagger,
        records: list[Record],
        workers: int,
        progress: Callable[[int], None] | None = None,
        *,
        index: bool = False,
    ) -> None:
        self.tagger, self.records, self.progress = tagger, records, progress
        if tagger._use_tfidf:
            tagger.similarities(["warm up"])  # import scikit-learn once, before forking
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
                    args=(tagger, records, lo, hi, child_end, index, parent, inherited),
                    daemon=True,
                )
                process.start()
                child_end.close()
                self.pipes.append(parent_end)
                self.processes.append(process)
        except BaseException:
            self.close()
            raise

    def result(self) -> tuple[list[Verdict], list[PostingsPart]]:
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
        verdicts: list[Verdict] = []
        parts: list[PostingsPart] = []
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
    tagger: Tagger,
    records: list[Record],
    lo: int,
    hi: int,
    pipe: Connection,
    index: bool,
    parent: int,
    inherited: list[Connection],
) -> None:
    _bind_to_parent(parent, inherited)
    gc.disable()  # a short-lived worker: collecting would only copy the parent's pages
    try:
        tagger.token_sink = [] if index else None
        scanned = [tagger.scan(record) for record in records[lo:hi]]
        contents = [content for _, content in scanned]
        counts, frequencies = tagger.count_terms(contents)
        pipe.send(("ok", (len(contents), frequencies)))
        part = None
        if index:  # while the parent adds up the frequencies
            from papertriage.library.index import PostingsPart

            part = PostingsPart.from_tokens(tagger.token_sink)  # type: ignore[arg-type]
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
