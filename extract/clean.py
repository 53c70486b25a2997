"""Boilerplate removal: keep the article body of a plain-text or HTML page (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser

# Lines that are page furniture: these words anywhere in a line ...
_FURNITURE_ANYWHERE = re.compile(
    r"all rights reserved|copyright\b|©|\(c\)\s*\d{4}|maintained and developed by|powered by",
    re.IGNORECASE,
)
# ... or these at the start of a line.
_FURNITURE = re.compile(
    r"""^\s*(
        send\ (us\ )?your\ comments? | your\ comment | leave\ a\ (comment|reply) | comments?\s*$
      | share\ (this|on) | follow\ us | subscribe | sign\ up | read\ more | related\ (articles|stories|news)?\s*:?\s*$
      | advertisement | click\ here | most\ (read|popular) | you\ may\ also\ like | tags?\s*:
      | print\ this | email\ this | back\ to\ top | cookie | privacy\ policy | terms\ of\ use
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Teaser headlines stamped with a time ("...investigationGMT 15:51 2018 Friday ,14 December").
_TIMESTAMPED = re.compile(r"(GMT|UTC)\s*\d{1,2}:\d{2}\b|\b\d{1,2}:\d{2}\s*(GMT|UTC|AM|PM)\b", re.I)
# Headers of teaser lists ("Most read", "Related coverage:"): everything after them is navigation.
_TEASER_HEADER = re.compile(
    r"^\s*(?:latest(?:\s+(?:news|headlines|stories|from\b.*))?|most\s+(?:read|viewed|popular|shared)|related(?:\s+\w+)?"
    r"|also\s+(?:on|in|read)\b.*|more\s+(?:from|on|stories|news)\b.*|read\s+(?:also|more|next)|see\s+also|recommended|trending"
    r"|top\s+stories|you\s+(?:may|might)\s+also\s+like|editor'?s\s+picks?|in\s+other\s+news)\s*:?\s*$",
    re.IGNORECASE,
)
_SOURCE_LINE = re.compile(r"^\s*(source|sources|via)\s*:\s*(?P<source>[^\n]{1,60}?)\s*$", re.I)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s*$")


@dataclass(frozen=True)
class CleanText:
    """An article body and what the page said about itself."""

    text: str
    source: str | None = None
    title: str | None = None
    report_date: date | None = None
    note: str = ""  # how the text was got, when not the usual way (the HTML fallback)


def _is_prose(line: str) -> bool:
    """A line of running text.

    It ends a sentence, or it is long and mostly lower-case words (a paragraph cut off mid-sentence,
    unlike a headline or a menu).
    """
    if len(line) < 40 or _TIMESTAMPED.search(line):
        return False
    if _SENTENCE_END.search(line):
        return True
    words = line.split()
    return len(words) >= 15 and sum(w[:1].islower() for w in words) >= 0.6 * len(words)


def clean_plain_text(raw: str) -> CleanText:
    r"""Drop page boilerplate from plain text: furniture lines, and the tail after the article.

    The article ends at its last prose line; what follows (teaser headlines, copyright, comment
    prompts) is dropped, so none of it can yield a place, party or date.

    Examples
    --------
    >>> clean_plain_text("Rebels took the town on Sunday, officials said.\nSource: AFP\n"
    ...                  "Headline oneGMT 16:04 2018 Friday ,14 December").text
    'Rebels took the town on Sunday, officials said.'
    """
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    source = None
    kept: list[str] = []
    for line in lines:
        found = _SOURCE_LINE.match(line)
        if found:
            source = source or found.group("source")
            kept.append("")
            continue
        if _FURNITURE.search(line) or _FURNITURE_ANYWHERE.search(line) or _TIMESTAMPED.search(line):
            kept.append("")
            continue
        kept.append(line.rstrip())
    for index, line in enumerate(kept):
        if _TEASER_HEADER.match(line) and any(_is_prose(previous) for previous in kept[:index]):
            kept = kept[:index]
            break
    last_prose = max((i for i, line in enumerate(kept) if _is_prose(line)), default=-1)
    if last_prose >= 0:
        # Short trailing lines after the article are teasers, captions or navigation.
        kept = kept[: last_prose + 1]
    text = "\n".join(kept)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return CleanText(text=text, source=source)


def clean_html(html: str) -> CleanText:
    """Extract the main text, title and publication date of an HTML page.

    Uses trafilatura for the article body and htmldate for the date (see docs/design.md for why).
    The extracted body is cleaned again as plain text, which drops teaser lists trafilatura keeps.
    """
    try:
        import trafilatura
        from htmldate import find_date
    except ImportError as error:  # a broken install: read the page plainly rather than fail every page
        return _plain_html(html, f"HTML read without trafilatura ({str(error).splitlines()[0]}): "
                                 "reinstall borderwatch to get main-text extraction")
    body = trafilatura.extract(html, include_comments=False, include_tables=False,
                               favor_precision=True, deduplicate=True) or ""
    if not body.strip():
        body = trafilatura.html2txt(html) or ""
    metadata = trafilatura.extract_metadata(html)
    title = metadata.title if metadata is not None else None
    found = None
    try:
        found = find_date(html, extensive_search=False, original_date=True, outputformat="%Y-%m-%d")
    except (ValueError, TypeError):
        found = None
    plain = clean_plain_text(body)
    return CleanText(text=plain.text, source=plain.source,
                     title=title, report_date=date.fromisoformat(found) if found else None)


class _TextOfPage(HTMLParser):
    """The visible text of a page, one line per block element, without scripts, styles and navigation."""

    _SKIP = {"script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form", "svg"}
    _BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "article", "section",
              "blockquote", "pre", "dd", "dt", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._skipping = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self._skipping += 1
        elif tag == "title":
            self._in_title = True
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag == "title":
            self._in_title = False
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if self._in_title:
            self.title.append(data)
        elif not self._skipping:
            self.parts.append(data)


def _plain_html(html: str, note: str) -> CleanText:
    """The standard library's reading of a page: visible text by block, then the plain-text cleaning.

    Examples
    --------
    >>> cleaned = _plain_html("<html><title>T</title><nav>Home</nav><p>Rebels seized Nasib on Sunday, "
    ...                       "officials said.</p><script>x()</script></html>", "why")
    >>> cleaned.text, cleaned.title, cleaned.note
    ('Rebels seized Nasib on Sunday, officials said.', 'T', 'why')
    """
    parser = _TextOfPage()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup: keep what it read
        pass
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    plain = clean_plain_text("\n".join(line for line in lines if line))
    title = " ".join("".join(parser.title).split()) or None
    return CleanText(text=plain.text, source=plain.source, title=title, note=note)
