"""Learned triage on the command line: `rank --learned`, `screen`, and `eval --simulate`.

Thin: the model is papertriage.learn, the screening loop papertriage.screening, the simulation
papertriage.simulate; this module turns options into their calls and results into output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from papertriage.cli.app import Env, Messages, open_library
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
