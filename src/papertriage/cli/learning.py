"""Learned triage on the command line: `rank --learned`, `screen`, and `eval --simulate`.

Thin: the model is papertriage.learn.model, the screening loop papertriage.learn.screening, the simulation
papertriage.learn.simulate; this module turns options into their calls and results into output.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from papertriage.cli.shell import (
    DbOpt,
    Env,
    FilesArg,
    FromOpt,
    InputFormat,
    Messages,
    QuietOpt,
    TopicsOpt,
    check_output_early,
    command,
    emit_objects,
    load_topics,
    show,
)
from papertriage.cli.sources import (
    open_library,
    read_inputs,
)
from papertriage.errors import UsageError
from papertriage.models import Record

if TYPE_CHECKING:
    from papertriage.learn.model import LearnedRanking
    from papertriage.learn.screening import Screening
    from papertriage.library.store import Library


def judged_docs(library: Library) -> set[int]:
    """The library's papers (doc numbers) a reading state makes liked or skipped: starred, or
    of a status learn.model.judgement reads."""
    from papertriage.learn.model import JUDGING_STATUSES

    return {
        *library.docs_in_state([], True),
        *library.docs_in_state(JUDGING_STATUSES, False),
    }


def learned_ranking(
    records: list[Record], limit: int, explain: bool, env: Env, db: str | None, messages: Messages
) -> LearnedRanking:
    """`records` ranked by a model of the library's liked and skipped papers."""
    from papertriage.learn import model as learn

    library = open_library(env, db)
    # Only the papers a reading state can make liked or skipped are read, not the library.
    judged = judged_docs(library)
    positive, negative = learn.split_by_state(
        library.records_in_order(judged),
        library.states(),
    )
    ranked = learn.rank_learned(records, positive, negative, limit=limit)
    if ranked.ranker.kind == learn.SIMILARITY:
        messages.info(
            f"no skipped papers to learn from yet: ranking by similarity to the "
            f"{len(positive)} liked one(s) (mark papers you do not want with --status skip)"
        )
    else:
        messages.info(f"learned from {len(positive)} liked and {len(negative)} skipped papers")
    if explain:
        favoured, against = ranked.ranker.top_words(10)
        messages.info("words for: " + (", ".join(f"{w} {v:+.2f}" for w, v in favoured) or "none"))
        if ranked.ranker.kind == learn.MODEL:
            messages.info(
                "words against: " + (", ".join(f"{w} {v:+.2f}" for w, v in against) or "none")
            )
    return ranked


def run_simulation(
    labels: str,
    files: list[str] | None,
    relevant: str | None,
    prior: int,
    prior_irrelevant: int,
    seeds: int,
    strategy: str,
    plot: str | None,
    force: bool,
    input_format: InputFormat,
    fmt: str,
    env: Env,
) -> None:
    """`eval --simulate`: the simulation table (or JSON), the text curve, and the SVG plot."""
    from papertriage.learn import simulate

    messages = Messages(env)
    if plot:
        if not plot.lower().endswith(".svg"):
            raise UsageError(f"{plot}: --plot writes SVG", hint="name the file .svg")
        check_output_early(plot, force)
    truth = simulate.load_relevance(labels, relevant)
    records = read_inputs(files, input_format, False, env, messages)
    labelled = simulate.match_labels(records, truth)
    if labelled.unlabelled:
        messages.warning(f"{labelled.unlabelled} papers of the listing have no label; left out")
    if labelled.unmatched:
        messages.warning(f"{labelled.unmatched} labelled papers are not in the listing")
    result = simulate.simulate(
        labelled, prior=prior, prior_irrelevant=prior_irrelevant, seeds=seeds, strategy=strategy
    )
    what = f"relevant = {relevant}" if relevant else "relevant = true"
    title = (
        f"{what}: {result.relevant} of {result.papers} papers after a prior of {prior} + "
        f"{prior_irrelevant}; mean of {seeds} seed(s), strategy {strategy}"
    )
    if plot:
        from papertriage.output.files import write_atomically

        write_atomically(plot, [simulate.curve_svg(result, title)], force=force)
        messages.info(f"{plot}: recall curve written")
    if fmt == "table":
        from papertriage.cli.terminal import simulation_view

        show(simulation_view(result, title))
    else:
        emit_objects(
            [result.to_dict()], "json" if fmt != "jsonl" else "jsonl", None, False, single=True
        )


