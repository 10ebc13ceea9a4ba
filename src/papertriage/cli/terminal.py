"""Rich renderables for the terminal: topic tables, bar charts, evaluation tables, explanations.

Nothing here prints. User text is always passed as rich Text, never as markup, so "[cs.CL]" in a
title stays on the screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import RenderableType

    from papertriage.models import Record
    from papertriage.topics.evaluate import Evaluation
    from papertriage.topics.taxonomy import Taxonomy, Topic

BAR = "█"


def topics_table(taxonomy: Taxonomy, counts: dict[str, int] | None = None) -> Table:
    """The taxonomy; with `counts`, how many papers of the library have each topic."""
    table = Table(title="Topics", title_justify="left", header_style="bold", expand=True)
    table.add_column("id", style="cyan", no_wrap=True)
    table.add_column("name", no_wrap=True)
    table.add_column("rules", justify="right", no_wrap=True)
    if counts is not None:
        table.add_column("papers", justify="right", no_wrap=True)
    table.add_column("description", ratio=1)
    for topic in taxonomy.topics:
        rules = len(topic.phrases) + len(topic.acronyms) + len(topic.regexes)
        papers = [] if counts is None else [str(counts.get(topic.id, 0))]
        table.add_row(
            Text(topic.id), Text(topic.name), str(rules), *papers, Text(topic.description)
        )
    return table


def topic_counts_chart(counts: Sequence[tuple[str, int]], total: int) -> Table:
    """A horizontal bar per topic, longest first, scaled to the largest count."""
    table = Table(
        title=f"Topics in {total} papers",
        title_justify="left",
        box=None,
        show_header=False,
        padding=(0, 1),
    )
    table.add_column("topic", style="cyan", no_wrap=True)
    table.add_column("papers", justify="right", no_wrap=True)
    table.add_column("bar", ratio=1)
    largest = max((count for _, count in counts), default=0) or 1
    for topic, count in counts:
        width = max(1, round(40 * count / largest)) if count else 0
        table.add_row(Text(topic), str(count), Text(BAR * width, style="magenta"))
    return table


def topic_detail(topic: Topic) -> Group:
    lines: list[RenderableType] = [
        Text.assemble((topic.id, "bold cyan"), "  ", (topic.name, "bold")),
        Text(topic.description),
        Text(f"defined at {topic.origin}", style="dim"),
    ]
    for label, values in (
        ("phrases", topic.phrases),
        ("related (weak)", topic.related),
        ("acronyms", topic.acronyms),
        ("regexes", topic.regexes),
        ("exclude", topic.exclude),
        ("exclude regexes", topic.exclude_regexes),
        ("requires one of", topic.requires),
    ):
        if values:
            lines.append(Text.assemble((f"{label}: ", "bold"), ", ".join(values)))
    if topic.tfidf:
        lines.append(
            Text.assemble(
                ("tf-idf: ", "bold"),
                f"similarity >= {topic.tfidf.threshold:g} to: ",
                (topic.tfidf.prototype, "italic"),
            )
        )
    if topic.threshold is not None:
        lines.append(Text.assemble(("threshold: ", "bold"), f"{topic.threshold:g}"))
    if topic.related_cap is not None:
        lines.append(Text.assemble(("related cap: ", "bold"), str(topic.related_cap)))
    return Group(*lines)


def evaluation_table(evaluation: Evaluation) -> Group:
    table = Table(
        title=f"Tags against labels ({evaluation.papers} papers)",
        title_justify="left",
        header_style="bold",
    )
    for column in ("topic", "precision", "recall", "F1", "support", "tp", "fp", "fn"):
        table.add_column(column, justify="left" if column == "topic" else "right")
    for score in evaluation.topics:
        figures = score.shown()
        table.add_row(
            Text(score.topic, style="cyan"),
            *("–" if figures[name] is None else f"{figures[name]:.3f}" for name in figures),
            str(score.support),
            str(score.true_positives),
            str(score.false_positives),
            str(score.false_negatives),
        )
    summary = Text(
        f"micro-F1 {evaluation.micro_f1:.3f}   macro-F1 {evaluation.macro_f1:.3f}", style="bold"
    )
    parts: list[RenderableType] = [table, summary]
    for label, listing in (
        ("False positives", evaluation.false_positives),
        ("Misses", evaluation.misses),
    ):
        for topic, titles in listing.items():
            parts.append(Text(f"{label} for {topic}:", style="bold"))
            parts.extend(Text(f"  - {title}") for title in titles)
    if evaluation.unmatched_labels:
        parts.append(
            Text(
                f"{len(evaluation.unmatched_labels)} labelled papers are not in the listing",
                style="yellow",
            )
        )
    return Group(*parts)


def highlighted(text: str, phrases: Sequence[str], style: str = "bold yellow") -> Text:
    """`text` with every occurrence of the matched phrases highlighted.

    Matches are recorded as their words joined by spaces, so any run of punctuation or space
    between the words matches ("mixture of experts" lights up "Mixture-of-Experts")."""
    import re

    rendered = Text(text)
    from papertriage.tokens import TOKEN, phrase_regex

    for phrase in sorted(set(phrases), key=len, reverse=True):
        if TOKEN.search(phrase):
            pattern = re.compile(phrase_regex(phrase), re.IGNORECASE)
            rendered.highlight_regex(pattern, style=style)
    return rendered


def hits_table(
    hits: Sequence[Any], *, explain: bool = False, reasons: Mapping[str, Any] | None = None
) -> Table:
    """Search results: rank, score, tags, the title with matched words highlighted, the gist.

    `reasons` (paper id -> learn.Reasons) replaces the explanation line of a learned ranking."""
    from papertriage.output.render import first_sentence

    table = Table(header_style="bold", expand=True, show_lines=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("paper", ratio=1)
    for rank, hit in enumerate(hits, start=1):
        record = hit.record
        words = _matched_words(record, hit.matched)
        cell = Text.assemble(highlighted(record.title, words, style="bold yellow"))
        cell.stylize("bold", 0, len(record.title))
        if record.tags:
            cell.append("  " + " ".join(f"#{tag}" for tag in record.tags), style="magenta")
        gist = first_sentence(record.abstract)
        if gist:
            cell.append("\n")
            cell.append_text(highlighted(gist, words, style="yellow"))
        if reasons is not None:
            cell.append("\n" + reasons_line(reasons[record.id]), style="dim")
        elif explain:
            parts = ", ".join(f"{name} {value:.2f}" for name, value in hit.parts.items())
            cell.append(f"\n{parts}; matched: {', '.join(hit.matched)}", style="dim")
        table.add_row(str(rank), f"{hit.score:.2f}", cell)
    return table


def reasons_line(reasons: Any) -> str:
    """'for: moe +0.42, expert +0.31; against: graph -0.12' from a learn.Reasons."""
    parts = []
    for name, pairs in (("for", reasons.for_), ("against", reasons.against)):
        if pairs:
            parts.append(f"{name}: " + ", ".join(f"{word} {value:+.2f}" for word, value in pairs))
    return "; ".join(parts) or "no word of it weighs"


def _matched_words(record: Record, terms: Sequence[str]) -> list[str]:
    """The words of a record whose search token is one of `terms`, as written."""
    from papertriage.tokens import TOKEN, stem

    wanted = set(terms)
    text = f"{record.title} {record.abstract}"
    return sorted({word for word in TOKEN.findall(text) if stem(word.lower()) in wanted})


def explanation(record: Record) -> Group:
    """Why a record has its tags: the matched words highlighted, then each tag's evidence."""
    details: dict[str, Any] = record.tag_details or {}
    matched = [m["text"] for detail in details.values() for m in detail.get("matches", [])]
    parts: list[RenderableType] = [
        Text.assemble((f"{record.position}. ", "dim"), highlighted(record.title, matched)),
    ]
    if not record.tags:
        parts.append(Text("   no topic", style="dim"))
    for tag in record.tags:
        detail = details.get(tag, {})
        evidence = ", ".join(
            f"{m['text']!r} in {m['where']}"
            + (f" x{m['count']}" if m["count"] > 1 else "")
            + (" (weak)" if m.get("rule") == "related" else "")
            for m in detail.get("matches", [])
        )
        if "tfidf" in detail:
            evidence += ("; " if evidence else "") + f"tf-idf similarity {detail['tfidf']:.2f}"
        said = detail.get("set_by") == "you"
        parts.append(
            Text.assemble(
                "   ",
                (f"#{tag}", "magenta bold"),
                ("  set by you" if said else f"  score {detail.get('score', 0):g}", ""),
                (f"; the tagger's evidence: {evidence}" if said and evidence else ""),
                ("" if said else f": {evidence}"),
            )
        )
    if matched and record.abstract:
        parts.append(Text.assemble("   ", highlighted(record.abstract, matched)))
    parts.append(Text(""))
    return Group(*parts)


