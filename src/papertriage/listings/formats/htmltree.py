"""A small element tree of an HTML page, built with the standard library's html.parser.

Enough of a DOM for reading saved listing pages: elements with their attributes (entities decoded),
their children in order and the line they start on; lookup by tag and class; and the text a reader
sees, with mathematics kept as the TeX the page was written in.

Browsers forgive markup that never closes its paragraphs or list items; so does this builder, in the
few ways listing pages need (`<p>`, `<li>`, `<dt>`, `<dd>` and `<option>` close themselves, a stray
end tag is ignored, an end tag closes whatever is still open inside its element).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from html.parser import HTMLParser


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Elements that never have content (HTML's void elements).
VOID = _names("area base br col embed hr img input link meta param source track wbr")
# Start tags that close an open <p> (HTML's "closes a p element in button scope").
_CLOSES_P = _names(
    "address article aside blockquote details dialog div dl fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre section table ul"
)
# Elements the search for an open <p>, <li>, <dt> or <dd> to close does not look past.
_SCOPE = _names("html table td th caption button object template marquee applet")
# An open element of the key is closed by the start of any of these, up to the nearest stopper.
_SELF_CLOSING: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "menu"})),
    "dt": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "dd": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "option": (frozenset({"option"}), frozenset({"select", "datalist", "optgroup"})),
}
# Elements whose text runs on with its neighbours'; every other element is a break in the text.
INLINE = _names(
    "a abbr b bdi bdo big cite code data del dfn em font i ins kbd label mark nobr q s samp small "
    "span strike strong sub sup time tt u var wbr"
)
# Never part of the text a reader sees (scripts other than MathJax's TeX are skipped too).
HIDDEN = _names("head script style template noscript svg title iframe object mjx-math")
# What MathJax 2 puts in front of each formula's TeX source: rendered glyphs, previews and MathML
# for screen readers, all duplicates of the TeX kept in the <script type="math/tex"> beside them.
MATHJAX_RENDERED = _names(
    "MathJax MathJax_Preview MathJax_Display MathJax_SVG MathJax_SVG_Display MathJax_CHTML "
    "MathJax_CHTML_Display MJX_Assistive_MathML MathJax_MathML"
)


class Element:
    """One element: its tag, attributes, children (elements and text) and parent."""

    __slots__ = ("attrs", "children", "line", "parent", "tag")

    def __init__(
        self, tag: str, attrs: dict[str, str], parent: Element | None = None, line: int = 0
    ) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Element | str] = []
        self.parent = parent
        self.line = line

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs!r} at line {self.line}>"

    def get(self, name: str, default: str = "") -> str:
        return self.attrs.get(name, default)

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()

    def elements(self) -> Iterator[Element]:
        """The child elements, in order (text left out)."""
        return (child for child in self.children if isinstance(child, Element))

    def iter(self, tag: str | None = None, class_: str | None = None) -> Iterator[Element]:
        """This element's descendants in document order, those of `tag` and/or `class_` only."""
        stack = list(reversed(list(self.elements())))
        while stack:
            element = stack.pop()
            if (tag is None or element.tag == tag) and (
                class_ is None or element.has_class(class_)
            ):
                yield element
            stack.extend(reversed(list(element.elements())))

    def find(self, tag: str | None = None, class_: str | None = None) -> Element | None:
        """The first descendant of `tag` and/or `class_`, or None."""
        return next(self.iter(tag, class_), None)

    def find_all(self, tag: str | None = None, class_: str | None = None) -> list[Element]:
        return list(self.iter(tag, class_))

    def text(self, skip: Iterable[str] = ()) -> str:
        """The text a reader sees, white space normalised; formulas as their TeX (`$...$`).

        Elements with a class in `skip` (such as arXiv's 'descriptor' labels) are left out.
        """
        parts: list[str] = []
        _collect_text(self, parts, frozenset(skip))
        return " ".join("".join(parts).split())

    def paragraphs(self) -> list[str]:
        """The text of each block among the children, white space normalised, empty ones left
        out: a block element is one paragraph, and so is a run of text and inline elements."""
        blocks: list[Element] = []
        run: Element | None = None  # the run of text and inline elements being gathered
        for child in self.children:
            if isinstance(child, str) or child.tag in INLINE:
                if run is None:
                    run = Element("#run", {})
                    blocks.append(run)
                run.children.append(child)
            else:
                run = None
                if child.tag not in HIDDEN:
                    blocks.append(child)
        return [text for block in blocks if (text := block.text())]


def _collect_text(element: Element, parts: list[str], skip: frozenset[str]) -> None:
    for child in element.children:
        if isinstance(child, str):
            parts.append(child)
            continue
        tag = child.tag
        if tag == "script":
            tex = _mathjax_tex(child)
            if tex is not None:
                parts.append(tex)
            continue
        if tag == "br":
            parts.append(" ")
            continue
        if tag in HIDDEN:
            continue
        classes = child.attrs.get("class")
        if classes and not skip.isdisjoint(names := classes.split()):
            continue
        if classes and not MATHJAX_RENDERED.isdisjoint(names):
            continue
        if tag in INLINE:
            _collect_text(child, parts, skip)
        else:
            parts.append(" ")
            _collect_text(child, parts, skip)
            parts.append(" ")


def _mathjax_tex(script: Element) -> str | None:
    """`$tex$` (or `$$tex$$` for displayed maths) for MathJax 2's script holding a formula's TeX."""
    kind = script.get("type").replace(" ", "").lower()
    if not kind.startswith("math/tex"):
        return None
    tex = "".join(child for child in script.children if isinstance(child, str)).strip()
    fence = "$$" if "mode=display" in kind else "$"
    return f"{fence}{tex}{fence}"


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _CLOSES_P:
            self._close_open("p", frozenset({"p"}), frozenset())
        if tag in _SELF_CLOSING:
            closes, stoppers = _SELF_CLOSING[tag]
            self._close_open(tag, closes, stoppers)
        parent = self.stack[-1]
        element = Element(
            tag, {name: value or "" for name, value in attrs}, parent, self.getpos()[0]
        )
        parent.children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            if tag == "br":  # `</br>` is read as `<br>`, as browsers do
                self.handle_starttag("br", [])
            return
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return
        # A stray end tag: ignored.

    def _close_open(self, tag: str, closes: frozenset[str], stoppers: frozenset[str]) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            name = self.stack[depth].tag
            if name in closes:
                del self.stack[depth:]
                return
            if name in stoppers or name in _SCOPE:
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(text: str) -> Element:
    """The element tree of an HTML page; its root (tag '#document') holds the top elements."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def page_title(root: Element) -> str:
    """The page's <title>, white space normalised ('' when it has none)."""
    title = root.find("title")
    if title is None:
        return ""
    return " ".join("".join(c for c in title.children if isinstance(c, str)).split())
