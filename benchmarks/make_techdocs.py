"""Write the techdocs corpus: Python reference topics as Markdown files.

    python benchmarks/make_techdocs.py [--out spasmqa/data/techdocs]

The source is the Python documentation as shipped inside CPython itself,
``pydoc_data.topics`` (the text ``help("with")`` prints: Sphinx's plain-text
rendering of the Language Reference and Library Reference sections). Each
topic below becomes one Markdown file: the topic's heading is the title
(``# ...``), its sections are headings (``##``, ``###``), API entries
(``object.__enter__(self)``, ``str.split(sep=None, maxsplit=-1)``) are
headings one level below their section, literal blocks (grammar
productions, examples, doctests) are fenced code blocks, grid tables are pipe
tables, and inline literals (``"__init__()"`` in the plain text) are Markdown
code spans. The words are not changed.

The corpus was generated ONCE with this script and the files are frozen in
the package (``spasmqa/data/techdocs``), so the labelled questions
(``spasmqa/data/questions_techdocs.jsonl``) stay valid whatever Python runs
the tests; rerunning it on another Python version gives other text. The
version it was made from is written into ``spasmqa/data/techdocs/README.md``.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

# Topics (pydoc_data.topics keys), chosen so that no page repeats another:
# "compound" (all compound statements), "else" and "augassign" are left out
# for the statement pages; the parts of "specialnames" and of "execmodel"
# ("customization", "context-managers", "naming", "exceptions", ...) for
# their whole pages; "typesseq-mutable" and "id-classes" are inside
# "typesseq" and "identifiers"; "in" is inside "comparisons".
TOPICS = [
    # simple and compound statements
    "assert", "assignment", "async", "break", "class", "continue", "del", "for", "function", "global", "if",
    "import", "nonlocal", "pass", "raise", "return", "try", "while", "with", "yield",
    # execution and data model
    "execmodel", "objects", "types", "specialnames", "specialattrs",
    # expressions
    "atom-identifiers", "atom-literals", "attribute-references", "await", "binary", "bitwise", "booleans", "calls",
    "comparisons", "conversions", "dict", "exprlists", "lambda", "lists", "operator-summary", "power", "shifting",
    "slicings", "subscriptions", "unary",
    # lexical analysis
    "identifiers", "floating", "imaginary", "integers", "numbers", "strings",
    # built-in types
    "truth", "typesseq", "typesmapping", "string-methods", "typesfunctions", "typesmethods", "typesmodules",
    "bltin-code-objects", "bltin-ellipsis-object", "bltin-null-object", "bltin-type-objects",
    # library
    "formatstrings", "debugger",
]

_LEVELS = {"*": 1, "=": 2, "-": 3, "~": 4, "^": 5}
_ADMONITIONS = ("Note:", "Notes:", "Warning:", "See also:", "Caution:", "Important:", "Tip:", "Attention:")
# An API entry: "object.__enter__(self)", "class dict(**kwargs)", "str.upper()", "object.__dict__",
# "exception StopIteration", "definition.__name__", "pdb.run(statement, globals=None, locals=None)".
_SIGNATURE = re.compile(r"^(?:(?:class|exception|async|await|abstractmethod|classmethod|staticmethod)\s+)?"
                        r"[A-Za-z_][\w.]*(?:\(.*\)|\.[A-Za-z_]\w*)(?:\s*->\s*\S.*)?$")
_LIST = re.compile(r"^(\* |\d{1,2}\. )")
_LITERAL = re.compile(r'"([^"\n]+)"')


_FOOTNOTE = re.compile(r"^\[(\d+)\] ")


def _is_term(block: list[str]) -> bool:
    """A term or API entry: short lines, no sentence, no literal-block marker."""
    return all(len(x.strip()) <= 80 for x in block) and not block[-1].rstrip().endswith((".", ":", ",")) \
        and (len(block) == 1 or all(_SIGNATURE.match(x.strip()) for x in block)) \
        and not block[0].strip().startswith((">>>", "[", "*", "#"))


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())


def _looks_like_prose(block: list[str]) -> bool:
    """Wrapped sentences rather than code: words, few symbols, ends like a sentence.

    A definition-list item (a term, then its description indented below it) is prose too.
    """
    if len(block) > 1 and _is_term([block[0]]) and all(_indent_of(x) > _indent_of(block[0]) for x in block[1:]) \
            and _looks_like_prose([x.strip() for x in block[1:]]):
        return True
    text = " ".join(x.strip() for x in block)
    if block[0].strip().startswith((">>>", "(Pdb)", "$", "#", "...")) or "::=" in text or " # " in text:
        return False
    if any(x.rstrip().endswith(":") and _indent_of(y) > _indent_of(x) for x, y in zip(block, block[1:])):
        return False
    words = re.findall(r"[A-Za-z][a-z]+", text)
    if len(words) < 3 * len(block) or len(words) < 3:
        return False
    if text.rstrip().endswith((".", ":", ".)")):
        return True
    return not re.search(r"=|;|->|\w\(", text) and len(words) >= 4 * len(block)


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks as (indent, lines); headings are blocks of their own."""
    out, cur = [], []
    for line in lines + [""]:
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            out.append(cur)
            cur = []
    return [(min(len(x) - len(x.lstrip()) for x in b), b) for b in out]