def entry_view(entry: Any) -> Group:
    """A library paper in full: title, ids, state, tags with evidence, abstract, notes, sources."""
    record = entry.record
    state = entry.status or "no status"
    if entry.starred:
        state += ", starred"
    parts: list[RenderableType] = [
        Text(record.title, style="bold"),
        Text.assemble(
            ("id ", "dim"),
            record.id,
            ("   url ", "dim"),
            record.url or "-",
            ("   first seen ", "dim"),
            entry.first_seen,
        ),
        Text.assemble(("state ", "dim"), state),
    ]
    if record.authors:
        parts.append(Text(", ".join(record.authors), style="italic"))
    parts.append(explanation(record))
    removed = [topic for topic, fits in entry.corrections.items() if not fits]
    if removed:
        removed_tags = " ".join(f"#{topic}" for topic in removed)
        parts.append(Text.assemble(("removed by you ", "dim"), (removed_tags, "magenta")))
    for created, text in entry.notes:
        parts.append(Text.assemble(("note ", "bold"), (created + "  ", "dim"), text))
    for source, position, added in entry.sources:
        parts.append(Text.assemble(("source ", "dim"), f"{source} #{position} (added {added})"))
    return Group(*parts)


def simulation_view(simulation: Any, title: str) -> Group:
    """A simulation's metrics, model against random order, and its recall curve in text."""
    table = Table(header_style="bold")
    table.add_column("metric", no_wrap=True)
    table.add_column("model", justify="right", no_wrap=True)
    table.add_column("random", justify="right", no_wrap=True)
    model, rand = simulation.model.to_dict(), simulation.random.to_dict()
    for key, value in model.items():
        table.add_row(key, f"{value:.3f}", f"{rand[key]:.3f}")
    curve = Table(title="recall by papers screened", title_justify="left", header_style="bold")
    curve.add_column("screened", justify="right", no_wrap=True)
    curve.add_column("model", no_wrap=True)
    curve.add_column("random", no_wrap=True)
    steps = len(simulation.model_curve) - 1
    for step in range(0, steps + 1, max(1, steps // 10)):
        curve.add_row(
            f"{step / steps:.0%}",
            _bar(simulation.model_curve[step], "cyan"),
            _bar(simulation.random_curve[step], "dim"),
        )
    return Group(Text(title, style="bold"), table, Text(""), curve)


def _bar(value: float, style: str, width: int = 20) -> Text:
    filled = round(value * width)
    return Text.assemble((BAR * filled, style), (" " * (width - filled)), f" {value:.2f}")


def screen_card(record: Record, favoured: Sequence[str], progress: Any, ranker: Any) -> Group:
    """One paper to screen: progress, the title and abstract with the reader's favoured words
    highlighted, its tags and link, and the keys."""
    from papertriage.learn.model import (
        MODEL,  # here, not at the top: keeps learn off other commands
    )
    from papertriage.learn.screening import HELP

    words = _matched_words(record, [t for phrase in favoured for t in phrase.split()])
    if ranker is None:
        model = "in listing order until you mark a paper relevant"
    elif ranker.kind == MODEL:
        model = "ranked by what you liked and skipped"
    else:
        model = "ranked by similarity to what you liked (skip papers to train a model)"
    status = Text(
        f"screened {progress.screened}/{progress.total} · relevant {progress.relevant}"
        + (f" · later {progress.later}" if progress.later else "")
        + f" · {model}",
        style="dim",
    )
    title = highlighted(record.title, words, style="bold yellow")
    title.stylize("bold", 0, len(record.title))
    parts: list[RenderableType] = [Text(""), status, title]
    if record.tags:
        parts.append(Text(" ".join(f"#{tag}" for tag in record.tags), style="magenta"))
    parts.append(highlighted(record.abstract or "(no abstract)", words, style="bold yellow"))
    if record.url:
        parts.append(Text(record.url, style="blue"))
    parts.append(Text(HELP, style="dim"))
    return Group(*parts)


def contradictions_table(rows: list[dict[str, Any]]) -> Table:
    """Rules the reader's corrections contradict: what to change in the topics file."""
    table = Table(header_style="bold")
    for name in ("papers", "topic", "rule", "what fired"):
        table.add_column(name, justify="right" if name == "papers" else "left")
    for row in rows:
        what = row["text"] or ("(no rule reached them)" if row["rule"] == "missed" else "")
        rule = "tagged by you, missed" if row["rule"] == "missed" else row["rule"]
        table.add_row(str(row["papers"]), f"#{row['topic']}", rule, what)
    return table
