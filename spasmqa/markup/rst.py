"""reStructuredText to plain text (a line-based reader of the common subset)."""

from __future__ import annotations

import re

from .common import _RST_LITERAL, Converted, _Builder, _inline_lines, _protected, _source_lines

# -- reStructuredText -------------------------------------------------------

_RST_ADORN = re.compile(r"^([!-/:-@\[-`{-~])\1+\s*$")
_RST_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([A-Za-z][\w:+.-]*)::(?:\s+(.*))?$")
_RST_EXPLICIT = re.compile(r"^(\s*)\.\.(?:\s|$)")
_RST_OPTION = re.compile(r"^\s*:[^:]+:(?:\s.*)?$")
_RST_GRID = re.compile(r"^\s*\+(?:[-=+]+\+)+\s*$")
_RST_SIMPLE_TABLE = re.compile(r"^\s*=+(?:\s+=+)+\s*$")
_RST_FIELD = re.compile(r"^(\s*):([^:`]+):(?:\s+|$)")
_RST_FOOTNOTE = re.compile(r"^(\s*)\.\.\s+\[([^\]]+)\]\s*(.*)$")
_RST_CODE_DIRECTIVES = {"code", "code-block", "sourcecode", "highlight-block", "literalinclude", "doctest", "testcode"}
_RST_DROPPED_DIRECTIVES = {
    "image", "figure", "toctree", "contents", "include", "raw", "math", "highlight", "index",
    "sectnum", "meta", "csv-table", "list-table", "autosummary", "graphviz", "plot", "only", "ifconfig",
    "testsetup", "testcleanup", "testoutput", "tabularcolumns", "default-role", "role", "currentmodule",
    "module", "automodule", "autoclass", "autofunction", "automethod", "autodata", "autoattribute",
}

_RST_INLINE = [
    (re.compile(r":[\w:+.-]+:`([^`<]*?)\s*<[^>`\n]*>`"), r"\1"),          # :role:`title <target>`
    (re.compile(r":[\w:+.-]+:`~(?:[^`]*\.)?([^`.]+)`"), r"\1"),            # :role:`~a.b.C` -> C (Sphinx)
    (re.compile(r":[\w:+.-]+:`!?([^`]*)`"), r"\1"),                        # :role:`text`
    (re.compile(r"`([^`<]*?)\s*<[^>`\n]*>`__?"), r"\1"),                  # `text <url>`_
    (re.compile(r"`([^`]+)`(?:__?|:[\w:+.-]+:)?"), r"\1"),                 # `text`_ / `interpreted`
    (re.compile(r"[ \t]?\[(?:\d+|#[\w-]*|\*|[\w-]+)\]_"), ""),             # footnote/citation refs
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*", re.S), r"\1"),              # **strong**
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])", re.S), r"\1"),  # *emphasis*
    (re.compile(r"\|([^|\s][^|\n]*?)\|(?:__?)?"), r"\1"),                  # |substitution|
    (re.compile(r"(?<![\w`])([A-Za-z0-9]+)__?(?=[\s.,;:!?)\]]|$)"), r"\1"),  # word_ references
    (re.compile(r"\\(.)"), r"\1"),                                         # escapes
]


def _rst_inline(text: str) -> str:
    return _protected(text, _RST_LITERAL, 1, _RST_INLINE)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _rst_is_adornment(line: str, text: str | None = None) -> bool:
    """A line of one repeated punctuation character (at least 3, or as long as ``text``)."""
    s = line.strip()
    if not _RST_ADORN.match(s):
        return False
    return len(s) >= 3 or (text is not None and len(s) >= len(text.strip()))


