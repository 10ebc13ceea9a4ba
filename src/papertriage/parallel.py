"""Tag a large batch with several processes: the same three phases as the serial path.

Each worker scans its slice of the records and sends back their TF-IDF content strings; the
parent fits TF-IDF over the whole batch (so results do not depend on the number of workers) and
sends each worker its rows of similarities; the workers turn evidence into verdicts. Workers are
forked, so the tagger and the records reach them without being copied through a pipe. Where fork
is unavailable the caller's serial path is used instead.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from itertools import pairwise
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from papertriage.models import Record
    from papertriage.tag import Tagger, Verdict


def tag_in_parallel(
    tagger: Tagger,
    records: list[Record],
    workers: int,
    progress: Callable[[int], None] | None = None,
) -> list[Verdict]:
    if "fork" not in multiprocessing.get_all_start_methods():
        return tagger._tag_serially(records, progress)
    if tagger._use_tfidf:
        tagger.similarities(["warm up"])  # import scikit-learn once, before forking
        tagger.scan(records[0])
    context = multiprocessing.get_context("fork")
    bounds = [len(records) * i // workers for i in range(workers + 1)]
    pipes: list[Connection] = []
    processes = []
    try:
        for lo, hi in pairwise(bounds):
            parent_end, child_end = context.Pipe()
            process = context.Process(
                target=_work, args=(tagger, records, lo, hi, child_end), daemon=True
            )
            process.start()
            child_end.close()
            pipes.append(parent_end)
            processes.append(process)
        contents: list[str] = []
        for pipe in pipes:
            contents.extend(_receive(pipe))
            if progress is not None:  # a worker's slice is scanned
                progress(len(contents))
        similarity = tagger.similarities(contents)
        for pipe, (lo, hi) in zip(pipes, pairwise(bounds), strict=True):
            pipe.send(None if similarity is None else similarity[lo:hi])
        verdicts: list[Verdict] = []
        for pipe in pipes:
            verdicts.extend(_receive(pipe))
        return verdicts
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()


def _receive(pipe: Connection) -> Any:
    kind, payload = pipe.recv()
    if kind == "error":
        raise RuntimeError(f"a tagging worker failed:\n{payload}")
    return payload


def _work(tagger: Tagger, records: list[Record], lo: int, hi: int, pipe: Connection) -> None:
    try:
        scanned = [tagger.scan(record) for record in records[lo:hi]]
        pipe.send(("ok", [content for _, content in scanned]))
        similarity = pipe.recv()
        pipe.send(("ok", tagger.verdicts([evidence for evidence, _ in scanned], similarity)))
    except BaseException:
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()
