"""Tag a large batch with several processes: the same three phases as the serial path.

Each worker scans its slice of the records, hashes their TF-IDF content words and sends back only
the document frequencies; the parent adds them up into IDF weights over the whole batch (so
results do not depend on the number of workers) and sends them to every worker; the workers score
their slice against the topic prototypes and turn evidence into verdicts. So no phase leaves the
workers waiting on one process. Workers are forked, so the tagger and the records reach them
without being copied through a pipe. Where fork is unavailable, Tagger tags in one process.
"""

from __future__ import annotations

import gc
import multiprocessing
import traceback
from collections.abc import Callable
from itertools import pairwise
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from papertriage.libindex import PostingsPart
    from papertriage.models import Record
    from papertriage.tag import Tagger, Verdict


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
        try:
            for lo, hi in pairwise(bounds):
                parent_end, child_end = context.Pipe()
                process = context.Process(
                    target=_work, args=(tagger, records, lo, hi, child_end, index), daemon=True
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


def _work(
    tagger: Tagger, records: list[Record], lo: int, hi: int, pipe: Connection, index: bool
) -> None:
    gc.disable()  # a short-lived worker: collecting would only copy the parent's pages
    try:
        tagger.token_sink = [] if index else None
        scanned = [tagger.scan(record) for record in records[lo:hi]]
        contents = [content for _, content in scanned]
        counts, frequencies = tagger.count_terms(contents)
        pipe.send(("ok", (len(contents), frequencies)))
        part = None
        if index:  # while the parent adds up the frequencies
            from papertriage.libindex import PostingsPart

            part = PostingsPart.from_tokens(tagger.token_sink)  # type: ignore[arg-type]
            tagger.token_sink = None
        similarity = tagger.slice_similarities(contents, counts, pipe.recv())
        verdicts = tagger.verdicts([evidence for evidence, _ in scanned], similarity)
        pipe.send(("ok", (verdicts, part)))
    except BaseException:
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()
