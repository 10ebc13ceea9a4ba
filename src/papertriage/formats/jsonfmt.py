"""papertriage's own JSON Lines and JSON output read back, so that commands chain.

Objects from other tools that carry a title are accepted too: `summary` or `content_text` stand in
for the abstract (the Hugging Face papers feed uses `content_text`).
"""

from __future__ import annotations

import json
from typing import Any

from papertriage.errors import InputError
from papertriage.formats.common import Lines, ParseReport
from papertriage.models import Record, normalize_space, split_arxiv_id

# The Hugging Face feed puts a machine-written summary before the real abstract.
HF_SUMMARY_MARKER = "AI-generated summary"


def _from_foreign(data: dict[str, Any], report: ParseReport) -> Record:
    abstract = data.get("abstract") or data.get("summary") or data.get("content_text") or ""
    if HF_SUMMARY_MARKER in abstract:
        abstract = abstract.split(HF_SUMMARY_MARKER, 1)[1]
    parts = split_arxiv_id(str(data.get("arxiv_id") or data.get("url") or data.get("id") or ""))
    date = data.get("date") or data.get("date_published") or data.get("published")
    return report.add(
        str(data["title"]),
        normalize_space(str(abstract)),
        arxiv_id=parts[0] if parts else None,
        url=data.get("url") if isinstance(data.get("url"), str) else None,
        date=str(date)[:10] if date else None,
    )


def _add(data: Any, report: ParseReport, where: int | None) -> None:
    foreign = isinstance(data, dict) and "schema_version" not in data and "title" in data
    if foreign and any(key in data for key in ("summary", "content_text")):
        _from_foreign(data, report)
        return
    try:
        report.records.append(Record.from_dict(data))
    except (TypeError, ValueError) as error:
        place = f"{report.source}:{where}" if where else report.source
        raise InputError(f"{place}: not a papertriage record: {error}") from None


def parse_jsonl(lines: Lines, report: ParseReport) -> None:
    for number, line in lines:
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(
                f"{report.source}:{number}: invalid JSON ({error.msg}, column {error.colno})"
            ) from None
        _add(data, report, number)


def parse_json(lines: Lines, report: ParseReport) -> None:
    text = "\n".join(line for _, line in lines)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{report.source}:{error.lineno}: invalid JSON ({error.msg}, column {error.colno})"
        ) from None
    if isinstance(data, dict):
        data = data.get("records", [data])
    if not isinstance(data, list):
        raise InputError(f"{report.source}: expected a JSON array of records")
    for item in data:
        _add(item, report, None)
