"""Feed HTML as the Markdown digest.notes.parse reads: headings, nested lists,
links, tables, line breaks (pure)."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _MarkdownWriter(HTMLParser):
    """HTML to the Markdown the parser reads: headings, nested lists, links, tables."""

    BLOCKS = frozenset({"p", "div", "section", "article", "blockquote", "pre", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line = ""
        self.lists: list[tuple[str, int]] = []  # (tag, items so far) per open list
        self.indent = ""  # continuation indent of the current list item
        self.links: list[str | None] = []
        self.row: list[str] | None = None
        self.cell: str | None = None
        self.rows_in_table = 0
        self.pre = 0
        self.skip = 0  # inside <script>/<style>

    # lines
    def _flush(self) -> None:
        text = self.line.rstrip()
        if text.strip():
            self.lines.append(text)
        self.line = ""

    def _blank(self) -> None:
        self._flush()
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def _emit(self, text: str) -> None:
        if not self.pre and text.startswith(" ") and (self.cell or self.line).endswith(" "):
            text = text.lstrip(" ")  # HTML collapses whitespace runs
        if self.cell is not None:
            self.cell += text
            return
        if not self.line:
            text = text.lstrip() if not self.pre else text
            if not text:
                return
            self.line = self.indent
        self.line += text

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._blank()
            self.line = "#" * int(tag[1]) + " "
        elif tag in ("ul", "ol"):
            if not self.lists:
                self._blank()
            else:
                self._flush()
            self.lists.append((tag, 0))
        elif tag == "li":
            self._flush()
            depth = max(len(self.lists) - 1, 0)
            kind, count = self.lists[-1] if self.lists else ("ul", 0)
            if self.lists:
                self.lists[-1] = (kind, count + 1)
            marker = f"{count + 1}. " if kind == "ol" else "- "
            self.line = " " * (4 * depth) + marker
            self.indent = " " * (4 * depth + len(marker))
        elif tag == "input" and dict(attrs).get("type") == "checkbox":
            self._emit("[x] " if "checked" in dict(attrs) else "[ ] ")
        elif tag == "br":
            self._flush()
        elif tag in self.BLOCKS:
            if tag == "pre":
                self.pre += 1
            if not self.lists:
                self._blank()
            else:
                self._flush()
        elif tag == "table":
            self._blank()
            self.rows_in_table = 0
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.cell = ""
        elif tag == "a":
            href = dict(attrs).get("href")
            self.links.append(href if href and href.startswith(("http", "mailto:")) else None)
            if self.links[-1]:
                self._emit("[")
        elif tag in ("strong", "b"):
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag in ("del", "s", "strike"):
            self._emit("~~")  # a finished action, struck through
        elif tag == "code" and not self.pre:
            self._emit("`")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._flush()
            self.lines.append("")
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            self.indent = " " * (4 * len(self.lists)) if self.lists else ""
            if not self.lists:
                self.lines.append("")
        elif tag == "li":
            self._flush()
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self._blank()
        elif tag in ("td", "th"):
            if self.row is not None and self.cell is not None:
                self.row.append(" ".join(self.cell.split()).replace("|", "\\|"))
            self.cell = None
        elif tag == "tr":
            if self.row:
                self.lines.append("| " + " | ".join(self.row) + " |")
                if self.rows_in_table == 0:
                    self.lines.append("|" + " --- |" * len(self.row))
                self.rows_in_table += 1
            self.row = None
        elif tag == "table":
            self.lines.append("")
        elif tag in self.BLOCKS:
            self._blank()
        elif tag == "a":
            href = self.links.pop() if self.links else None
            if href:
                self._emit(f"]({href})")
        elif tag in ("strong", "b"):
            self._emit("**")
        elif tag in ("em", "i"):
            self._emit("*")
        elif tag in ("del", "s", "strike"):
            self._emit("~~")
        elif tag == "code" and not self.pre:
            self._emit("`")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            for i, part in enumerate(data.split("\n")):
                if i:
                    self._flush()
                self._emit(part)
            return
        text = re.sub(r"\s+", " ", data)
        if text.strip() or (self.line.strip() and text == " "):
            self._emit(text)

    def result(self) -> str:
        self._flush()
        out: list[str] = []
        for line in self.lines:
            if line == "" and (not out or out[-1] == ""):
                continue
            out.append(line)
        while out and out[-1] == "":
            out.pop()
        return "\n".join(out) + "\n" if out else ""


def html_to_markdown(html: str) -> str:
    """HTML (a feed entry) as Markdown-ish text that digest.notes.parse understands (pure)."""
    writer = _MarkdownWriter()
    writer.feed(html)
    writer.close()
    return writer.result()
