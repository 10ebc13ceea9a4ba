"""arXiv's announcement feeds from rss.arxiv.org: RSS 2.0 (/rss/cs.LG) and Atom (/atom/cs.LG),
several categories joined with '+' (/rss/cs.LG+cs.AI). One item (entry) per announced paper:

    <item>
      <title>Mass concentration in rescaled first order integral functionals</title>
      <link>https://arxiv.org/abs/2203.01250</link>
      <description>arXiv:2203.01250v3 Announce Type: replace-cross
    Abstract: We consider first order local minimization problems ...</description>
      <guid isPermaLink="false">oai:arXiv.org:2203.01250v3</guid>
      <category>math.AP</category>
      <pubDate>Fri, 23 Aug 2024 00:00:00 -0400</pubDate>
      <arxiv:announce_type>replace-cross</arxiv:announce_type>
      <dc:creator>Antonin Monteil, Paul Pegon</dc:creator>
    </item>

An Atom entry says the same with <id>, <summary>, <category term="..."/> and <published>.
Until 2024 arXiv's feeds were RSS 1.0 (RDF): the items beside the channel, the id, category and
announce type at the end of the title ("Title. (arXiv:1805.09166v1 [hep-ex] CROSS LISTED)",
UPDATED for a replacement), the abstract in HTML, and the authors as HTML links; saved copies of
them are read too.
Replacements ("replace", "replace-cross", and arXiv's rarer "absonly") are skipped unless asked
for. A day without announcements (weekends, holidays) gives a feed without items: a warning, not
an error. A feed arXiv could not make (an unknown category) has a title starting "Feed error for
query": an error. The XML is read with formats.xmltree (no DTDs, no entity expansion).

Other sites' RSS feeds relay arXiv's papers (each item linking to arxiv.org/abs/ID) and write
their descriptions in HTML: an author line, the abstract, labelled details ("Published:",
"PDF:"), or arXiv's own description among translations of it. Those are read as text: the
abstract alone, tags dropped, entities decoded, the author line taken for the authors.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from papertriage.errors import InputError
from papertriage.listings.formats.common import (
    Lines,
    ParseReport,
    decode_entities,
    email_date_to_iso,
    split_authors,
)
from papertriage.listings.formats.htmltree import parse_html
from papertriage.listings.formats.texaccents import tex_accents
from papertriage.listings.formats.xmltree import XmlTree, parse_xml, root_name, text_of
from papertriage.models import normalize_space, split_arxiv_id

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"

REPLACEMENTS = frozenset({"replace", "replace-cross", "absonly"})
ANNOUNCE_TYPES = REPLACEMENTS | {"new", "cross"}

# "arXiv:2508.13426v1 Announce Type: cross \nAbstract: ..." opens every description/summary.
_PREFIX = re.compile(
    r"\s*(?:arXiv:(?P<id>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*)?(?:Abstract:\s*)?",
    re.IGNORECASE,
)
# The feed's own address (channel <link>, <atom:link href>, Atom <id> or <link href>), or its
# title "cs.LG updates on arXiv.org" ("Feed error for query: https://rss.arxiv.org/..." too).
_FEED_MARK = re.compile(
    r"(?:<link>|<id>|href=[\"'])\s*https?://rss\.arxiv\.org/(?:rss|atom)/"
    r"|updates on arXiv\.org\s*</title>",
    re.IGNORECASE,
)
# An RSS item (complete in the sample), and the <link> or <guid> of one that is an arXiv paper:
# its abstract page or arXiv's OAI identifier. Feeds that relay arXiv's papers have no other mark.
_RSS_ITEM = re.compile(r"<item[\s>].*?</item\s*>", re.DOTALL)
_PAPER_LINK = re.compile(
    r"<(link|guid)(?:\s[^>]*)?>\s*(?:https?://(?:www\.|export\.)?arxiv\.org/abs/|oai:arXiv\.org:)"
    r"[^<\s]+\s*</\1\s*>",
    re.IGNORECASE,
)
# The arXiv API's Atom (export.arxiv.org/api/query) shares the namespaces but not these.
_API_MARK = re.compile(r"opensearch|arxiv\.org/api/", re.IGNORECASE)
# A title or description written in HTML, as feeds that relay arXiv's papers write them. Told
# from arXiv's plain text by an end tag or a <br>: plain TeX holds bare "<" ("$k < 8$", "$a<b$").
_HTML_MARK = re.compile(
    r"</(?:p|div|span|a|b|i|em|strong|sub|sup|li|h[1-6])\s*>|<br\s*/?>", re.IGNORECASE
)
# arXiv's own description, relayed as one paragraph of another feed's HTML description.
_RELAYED = re.compile(r"arXiv:\S+\s+Announce Type:", re.IGNORECASE)
# A paragraph of details such a feed adds around the abstract ("Published: 2026-08-20T17:59Z",
# "PDF: https://arxiv.org/pdf/..."), or one holding nothing but a link.
_DETAILS = re.compile(
    r"(?:Published|Updated|Submitted|Comments?|PDF|DOI|Journal[ -]ref(?:erence)?|Subjects?"
    r"|Categories|Links?)\s*:|https?://\S+$",
    re.IGNORECASE,
)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# The tail arXiv's RSS 1.0 feeds put on a title, the period before it theirs, not the title's.
_RSS1_TITLE_TAIL = re.compile(
    r"\.?\s*\(arXiv:\S+ \[(?P<category>[^\]\s]+)\](?: (?P<mark>CROSS LISTED|UPDATED))?\)\s*$"
)
_RSS1_MARKS = {"": "new", "CROSS LISTED": "cross", "UPDATED": "replace"}
_HINT = "arXiv's feeds never carry one; is this the right file?"
_NO_ITEMS = "(arXiv announces nothing on Saturdays, Sundays and holidays)"


def looks_like(sample: str) -> bool:
    """An announcement feed: an <rss> or Atom <feed> whose header, before the first item, names
    rss.arxiv.org or "... updates on arXiv.org"; never an arXiv API response. Or an RSS feed
    relaying arXiv's papers: every item of the sample (one at least) is an arXiv paper."""
    root = root_name(sample)
    if root not in ("rss", "feed", "RDF"):
        return False
    header = re.split(r"<(?:\w+:)?(?:item|entry)[\s>]", sample, maxsplit=1)[0]
    if root == "feed" and ("2005/Atom" not in header or _API_MARK.search(header)):
        return False
    if root == "RDF" and "purl.org/rss/1.0/" not in header:  # RDF that is no RSS 1.0 feed
        return False
    return _FEED_MARK.search(header) is not None or (root != "feed" and _relays_papers(sample))