def rst_to_text(source: str) -> Converted:
    """Convert reStructuredText to plain text with headings, code blocks and lines.

    Section titles are underlined (optionally also overlined) with a
    punctuation character; levels follow the order in which adornment
    styles first appear, as in docutils; the first section title is the
    page title. Literal blocks (after ``::``) and ``code-block``, ``code``,
    ``sourcecode`` directives become code blocks. Comments, targets,
    substitution definitions, and directives without prose (``image``,
    ``toctree``, ``raw``, ``math``, ...) are dropped; the content of other
    directives (``note``, ``warning``, ``function``, ...) is kept as text,
    with the directive's argument as its first line. Grid and simple table
    borders are dropped; cells are joined by `` · ``.

    Examples
    --------
    >>> c = rst_to_text("=====\\nGuide\\n=====\\n\\nRun this::\\n\\n    heat --on\\n\\nDone.\\n")
    >>> c.text, c.title, c.code[0].text
    ('Guide\\n\\nRun this:\\n\\nDone.', 'Guide', 'heat --on')
    """
    lines = [ln.expandtabs(8) for ln in _source_lines(source)]
    n = len(lines)
    b = _Builder()
    styles: list[tuple[str, bool]] = []
    para: list[tuple[str, int]] = []
    literal_next = False
    i = 0

    def level_of(style: tuple[str, bool]) -> int:
        if style not in styles:
            styles.append(style)
        return styles.index(style) + 1

    def flush() -> None:
        nonlocal literal_next
        if not para:
            return
        out = []
        for k, (t, ln) in enumerate(para):
            s = t.strip()
            if k == len(para) - 1 and s.endswith("::"):
                literal_next = True
                s = s[:-2].rstrip() if s == "::" or s[-3:-2].isspace() else s[:-1]
            if "|" in s and (s.startswith("|") and s.endswith("|")):
                s = " · ".join(c.strip() for c in s.strip("|").split("|") if c.strip())
            elif s.startswith("| "):  # line block
                s = s[2:]
            out.append((s, ln))
        b.block(_inline_lines(out, _rst_inline))
        para.clear()

    def skip_indented(j: int, base: int) -> int:
        """First line after the block indented deeper than ``base`` that starts at j."""
        while j < n and (not lines[j].strip() or _indent(lines[j]) > base):
            j += 1
        return j

    while i < n:
        line = lines[i]
        lineno = i + 1
        s = line.strip()
        if not s:
            flush()
            i += 1
            continue
        # A literal block: the indented block after a paragraph ending in "::".
        if literal_next and not para and _indent(line) > 0:
            literal_next = False
            end = skip_indented(i, 0)
            body = lines[i:end]
            ind = min((_indent(ln) for ln in body if ln.strip()), default=0)
            b.add_code([ln[ind:] for ln in body], lineno, None)
            i = end
            continue
        literal_next = False
        # Section title with overline.
        if (
            not para and _rst_is_adornment(line) and i + 2 < n and lines[i + 1].strip()
            and lines[i + 2].rstrip() == line.rstrip() and not _rst_is_adornment(lines[i + 1])
        ):
            b.block([(_rst_inline(lines[i + 1].strip()), i + 2)], heading=level_of((s[0], True)))
            i += 3
            continue
        # Section title with underline only.
        if (
            not para and i + 1 < n and _indent(line) == 0
            and _rst_is_adornment(lines[i + 1], s) and not _rst_is_adornment(line)
        ):
            b.block([(_rst_inline(s), lineno)], heading=level_of((lines[i + 1].strip()[0], False)))
            i += 2
            continue
        if ((not para and _rst_is_adornment(line) and len(s) >= 4) or _RST_GRID.match(line)
                or _RST_SIMPLE_TABLE.match(line)):
            # Transition, grid-table border or simple-table border.
            flush()
            i += 1
            continue
        directive = _RST_DIRECTIVE.match(line)
        if directive and not para:
            base = _indent(line)
            name = directive.group(2).lower().split(":")[-1]
            arg = (directive.group(3) or "").strip()
            j = i + 1
            # options directly below the directive line
            while j < n and lines[j].strip() and _indent(lines[j]) > base and _RST_OPTION.match(lines[j]):
                j += 1
            end = skip_indented(j, base)
            body_lines = lines[j:end]
            if name in _RST_CODE_DIRECTIVES:
                ind = min((_indent(ln) for ln in body_lines if ln.strip()), default=0)
                b.add_code([ln[ind:] for ln in body_lines], j + 1, arg.split()[0] if arg else None)
            elif name not in _RST_DROPPED_DIRECTIVES:
                # Prose directives (note, warning, function, ...): the argument
                # is a line of text and the content is read like the rest of
                # the file, dedented in place so that line numbers stay.
                ind = min((_indent(ln) for ln in body_lines if ln.strip()), default=0)
                for k in range(j, end):
                    lines[k] = lines[k][ind:]
                if arg and j == i + 1:
                    lines[i] = arg  # the argument starts the content's first paragraph
                    continue
                if arg:
                    b.block([(_rst_inline(arg), lineno)])
                i = j
                continue
            i = end
            continue
        if _RST_EXPLICIT.match(line) and not para:
            base = _indent(line)
            foot = _RST_FOOTNOTE.match(line)
            end = skip_indented(i + 1, base)
            if foot and foot.group(3).strip():
                b.block([(_rst_inline(foot.group(3)), lineno)] + [
                    (_rst_inline(lines[k]), k + 1) for k in range(i + 1, end) if lines[k].strip()
                ])
            i = end  # comments, targets, substitution definitions
            continue
        field_match = _RST_FIELD.match(line)
        if field_match and not para:
            s = f"{field_match.group(2).strip()}: {line[field_match.end():].strip()}".strip()
        para.append((s, lineno))
        i += 1
    flush()
    return b.result()


