"""The README's format table documents every format the parser knows, and its examples work."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from papertriage.cli.shell import InputFormat
from papertriage.listings.parse import FORMATS
from tests.helpers import run

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("## Input formats\n", 1)[1].split("\n## ", 1)[0]
TABLE = SECTION.split("| name | what it is | example | notes |", 1)[1].split("\n\n", 1)[0]
# `name`, or `name`, `other`, in the first cell; the example command in the third.
ROWS = {
    tuple(re.findall(r"`([a-z-]+)`", cells[0])): cells[2].strip().strip("`")
    for line in TABLE.strip().splitlines()[1:]
    if len(cells := line.split(" | ")) >= 4
}


def test_every_format_has_a_row_and_nothing_else_does() -> None:
    documented = [name for names in ROWS for name in names]
    assert sorted(documented) == sorted(FORMATS)


def test_the_from_option_offers_exactly_the_formats() -> None:
    assert [choice.value for choice in InputFormat] == ["auto", *FORMATS]


@pytest.mark.parametrize(("names", "example"), ROWS.items(), ids=lambda v: str(v))
def test_each_rows_example_is_detected_as_that_format(names: tuple[str, ...], example: str) -> None:
    words = shlex.split(example)
    assert words[:2] == ["papertriage", "parse"], example
    paths = [word for word in words[2:] if not word.startswith("-")]
    assert all((ROOT / path).is_file() for path in paths), example
    code, out, err = run("parse", *(str(ROOT / path) for path in paths), "--format", "jsonl")
    assert code == 0, err
    assert out.strip(), err
    assert all(json.loads(line)["title"] for line in out.splitlines())
    detected = re.findall(r"records \(([a-z-]+)\)", err)
    assert detected and set(detected) <= set(names), err
    # Every record the report counts is printed (one input each: nothing merges away).
    if len(paths) == 1:
        assert len(out.splitlines()) == int(re.findall(r"(\d+) records \(", err)[0]), err