def _relays_papers(sample: str) -> bool:
    items = _RSS_ITEM.findall(sample)
    return bool(items) and all(_PAPER_LINK.search(item) for item in items)


def parse_arxiv_rss(lines: Lines, report: ParseReport, *, include_replaced: bool = False) -> None:
    tree = parse_xml(lines, report.source, hint=_HINT)
    if tree.root.tag == "rss":
        read_rss(tree, report, include_replaced=include_replaced)
    elif tree.root.tag == f"{ATOM}feed":
        read_atom(tree, report, include_replaced=include_replaced)
    elif tree.root.tag == RDF:
        read_rss1(tree, report, include_replaced=include_replaced)
    else:
        raise InputError(
            f"{report.source}: XML but not an RSS or Atom feed (root <{tree.root.tag}>)",
            hint="save the feed itself, e.g. https://rss.arxiv.org/rss/cs.LG",
        )


def is_announcement_feed(root: ET.Element) -> bool:
    """Whether a parsed Atom feed is one of rss.arxiv.org's (not an API response)."""
    if "rss.arxiv.org/" in text_of(root.find(f"{ATOM}id")):
        return True
    entry = root.find(f"{ATOM}entry")
    return entry is not None and (
        entry.find(f"{ARXIV}announce_type") is not None
        or _announce_type(text_of(entry.find(f"{ATOM}summary")), "") is not None
    )