def _heading(block: list[str]) -> int | None:
    if len(block) == 2 and block[1] and block[1][0] in _LEVELS and set(block[1]) == {block[1][0]} \
            and len(block[1]) == len(block[0]) and not block[0].startswith(" "):
        return _LEVELS[block[1][0]]
    return None


def _join(lines: list[str]) -> str:
    """Unwrap lines into one (a line broken after a hyphen joins without a space)."""
    text = ""
    for raw in lines:
        line = raw.strip()
        if text.endswith("-") and len(text) > 1 and text[-2].isalnum():
            text += line
        else:
            text += (" " if text else "") + line
    return text


def _code_span(body: str) -> str:
    ticks = "``" if "`" in body else "`"
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{ticks}{pad}{body}{pad}{ticks}"


def _inline(text: str) -> str:
    """Literals ("x" in the plain-text rendering) as code spans; other Markdown syntax escaped."""
    if text.count('"') % 2:
        parts = [text]
    else:
        parts = _LITERAL.split(text)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(_code_span(part))
        else:
            part = part.replace("\\", "\\\\").replace("<", "&lt;").replace("[", "\\[")
            part = re.sub(r"\s*\\\[(\d{1,2})\](?!\()", r"[^\1]", part)  # a footnote reference: [^1]
            # Names that start with an underscore (__slots__, _thread) would read as emphasis: code spans.
            part = re.sub(r"\*(_+[A-Za-z0-9][\w.]*)\*", r"`\1`", part)
            part = re.sub(r"(?<![\w`*\\])(_+[A-Za-z0-9]\w*)", r"`\1`", part)
            out.append(part)
    return "".join(out)


def _table(block: list[str], indent: int) -> list[str]:
    """A grid table (+---+ borders) as a pipe table."""
    rows = [x[indent:] for x in block]
    cols = [i for i, ch in enumerate(rows[0]) if ch == "+"]
    groups: list[list[str]] = []
    header = 0
    cur: list[str] = []
    for row in rows[1:]:
        if row.startswith("+") or row.startswith("|="):
            if cur:
                groups.append(cur)
                cur = []
            if row.startswith("|=") or row.startswith("+="):
                header = len(groups)
            continue
        cur.append(row)
    cells = []
    for group in groups:
        cells.append([_inline(_join([r[a + 1:b] for r in group])).replace("|", "\\|").strip() or " "
                      for a, b in zip(cols, cols[1:])])
    if not header:
        header = 1
    out = ["| " + " | ".join(c) + " |" for c in cells[:header]]
    out.append("|" + "---|" * (len(cols) - 1))
    out += ["| " + " | ".join(c) + " |" for c in cells[header:]]
    return out


