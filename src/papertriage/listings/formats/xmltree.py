"""A safe XML reader for the feed formats: expat, driven directly, into an ElementTree.

Any document type declaration is refused before expat reads on, so entity expansion (billion
laughs, external entities) can never happen, whatever the input. Element names come back in
ElementTree's "{namespace}local" form.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import NamedTuple
from xml.parsers import expat

from papertriage.errors import InputError
from papertriage.listings.formats.common import Lines

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")


class XmlTree(NamedTuple):
    root: ET.Element
    line_of: dict[ET.Element, int]  # the line each element starts on, for warnings


def parse_xml(lines: Lines, source: str, *, hint: str) -> XmlTree:
    """Build an ElementTree with expat, refusing any DOCTYPE or entity declaration.

    `hint` says what the expected documents look like, for the refusal. Broken XML raises one
    InputError naming the line expat stopped at.
    """
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    line_of: dict[ET.Element, int] = {}

    def refuse(*_: object) -> None:
        raise InputError(
            f"{source}: XML with a document type declaration is not accepted", hint=hint
        )

    def start(tag: str, attributes: dict[str, str]) -> None:
        element = builder.start("{" + tag if "}" in tag else tag, attributes)
        line_of[element] = parser.CurrentLineNumber

    def end(tag: str) -> None:
        builder.end("{" + tag if "}" in tag else tag)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        for _, line in lines:
            parser.Parse(line + "\n", False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise InputError(
            f"{source}:{error.lineno}: invalid XML ({expat.errors.messages[error.code]})"
        ) from None
    return XmlTree(builder.close(), line_of)


def text_of(element: ET.Element | None) -> str:
    """All the text inside `element` ('' when there is no element)."""
    return "".join(element.itertext()) if element is not None else ""


def root_name(sample: str) -> str | None:
    """The local name of the first element in a text sample ('rss', 'feed', ...), without
    parsing: the XML declaration, comments and a DOCTYPE are skipped. None when there is none."""
    match = _FIRST_TAG.search(_COMMENT.sub("", sample[:65_536]))
    return match.group(2) if match else None