def read_rss(tree: XmlTree, report: ParseReport, *, include_replaced: bool) -> None:
    channel = tree.root.find("channel")
    if channel is None:
        raise InputError(f"{report.source}: an RSS feed without a <channel>")
    _refuse_feed_error(text_of(channel.find("title")), text_of(channel.find("description")), report)
    day = email_date_to_iso(text_of(channel.find("pubDate")))
    items = channel.findall("item")
    for item in items:
        published = text_of(item.find("pubDate"))
        _add(
            report,
            tree.line_of.get(item),
            include_replaced,
            title=text_of(item.find("title")),
            text=text_of(item.find("description")),
            announce=text_of(item.find(f"{ARXIV}announce_type")),
            guid=text_of(item.find("guid")),
            link=text_of(item.find("link")),
            creators=[text_of(c) for c in item.findall(f"{DC}creator")]
            or [text_of(a) for a in item.findall("author")],
            categories=[text_of(c) for c in item.findall("category")],
            date=email_date_to_iso(published) if published.strip() else day,
        )
    if not items:
        report.warn(None, f"the feed has no items {_NO_ITEMS}")


def read_atom(tree: XmlTree, report: ParseReport, *, include_replaced: bool) -> None:
    root = tree.root
    _refuse_feed_error(
        text_of(root.find(f"{ATOM}title")), text_of(root.find(f"{ATOM}subtitle")), report
    )
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        published = text_of(entry.find(f"{ATOM}published")).strip()
        _add(
            report,
            tree.line_of.get(entry),
            include_replaced,
            title=text_of(entry.find(f"{ATOM}title")),
            text=text_of(entry.find(f"{ATOM}summary")),
            announce=text_of(entry.find(f"{ARXIV}announce_type")),
            guid=text_of(entry.find(f"{ATOM}id")),
            link=next(
                (
                    link.get("href", "")
                    for link in entry.findall(f"{ATOM}link")
                    if link.get("rel", "alternate") == "alternate"
                ),
                "",
            ),
            creators=[text_of(c) for c in entry.findall(f"{DC}creator")]
            or [text_of(a.find(f"{ATOM}name")) for a in entry.findall(f"{ATOM}author")],
            categories=[c.get("term", "") for c in entry.findall(f"{ATOM}category")],
            date=published[:10] if _ISO_DAY.match(published) else None,
        )
    if not entries:
        report.warn(None, f"the feed has no entries {_NO_ITEMS}")


def read_rss1(tree: XmlTree, report: ParseReport, *, include_replaced: bool) -> None:
    root = tree.root
    channel = root.find(f"{RSS1}channel")
    if channel is None:
        raise InputError(f"{report.source}: an RSS 1.0 feed without a <channel>")
    _refuse_feed_error(
        text_of(channel.find(f"{RSS1}title")), text_of(channel.find(f"{RSS1}description")), report
    )
    stamp = text_of(channel.find(f"{DC}date")).strip()
    day = stamp[:10] if _ISO_DAY.match(stamp) else None
    items = root.findall(f"{RSS1}item")
    for item in items:
        written = text_of(item.find(f"{RSS1}title"))
        tail = _RSS1_TITLE_TAIL.search(written)
        _add(
            report,
            tree.line_of.get(item),
            include_replaced,
            title=written[: tail.start()] if tail else written,
            text=text_of(item.find(f"{RSS1}description")),
            announce=_RSS1_MARKS[tail["mark"] or ""] if tail else "",
            guid="",
            link=text_of(item.find(f"{RSS1}link")) or item.get(f"{RDF[:-3]}about", ""),
            creators=[_plain_title(text_of(c)) for c in item.findall(f"{DC}creator")],
            categories=[tail["category"]] if tail else [],
            date=day,
        )
    if not items:
        report.warn(None, f"the feed has no items {_NO_ITEMS}")