def convert(text: str) -> str:
    """One pydoc topic (Sphinx plain text) as Markdown."""
    blocks = _blocks(text.splitlines())
    out: list[str] = []
    section = 1
    stack = [0]  # the indents at which text is prose here (bodies of entries, notes, list items)
    i = 0
    while i < len(blocks):
        indent, block = blocks[i]
        nxt = blocks[i + 1][0] if i + 1 < len(blocks) else -1
        level = _heading(block)
        if level is not None:
            section = level
            stack = [0]
            out.append("#" * level + " " + _inline(block[0].strip()))
            i += 1
            continue
        first = block[0].strip()
        if first.startswith("-[") and first.endswith("]-"):  # a rubric: "-[ Footnotes ]-"
            out.append("#" * min(section + 1, 6) + " " + _inline(first[2:-2].strip()))
            stack = [0]
            i += 1
            continue
        while len(stack) > 1 and indent < stack[-1]:
            stack.pop()
        if first.startswith("+-") or first.startswith("+="):
            out += _table(block, indent)
            i += 1
            continue
        if indent > stack[-1] and _looks_like_prose(block) and not _is_term(block):
            stack.append(indent)  # prose under something that is not marked up as its owner
        if indent > stack[-1] or "::=" in "\n".join(block) or first.startswith(">>>"):
            # A literal block: more indented than the prose around it. It runs on over
            # blank lines while the following blocks stay deeper than the prose.
            base = indent
            body = [x[base:] for x in block]
            j = i + 1
            while j < len(blocks) and blocks[j][0] > stack[-1] and _heading(blocks[j][1]) is None \
                    and not blocks[j][1][0].strip().startswith("+-"):
                base = min(base, blocks[j][0])
                body += [""] + blocks[j][1]
                j += 1
            body = [x[base:] if x.startswith(" " * base) else x.strip() for x in [*block, *body[len(block):]]]
            out += ["```", *body, "```"]
            i = j
            continue
        if nxt > indent and _is_term(block) and _looks_like_prose(blocks[i + 1][1]):
            # An API entry or a term ("object.__enter__(self)", "b(reak) [lineno]", "numbers.Integral")
            # with its description below it: a heading over the description.
            out.append("#" * min(section + 1, 6) + " " + ", ".join(
                _inline(x.strip()) if '"' in x or "`" in x else f"`{x.strip()}`" for x in block))
            stack.append(nxt)
            i += 1
            continue
        footnote = _FOOTNOTE.match(first)
        if footnote:  # a footnote: "[^1]: text"
            out.append(f"[^{footnote.group(1)}]: " + _inline(_join(block)[len(footnote.group(0)):]))
            out.append("")
            stack.append(indent + len(footnote.group(0)))
            i += 1
            continue
        if first in _ADMONITIONS and len(block) == 1 and nxt > indent:
            # "Note:" and its body: the label starts the body's first paragraph.
            stack.append(nxt)
            out.append(f"**{first}**")  # joined with the next paragraph below
            i += 1
            continue
        marker = _LIST.match(first)
        if marker:
            width = len(marker.group(1))
            items: list[tuple[str, list[str]]] = []
            for line in block:
                m = _LIST.match(line[indent:])
                if m and len(line) - len(line.lstrip()) == indent:
                    items.append((m.group(1).strip(), [line[indent + len(m.group(1)):]]))
                else:
                    items[-1][1].append(line)
            for lead, item in items:
                out.append(f"{'-' if lead == '*' else lead} {_inline(_join(item))}")
            out.append("")
            stack.append(indent + width)
            i += 1
            continue
        deeper = [k for k, x in enumerate(block) if k and len(x) - len(x.lstrip()) > indent]
        if deeper and deeper[0] == 1 and len(block[0]) - len(block[0].lstrip()) == indent:
            # A definition list item: the term, then its definition.
            out.append(_inline(first))
            out.append("")
            out.append(_inline(_join(block[1:])))
            stack.append(len(block[1]) - len(block[1].lstrip()))
        else:
            out.append(_inline(_join(block)))
        out.append("")
        i += 1
    # Tidy: one blank line between blocks, headings and fences set apart, "Note:" joined.
    md: list[str] = []
    for line in out:
        if md and md[-1].startswith("**") and md[-1].endswith(":**") and line and not line.startswith(("#", "```")):
            md[-1] = md[-1] + " " + line
            continue
        md.append(line)
    text = "\n".join(md)
    text = re.sub(r"\n*(^#{1,6} .*$)\n*", r"\n\n\1\n\n", text, flags=re.M)
    text = re.sub(r"\n*^```\n(.*?)^```$\n*", lambda m: "\n\n```\n" + m.group(1) + "```\n\n", text, flags=re.M | re.S)
    text = re.sub(r"(\n\s*){3,}", "\n\n", text)
    return text.strip() + "\n"


NOTICE = """\
# techdocs: Python reference topics (a converted excerpt of the Python documentation)

The {n} Markdown files in `pages/` are topics of the Python {version} documentation
(the Python Language Reference and the Library Reference) as shipped inside CPython
in `pydoc_data.topics`, the text that `help("with")` prints. They are the
corpus of spasmqa's third labelled question set,
`spasmqa/data/questions_techdocs.jsonl`.

Copyright (c) 2001-2023 Python Software Foundation; All Rights Reserved.
The documentation is distributed under the PSF License Agreement, version 2
(the code examples in it also under the Zero-Clause BSD license); both are in
`LICENSE` beside this file.

Changes made (PSF License, clause 3): this is an unmodified excerpt in its
words, converted in format only by `benchmarks/make_techdocs.py` of the spasmqa
repository: one file per topic; Sphinx's plain-text headings, literal blocks,
grid tables, footnotes and inline literals (`"__init__()"`) are written as
Markdown headings, fenced code blocks, pipe tables, footnotes and code spans;
API entries (`object.__enter__(self)`) become headings over their description;
lines are unwrapped. Only the topics listed below were taken.

Topics (`pydoc_data.topics` keys): {topics}.
"""


def _license() -> str:
    """The PSF License and the 0BSD notice for documentation code, from this Python's LICENSE.txt."""
    import sysconfig

    text = (Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt").read_text(encoding="utf-8")
    psf = text[text.index("PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2"):text.index("BEOPEN.COM LICENSE AGREEMENT")]
    bsd = text[text.index("ZERO-CLAUSE BSD LICENSE FOR CODE IN THE PYTHON DOCUMENTATION"):]
    return psf.rstrip() + "\n\n\n" + bsd.rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    import pydoc_data.topics

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "spasmqa" / "data" / "techdocs"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    pages = out / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    for topic in TOPICS:
        (pages / f"{topic}.md").write_text(convert(pydoc_data.topics.topics[topic]), encoding="utf-8")
    version = ".".join(map(str, sys.version_info[:3]))
    (out / "README.md").write_text(NOTICE.format(version=version, n=len(TOPICS),
                                                 topics=", ".join(f"`{t}`" for t in TOPICS)), encoding="utf-8")
    (out / "LICENSE").write_text(_license(), encoding="utf-8")
    print(f"wrote {len(TOPICS)} pages to {pages} from Python {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
