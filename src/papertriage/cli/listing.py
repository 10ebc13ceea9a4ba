"""Commands on listings and topics: parse, tag, topics, eval."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from papertriage.cli.learning import Strategy
from papertriage.cli.shell import (
    DbOpt,
    Env,
    ExplainOpt,
    FilesArg,
    ForceOpt,
    FormatOpt,
    FromOpt,
    InputFormat,
    JsonOpt,
    Messages,
    OutputFormat,
    OutputOpt,
    QuietOpt,
    ReplacedOpt,
    TopicsOpt,
    command,
    emit_objects,
    emit_records,
    load_topics,
    resolve_format,
    show,
    write_or_save,
)
from papertriage.cli.sources import (
    library_index,
    open_library,
    read_inputs,
    tag_with_progress,
)
from papertriage.errors import UsageError

if TYPE_CHECKING:
    from papertriage.models import Record
    from papertriage.topics.evaluate import Evaluation
    from papertriage.topics.taxonomy import Taxonomy, Topic


@command()
def parse(
    files: FilesArg = None,
    input_format: FromOpt = InputFormat.auto,
    include_replaced: ReplacedOpt = False,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Parse raw listings into clean records.

    Example: papertriage parse examples/hf-papers-listing.txt --format jsonl | jq -r .title
    """
    env = Env.detect(quiet=quiet)
    messages = Messages(env)
    resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env, force=force)
    records = read_inputs(files, input_format, include_replaced, env, messages)
    emit_records(records, resolved, output, force, env)