def _refuse_feed_error(title: str, description: str, report: ParseReport) -> None:
    if normalize_space(title).lower().startswith("feed error for query"):
        raise InputError(
            f"{report.source}: arXiv could not make this feed: "
            f"{normalize_space(description) or normalize_space(title)}",
            hint="check the categories in the feed's address, e.g. https://rss.arxiv.org/rss/cs.LG+cs.AI",
        )


def _announce_type(text: str, element: str) -> str | None:
    """The announce type from the arxiv:announce_type element, else from the text's prefix."""
    if element.strip():
        return element.strip().lower()
    match = _PREFIX.match(text)
    return match["type"].lower() if match and match["type"] else None


def _add(
    report: ParseReport,
    line: int | None,
    include_replaced: bool,
    *,
    title: str,
    text: str,
    announce: str,
    guid: str,
    link: str,
    creators: list[str],
    categories: list[str],
    date: str | None,
) -> None:
    title = _plain_title(title)
    text, author_line = _read_description(text, creators)
    prefix = _PREFIX.match(text)
    assert prefix is not None  # every part of the pattern is optional
    announce_type = _announce_type(text, announce)
    if not title.strip():
        report.warn(line, "an item without a title; skipped")
        return
    if announce_type in REPLACEMENTS and not include_replaced:
        report.skipped["replaced"] += 1
        return
    if announce_type is not None and announce_type not in ANNOUNCE_TYPES:
        report.warn(line, f"unknown announce type {announce_type!r}; kept as it is")
    report.add(
        tex_accents(title),
        tex_accents(text[prefix.end() :]),
        arxiv_id=_arxiv_id(prefix["id"] or "", guid, link),
        authors=_split_creators([author_line] if author_line else creators),
        categories=[term for category in categories if (term := category.strip())],
        date=date,
        announce_type=announce_type,
    )


def _plain_title(title: str) -> str:
    """A title as text: HTML tags dropped ('ξ<sub>ion</sub>' is 'ξion'), entities decoded."""
    if _HTML_MARK.search(title):
        return parse_html(title).text()
    return decode_entities(title)


def _read_description(text: str, creators: list[str]) -> tuple[str, str | None]:
    """The abstract in a description, and its opening paragraph when that lists the authors.

    arXiv's own descriptions are plain text, kept as they are (entities decoded, in the rare
    text that has any). In an HTML description, a paragraph holding arXiv's own description
    (prefix and all) is the abstract, whatever the feed put around it (translations, summaries,
    the title again). Otherwise the paragraphs are the abstract, less the feed's details and
    bare links; the opening one is the author list when it starts with the item's first author,
    whom such feeds name alone in <author>: its names go to the authors, not into the text that
    topics and search read.
    """
    if not _HTML_MARK.search(text):
        return decode_entities(text), None
    paragraphs = parse_html(text).paragraphs()
    relayed = next((paragraph for paragraph in paragraphs if _RELAYED.match(paragraph)), None)
    if relayed is not None:
        return relayed, None
    first_author = _split_creators(creators)[:1]
    author_line = None
    if first_author and _split_creators(paragraphs[:1])[:1] == first_author:
        author_line = paragraphs.pop(0)
    abstract = " ".join(paragraph for paragraph in paragraphs if not _DETAILS.match(paragraph))
    return abstract, author_line


def _arxiv_id(prefixed: str, guid: str, link: str) -> str | None:
    """The versionless id from the prefix, the guid (oai:arXiv.org:ID) or an abs link."""
    for candidate, trusted in (
        (prefixed, True),
        (guid, "arxiv" in guid.lower()),
        (link, "arxiv.org/" in link),
    ):
        if trusted and (parts := split_arxiv_id(candidate)) is not None:
            return parts[0]
    return None


def _split_creators(creators: list[str]) -> list[str]:
    """'A (Univ X, Lab Y), B' -> ['A', 'B']: dc:creator is comma-separated, and arXiv puts each
    author's affiliations (themselves comma-separated) in parentheses after the name, which
    split_authors drops."""
    return [name for text in creators for name in split_authors(text)]
