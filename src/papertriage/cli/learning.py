"""Learned triage on the command line: `rank --learned`, `screen`, and `eval --simulate`.

Thin: the model is papertriage.learn, the screening loop papertriage.screening, the simulation
papertriage.simulate; this module turns options into their calls and results into output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from papertriage.cli.app import (
    Env,
    InputFormat,
    Messages,
    _check_output_early,
    emit_objects,
    open_library,
    read_inputs,
    show,
)
from papertriage.errors import UsageError
from papertriage.models import Record

if TYPE_CHECKING:
    from papertriage.learn import LearnedRanking


def learned_ranking(
    records: list[Record], limit: int, explain: bool, env: Env, db: str | None, messages: Messages
) -> LearnedRanking:
    """`records` ranked by a model of the library's liked and skipped papers."""
    from papertriage import learn

    library = open_library(env, db)
    positive, negative = learn.split_by_state(
        library.records(),  # type: ignore[attr-defined]
        library.states(),  # type: ignore[attr-defined]
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
    from papertriage import simulate

    messages = Messages(env)
    if plot:
        if not plot.lower().endswith(".svg"):
            raise UsageError(f"{plot}: --plot writes SVG", hint="name the file .svg")
        _check_output_early(plot, force)
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
        from papertriage.outputs import write_atomically

        write_atomically(plot, [simulate.curve_svg(result, title)], force=force)
        messages.info(f"{plot}: recall curve written")
    if fmt == "table":
        from papertriage.terminal import simulation_view

        show(simulation_view(result, title))
    else:
        emit_objects(
            [result.to_dict()], "json" if fmt != "jsonl" else "jsonl", None, False, single=True
        )