@command()
def tag(
    files: FilesArg = None,
    input_format: FromOpt = InputFormat.auto,
    include_replaced: ReplacedOpt = False,
    topics: TopicsOpt = None,
    explain: ExplainOpt = False,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    output: OutputOpt = None,
    force: ForceOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Tag papers with topics; every tag carries its score and evidence.

    Reads raw listings or papertriage JSON Lines, so it chains after `parse`.

    Example: papertriage tag examples/hf-papers-listing.txt --explain
    """
    env = Env.detect(quiet=quiet)
    messages = Messages(env)
    resolved = resolve_format(fmt, json_flag=json_flag, output=output, env=env, force=force)
    taxonomy = load_topics(topics, env)
    tagged = read_inputs(files, input_format, include_replaced, env, messages, taxonomy)
    messages.info(
        f"tagged {sum(1 for r in tagged if r.tags)} of {len(tagged)} papers "
        f"with {len(taxonomy.topics)} topics"
    )
    if explain and fmt is OutputFormat.auto and not json_flag and not output:
        from rich.console import Group

        from papertriage.cli.terminal import explanation

        show(Group(*(explanation(record) for record in tagged)), wrap=False)
    else:
        emit_records(tagged, resolved, output, force, env)


@command("topics")
def topics_command(
    args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[check [FILE] | show [ID] | LISTING...]",
            show_default=False,
            help="Nothing: the taxonomy. 'check FILE': validate a topics file; 'check': the "
            "rules your corrected tags contradict. 'show ID': one topic in full; 'show': the "
            "built-in topics file. Listings: papers per topic.",
        ),
    ] = None,
    topics: TopicsOpt = None,
    input_format: FromOpt = InputFormat.auto,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Show the taxonomy, check a topics file, or count topics.

    Nothing: the taxonomy, with how many papers of your library have each topic. `check FILE`:
    validate a topics file. `check`: the rules that the tags you corrected (mark --tag/--untag)
    contradict most. `show ID`: one topic in full; `show`: the built-in topics file, to copy
    and change (`topics show > my-topics.yaml`). Listings: papers per topic.

    Example: papertriage topics examples/hf-papers-listing.txt
    """
    env = Env.detect(quiet=quiet)
    words = list(args or [])
    messages = Messages(env)
    resolved = resolve_format(fmt, json_flag=json_flag, output=None, env=env)
    if words[:1] == ["check"]:
        _topics_check(words[1:], topics, resolved, db, env, messages)
    elif words == ["show"]:  # the built-in file, to start a taxonomy of one's own from
        from papertriage.topics.taxonomy import DEFAULT_FILE

        write_or_save([DEFAULT_FILE.read_text(encoding="utf-8")], None, False)
    elif words[:1] == ["show"]:
        if len(words) != 2:
            raise UsageError(
                "'topics show' takes one topic id, or none",
                hint="e.g. topics show moe; topics show alone prints the built-in topics file",
            )
        topic = load_topics(topics, env).get(words[1])
        if resolved == "table":
            from papertriage.cli.terminal import topic_detail

            show(topic_detail(topic))
        else:
            emit_objects([_topic_dict(topic)], resolved, None, False, single=True)
    elif words:
        _topic_counts(words, topics, input_format, resolved, env, messages)
    else:
        taxonomy = load_topics(topics, env)
        counts = _library_counts(taxonomy, env, db, messages)
        if resolved == "table":
            from papertriage.cli.terminal import topics_table

            show(topics_table(taxonomy, counts))
        else:
            emit_objects(
                [
                    {**_topic_dict(t), **({"papers": counts[t.id]} if counts else {})}
                    for t in taxonomy.topics
                ],
                resolved,
                None,
                False,
            )


def _library_counts(
    taxonomy: Taxonomy, env: Env, db: str | None, messages: Messages
) -> dict[str, int] | None:
    """Papers per topic in the library (from its index, no record read), or None without one."""
    library = open_library(env, db)
    if library.is_empty():
        return None
    if library.taxonomy_hash() != taxonomy.content_hash():
        messages.info(
            f"{library.path}: tagged with another taxonomy; "
            "`papertriage retag` counts its papers with this one"
        )
        return None
    postings = library_index(library, env, messages)
    messages.info(f"{library.path}: papers per topic among its {postings.count} papers")
    return {topic: int(postings.tag_mask(topic).sum()) for topic in taxonomy.ids}


def _topic_dict(topic: Topic) -> dict[str, object]:
    from dataclasses import asdict

    return asdict(topic)


def _topics_check(
    paths: list[str], topics: str | None, fmt: str, db: str | None, env: Env, messages: Messages
) -> None:
    """`topics check FILE`: a topics file validated. `topics check`: the rules of the taxonomy
    in force (--topics) that the tags corrected in the library contradict."""
    if len(paths) > 1:
        raise UsageError("'topics check' takes one file", hint="e.g. topics check my-topics.yaml")
    if paths:
        _validate_topics_file(paths[0], messages)
        return
    from papertriage.topics.evaluate import contradicted_rules

    _, said, tagged = _judged_library(topics, db, env, "check the rules against")
    rows = [row.to_dict() for row in contradicted_rules(tagged, said)]
    messages.info(f"{len(rows)} rules contradicted by the tags of {len(said)} corrected papers")
    if fmt == "table":
        from papertriage.cli.terminal import contradictions_table

        show(contradictions_table(rows))
    else:
        emit_objects(rows, fmt, None, False)


def _validate_topics_file(path: str, messages: Messages) -> None:
    from papertriage.topics.taxonomy import default_taxonomy, load_taxonomy

    taxonomy = load_taxonomy(path)
    base = set(default_taxonomy().ids)
    ids = set(taxonomy.ids)
    sys.stdout.write(
        f"{path}: ok, {len(taxonomy.topics)} topics "
        f"({len(ids - base)} new, {len(base - ids)} dropped from the default)\n"
    )
    messages.info(f"taxonomy hash {taxonomy.content_hash()}")


def _topic_counts(
    files: list[str],
    topics: str | None,
    input_format: InputFormat,
    fmt: str,
    env: Env,
    messages: Messages,
) -> None:
    taxonomy = load_topics(topics, env)
    records = read_inputs(files, input_format, False, env, messages, taxonomy)
    counts = [
        (topic_id, sum(1 for r in records if topic_id in r.tags)) for topic_id in taxonomy.ids
    ]
    counts.sort(key=lambda item: (-item[1], item[0]))
    if fmt == "table":
        from papertriage.cli.terminal import topic_counts_chart

        show(topic_counts_chart(counts, len(records)))
    else:
        emit_objects([{"topic": t, "papers": n} for t, n in counts], fmt, None, False)


_LabelsArg = Annotated[
    str | None,
    typer.Argument(
        help="YAML or JSON mapping title or id to topic ids (or, with --simulate, to "
        "true/false); not with --library.",
        show_default=False,
    ),
]
_SimulateOpt = Annotated[
    bool,
    typer.Option(
        "--simulate",
        help="Replay screening with the learned ranker and report recall, WSS@95 and the "
        "average time to discovery against random order.",
    ),
]
_RelevantOpt = Annotated[
    str | None,
    typer.Option(
        "--relevant",
        show_default=False,
        help="With --simulate and topic labels: the topic that counts as relevant.",
    ),
]


@command("eval")
def eval_command(
    labels: _LabelsArg = None,
    files: FilesArg = None,
    library: Annotated[
        bool, typer.Option("--library", help="Judge the tagger by the tags you corrected.")
    ] = False,
    db: DbOpt = None,
    simulate: _SimulateOpt = False,
    relevant: _RelevantOpt = None,
    prior: Annotated[
        int, typer.Option("--prior", help="With --simulate: relevant papers known at the start.")
    ] = 1,
    prior_irrelevant: Annotated[
        int,
        typer.Option(
            "--prior-irrelevant", help="With --simulate: irrelevant papers known at the start."
        ),
    ] = 1,
    seeds: Annotated[
        int,
        typer.Option(
            "--seeds", min=1, help="With --simulate: runs (random priors and orders) to average."
        ),
    ] = 5,
    strategy: Annotated[
        Strategy,
        typer.Option("--strategy", help="With --simulate: which paper the model screens next."),
    ] = Strategy.relevant,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot", show_default=False, help="With --simulate: write the recall curve (SVG)."
        ),
    ] = None,
    force: ForceOpt = False,
    topics: TopicsOpt = None,
    input_format: FromOpt = InputFormat.auto,
    fmt: FormatOpt = OutputFormat.auto,
    json_flag: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Compare tags with hand labels, or simulate screening with the learned ranker.

    Per topic, with micro and macro averages and the false positives and misses by title.
    --simulate replays screening as ASReview does and reports recall at 10/25/50% screened,
    WSS@95 and the average time to discovery, next to random order.

    Example: papertriage eval tests/data/hf-labels.yaml examples/hf-papers-listing.txt
    """
    env = Env.detect(quiet=quiet)
    if library:
        _evaluate_corrections(labels, files or simulate, topics, fmt, json_flag, db, env)
        return
    if labels is None:
        raise UsageError("eval needs a labels file", hint="or --library for your corrections")
    if simulate:
        from papertriage.cli.learning import run_simulation

        run_simulation(
            labels,
            files,
            relevant,
            prior,
            prior_irrelevant,
            seeds,
            strategy.value,
            plot,
            force,
            input_format,
            resolve_format(fmt, json_flag=json_flag, output=None, env=env),
            env,
        )
    elif relevant or plot:
        raise UsageError("--relevant and --plot go with --simulate", hint="add --simulate")
    else:
        _evaluate_tags(labels, files, topics, input_format, fmt, json_flag, env)


def _evaluate_tags(
    labels: str,
    files: list[str] | None,
    topics: str | None,
    input_format: InputFormat,
    fmt: OutputFormat,
    json_flag: bool,
    env: Env,
) -> None:
    """`eval` without --simulate: the tags of the listings against the hand labels."""
    from papertriage.topics.evaluate import evaluate, load_labels

    messages = Messages(env)
    resolved = resolve_format(fmt, json_flag=json_flag, output=None, env=env)
    taxonomy = load_topics(topics, env)
    truth = load_labels(labels)
    records = read_inputs(files, input_format, False, env, messages, taxonomy)
    evaluation = evaluate(records, truth, taxonomy.ids)
    if evaluation.unmatched_labels:
        messages.warning(
            f"{len(evaluation.unmatched_labels)} labelled papers are not in the listing"
        )
    _show_evaluation(evaluation, resolved)


def _show_evaluation(evaluation: Evaluation, resolved: str) -> None:
    if resolved == "table":
        from papertriage.cli.terminal import evaluation_table

        show(evaluation_table(evaluation))
    else:
        emit_objects(
            [evaluation.to_dict()],
            "json" if resolved != "jsonl" else "jsonl",
            None,
            False,
            single=True,
        )


def _evaluate_corrections(
    labels: str | None,
    other: object,
    topics: str | None,
    fmt: OutputFormat,
    json_flag: bool,
    db: str | None,
    env: Env,
) -> None:
    """`eval --library`: the tagger's own tags of the library against the reader's corrections
    (`other`: listings or --simulate, which do not go with it)."""
    if labels is not None or other:
        raise UsageError(
            "--library judges by your corrections: no labels, listings or --simulate",
            hint="papertriage eval --library",
        )
    from papertriage.topics.evaluate import evaluate_corrections

    resolved = resolve_format(fmt, json_flag=json_flag, output=None, env=env)
    taxonomy, said, tagged = _judged_library(topics, db, env, "judge by")
    _show_evaluation(evaluate_corrections(tagged, said, taxonomy.ids), resolved)


def _judged_library(
    topics: str | None, db: str | None, env: Env, doing: str
) -> tuple[Taxonomy, dict[str, dict[str, bool]], list[Record]]:
    """The taxonomy in force, the library's corrections and its papers as that taxonomy tags
    them, all of them afresh (as `retag` would, nothing stored): each paper's TF-IDF sees the
    same company as when it was added. No corrections is a usage error."""
    taxonomy = load_topics(topics, env)
    library = open_library(env, db)
    said = library.corrections()
    if not said:
        raise UsageError(
            f"the library has no corrected tags to {doing}",
            hint="correct some with `papertriage mark ID --tag TOPIC --untag TOPIC`",
        )
    records = library.records()
    Messages(env).info(f"tagging {len(records)} library papers; {len(said)} corrected")
    return taxonomy, said, tag_with_progress(records, taxonomy, env)