class Strategy(StrEnum):
    relevant = "relevant"
    uncertainty = "uncertainty"


@command()
def screen(
    files: FilesArg = None,
    strategy: Annotated[
        Strategy,
        typer.Option(
            "--strategy",
            help="relevant: the paper most likely relevant next; uncertainty: the one the "
            "model is least sure about.",
        ),
    ] = Strategy.relevant,
    keys: Annotated[
        str | None,
        typer.Option(
            "--keys",
            show_default=False,
            help="Answer with these keys instead of the keyboard (for scripts and tests); "
            "when they run out the session stops, as with q.",
        ),
    ] = None,
    topics: TopicsOpt = None,
    input_format: FromOpt = InputFormat.auto,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Screen papers one at a time: one key per answer, re-ranked after each.

    y relevant (starred), n skip (status skip), l later, o open the link, u undo, q quit.
    Every answer is saved at once; running screen again resumes. A listing given is added to
    the library first; without one, the library's undecided papers are screened.

    Example: papertriage screen examples/hf-papers-listing.txt
    """
    from rich.console import Console

    from papertriage.cli.terminal import screen_card
    from papertriage.learn.screening import screen_loop

    env = Env.detect(quiet=quiet)
    messages = Messages(env)
    if keys is None and not (env.stdin_is_tty and env.stdout_is_tty):
        raise UsageError(
            "screen is interactive and needs a terminal",
            hint="run it in a terminal, or give the answers with --keys",
        )
    library = open_library(env, db)
    taxonomy = load_topics(topics, env)
    scope_ids = None
    if files:
        records = read_inputs(files, input_format, False, env, messages, taxonomy)
        added = library.add(records, taxonomy_hash=taxonomy.content_hash())
        if added.new:
            messages.info(f"{library.path}: added {added.new} new papers to screen")
        scope_ids = set(added.stored_ids.values())
    session = _screening(library, scope_ids, strategy.value, messages)
    reader = _key_reader(keys)
    console = Console(highlight=False)
    outcome = screen_loop(session, reader, console, _open_link, screen_card)
    progress = outcome.progress
    messages.info(
        f"screened {progress.screened} of {progress.total} papers, {progress.relevant} "
        f"relevant"
        + (f", {progress.later} left for later" if progress.later else "")
        + ("" if outcome.finished else "; run screen again to go on")
    )


def _screening(
    library: Library, scope_ids: set[str] | None, strategy: str, messages: Messages
) -> Screening:
    from papertriage.learn import model as learn
    from papertriage.learn.screening import Screening

    everything = library.records()
    if not everything:
        raise UsageError(
            "the library is empty: nothing to screen",
            hint="name a listing file, or add one with `papertriage add FILE`",
        )
    states = library.states()
    answers = library.screen_answers()
    liked, skipped = learn.split_by_state(everything, states)
    scope = [r for r in everything if scope_ids is None or r.id in scope_ids]
    messages.info(f"fitting the features of {len(everything)} papers")
    return Screening(
        scope,
        learn.Features(everything),
        {r.id for r in liked},
        {r.id for r in skipped},
        answers,
        library,
        strategy,
    )


def _key_reader(keys: str | None) -> Callable[[], str]:
    """One key per call: from --keys (then '' when they run out), or from the terminal."""
    if keys is not None:
        remaining = iter(keys)
        return lambda: next(remaining, "")
    import os
    import sys
    import termios
    import tty

    fd = sys.stdin.fileno()

    def read() -> str:
        saved = termios.tcgetattr(fd)
        try:
            # One key at a time, no echo; Ctrl-C still interrupts. TCSANOW keeps keys typed
            # ahead (the default, TCSAFLUSH, would throw them away).
            tty.setcbreak(fd, termios.TCSANOW)
            return os.read(fd, 1).decode("utf-8", errors="replace")
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    return read


def _open_link(url: str) -> bool:
    """Whether a browser was started on `url`."""
    import webbrowser

    return webbrowser.open(url)
