"""Markdown, reStructuredText, HTML, Parquet and DataFrames as corpora."""

import doctest
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spasmqa import corpus as corpus_module
from spasmqa import markup
from spasmqa.corpus import Corpus, load_corpus
from spasmqa.markup import html_to_text, markdown_to_text, rst_to_text

MD = """\
---
title: front matter is skipped
---
# Back pain guide

Some *intro* text with a [link](http://a.b/c_(d)), `inline code` and **bold**.
Second line of it.

Install
-------

- item one
- item __two__

| drug | dose |
|------|------|
| ibuprofen | 400 mg |

```python
import heat
heat.apply()
```

    indented code

> Quoted advice.

<!-- a comment
over two lines -->
Final paragraph &amp; more.
"""

RST = """\
==========
Main Title
==========

Intro with ``literal``, `a link <http://x>`_ and :func:`spam`.

Section one
-----------

Example::

    x = 1
    y = 2

.. note:: Be careful
   with heat.

.. code-block:: python
   :linenos:

   print("hi")

.. image:: a.png
   :alt: pic

.. _target:

.. a comment
   that goes on

Sub section
~~~~~~~~~~~

Last words.
"""

HTML = """\
<!DOCTYPE html>
<html><head><title>The  Page</title><style>p { color: red }</style>
<script>var s = "<p>not text</p>";</script></head>
<body><h1>Heat</h1>
<p>Use <b>heat</b> &amp; ice,
   not both.</p>
<ul><li>one</li><li>two</li></ul>
<table><tr><th>drug</th><th>dose</th></tr><tr><td>ibuprofen</td><td>400 mg</td></tr></table>
<pre>
x = 1
y = 2
</pre>
<h2>More</h2><p>End.</p></body></html>
"""


def lines_of(source):
    return source.split("\n")


def test_markdown_conversion():
    c = markdown_to_text(MD)
    assert c.text.split("\n\n") == [
        "Back pain guide",
        "Some intro text with a link, inline code and bold.\nSecond line of it.",
        "Install",
        "- item one\n- item two",
        "drug · dose\nibuprofen · 400 mg",
        "Quoted advice.",
        "Final paragraph & more.",
    ]
    assert c.title == "Back pain guide"
    assert c.headings == ((0, 1, "Back pain guide"), (c.text.index("Install"), 2, "Install"))
    assert [(b.text, b.line, b.language) for b in c.code] == [
        ("import heat\nheat.apply()", 20, "python"), ("indented code", 24, None)]
    src = lines_of(MD)
    for word, expect in [("Second", "Second line of it."), ("ibuprofen", "| ibuprofen | 400 mg |"),
                         ("Quoted", "> Quoted advice."), ("Final", "Final paragraph &amp; more.")]:
        assert src[c.line_at(c.text.index(word)) - 1] == expect
    assert c.heading_path(c.text.index("Final")) == ("Back pain guide", "Install")


def test_rst_conversion():
    c = rst_to_text(RST)
    assert c.text.split("\n\n") == [
        "Main Title", "Intro with literal, a link and spam.", "Section one", "Example:",
        "Be careful\nwith heat.", "Sub section", "Last words.",
    ]
    assert c.title == "Main Title"
    assert [(lv, t) for _, lv, t in c.headings] == [(1, "Main Title"), (2, "Section one"), (3, "Sub section")]
    assert [(b.text, b.line, b.language) for b in c.code] == [("x = 1\ny = 2", 12, None), ('print("hi")', 21, "python")]
    src = lines_of(RST)
    assert src[c.line_at(c.text.index("with heat")) - 1] == "   with heat."
    assert src[c.line_at(c.text.index("Last")) - 1] == "Last words."
    assert c.heading_path(c.text.index("Last")) == ("Main Title", "Section one", "Sub section")


def test_rst_levels_follow_first_appearance():
    c = rst_to_text("A\n###\n\nB\n***\n\nC\n###\n\nD\n***\n")
    assert [(lv, t) for _, lv, t in c.headings] == [(1, "A"), (2, "B"), (1, "C"), (2, "D")]


def test_html_conversion():
    c = html_to_text(HTML)
    assert c.text.split("\n\n") == [
        "Heat", "Use heat & ice,\nnot both.", "one\ntwo", "drug · dose\nibuprofen · 400 mg", "More", "End."]
    assert c.title == "The Page"
    assert c.headings == ((0, 1, "Heat"), (c.text.index("More"), 2, "More"))
    assert [(b.text, b.line) for b in c.code] == [("x = 1\ny = 2", 10)]
    src = lines_of(HTML)
    assert "not both" in src[c.line_at(c.text.index("not both")) - 1]
    assert "End." in src[c.line_at(c.text.index("End")) - 1]
    assert html_to_text("<h1>Only heading</h1><p>x</p>").title == "Only heading"


def test_doctests_of_new_modules():
    from spasmqa import filters, languages

    for module in (markup, corpus_module, filters, languages):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__


def test_load_markup_files(tmp_path):
    (tmp_path / "guide.md").write_text(MD, encoding="utf-8")
    (tmp_path / "ref.rst").write_text(RST, encoding="utf-8")
    (tmp_path / "page.html").write_text(HTML, encoding="utf-8")
    (tmp_path / "old.htm").write_text("<p>Old page.</p>", encoding="utf-8")
    corpus = load_corpus(tmp_path)
    assert not corpus.problems
    ids = list(corpus)
    assert ids[:8] == [f"guide.md#{i}" for i in range(1, 8)] + ["guide.md#code-1"]
    assert "ref.rst#code-2" in ids and "page.html#code-1" in ids and "old.htm#1" in ids
    doc = corpus["guide.md#7"]
    assert doc.text == "Final paragraph & more." and doc.kind == "text" and doc.title == "Back pain guide"
    assert doc.breadcrumb() == "Back pain guide › Install"
    assert lines_of(MD)[doc.line_at(0) - 1] == "Final paragraph &amp; more."
    code = corpus["guide.md#code-1"]
    assert code.kind == "code" and code.text == "import heat\nheat.apply()"
    assert code.line_at(0) == 20 and code.line_at(code.text.index("heat.apply")) == 21
    assert code.heading_path() == ("Back pain guide", "Install")
    # no code in any text document
    for d in corpus.values():
        if d.kind == "text":
            assert "import heat" not in d.text and "print(" not in d.text and "x = 1" not in d.text
    page = corpus["page.html#2"]
    assert page.title == "The Page" and page.heading_path() == ("Heat",)
    assert corpus["ref.rst#4"].text == "Example:" and corpus["ref.rst#4"].heading_path() == ("Main Title", "Section one")


def test_markup_file_split(tmp_path):
    f = tmp_path / "guide.md"
    f.write_text(MD, encoding="utf-8")
    corpus = load_corpus(f, split="file")
    assert list(corpus) == ["guide.md", "guide.md#code-1", "guide.md#code-2"]
    doc = corpus["guide.md"]
    assert doc.text == markdown_to_text(MD).text
    for pos, _level, text in doc.headings:
        assert doc.text[pos:pos + len(text)] == text
    assert doc.heading_path(doc.text.index("Final")) == ("Back pain guide", "Install")


def test_text_extensions(tmp_path):
    (tmp_path / "notes.adoc").write_text("= Title\n\nPlain words.", encoding="utf-8")
    (tmp_path / "a.md").write_text("# Head\n\n*x*", encoding="utf-8")
    with pytest.warns(UserWarning, match=r"text_extensions=\('.adoc',\)"):
        corpus = load_corpus(tmp_path)
    assert corpus.problems[0].category == "unsupported type"
    corpus = load_corpus(tmp_path, text_extensions=(".adoc",))
    assert corpus["notes.adoc#1"].text == "= Title" and not corpus.problems
    assert load_corpus(tmp_path, text_extensions="adoc,.md")["a.md#2"].text == "*x*"  # .md read as plain text
    assert load_corpus(tmp_path / "notes.adoc", text_extensions=[".ADOC"])["notes.adoc#2"].text == "Plain words."
    with pytest.raises(TypeError, match="text_extensions"):
        load_corpus(tmp_path, text_extensions=[3])


def test_markdown_with_only_code(tmp_path):
    f = tmp_path / "c.md"
    f.write_text("```\nonly code\n```\n", encoding="utf-8")
    assert list(load_corpus(f)) == ["c.md#code-1"]


# -- properties ---------------------------------------------------------------------

_md_pieces = st.sampled_from([
    "# ", "## ", "###### ", "```", "~~~", "    ", "- ", "1. ", "> ", "|", "---", "===", "*", "**", "_", "`",
    "[", "](", ")", "<!--", "-->", "<b>", "</b>", "&amp;", "\\", "\n", "\n\n", " ", "\t", "word", "Ü", "é",
    "..", ".. ", "::", ".. code-block:: py", ":role:`x`", "``", "+---+", "\r\n", "\u2028", "\x0c",
    "<p>", "</p>", "<pre>", "</pre>", "<h1>", "</h1>", "<h3>", "</h3>", "<title>", "</title>", "<li>",
    "<script>", "</script>", "<head>", "<body>", "<br>", "<td>", "<!DOCTYPE html>", "&#0;", "&lt;", "&#10;", "&NewLine;",
])
_sources = st.one_of(st.text(max_size=300), st.lists(_md_pieces | st.text(max_size=5), max_size=60).map("".join))


def _check_converted(source, c):
    nlines = source.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1
    text = c.text
    for block in text.split("\n\n") if text else []:
        assert block, "empty block"
        for line in block.split("\n"):
            assert line and line == line.strip(), repr(line)
    assert "\n\n\n" not in text
    offsets = [o for o, _ in c.line_map]
    assert offsets == sorted(offsets) and all(0 <= o <= len(text) for o in offsets)
    for pos in range(0, len(text) + 1, max(1, len(text) // 20)):
        line = c.line_at(pos)
        if text:
            assert 1 <= line <= nlines
    for pos, level, heading in c.headings:
        assert level >= 1 and text[pos:pos + len(heading)] == heading
    for block in c.code:
        assert 1 <= block.line <= nlines and block.text and 0 <= block.offset <= len(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_sources)
def test_converters_never_crash_and_stay_in_range(source):
    for convert in (markdown_to_text, rst_to_text, html_to_text):
        _check_converted(source, convert(source))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(source=_sources, suffix=st.sampled_from([".md", ".rst", ".html"]))
def test_loaded_markup_documents_are_consistent(tmp_path_factory, source, suffix):
    if not _encodable(source):
        return
    f = tmp_path_factory.mktemp("m") / f"x{suffix}"
    f.write_text(source, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        corpus = load_corpus(f)
    converted = markup.convert(source, markup.FORMATS[suffix])
    for doc in corpus.values():
        assert doc.text.strip() and doc.line_at(0) is not None
        if doc.kind == "text":  # a paragraph of the converted text, at its offset
            assert doc.text.strip() == doc.text
            assert converted.text[doc.offset:doc.offset + len(doc.text)] == doc.text
            assert doc.line_at(0) == converted.line_at(doc.offset)
        else:
            assert doc.text in [b.text for b in converted.code]
        for pos, _level, heading in doc.headings:
            assert pos == 0 or doc.text[pos:pos + len(heading)] == heading


def _encodable(s):
    try:
        s.encode("utf-8")
        return "\x00" not in s
    except UnicodeEncodeError:
        return False


# -- Parquet and DataFrames ---------------------------------------------------------

def test_from_frame():
    df = pd.DataFrame({"id": [1, 2], "text": ["Heat helps.", "Ice helps."], "title": ["Heat", None],
                       "year": [2020, 2021], "lang": ["en", None], "score": [0.5, float("nan")]})
    c = Corpus.from_frame(df, title="title")
    assert list(c) == ["1", "2"]
    assert c["1"].text == "Heat\n\nHeat helps." and c["1"].title == "Heat" and c["2"].title is None
    assert dict(c["1"].metadata) == {"year": 2020, "lang": "en", "score": 0.5}
    assert dict(c["2"].metadata) == {"year": 2021, "lang": None, "score": None}
    assert type(c["1"].metadata["year"]) is int
    with pytest.raises(TypeError):
        c["1"].metadata["year"] = 1  # read-only
    only = Corpus.from_frame(df, metadata=["year"])
    assert dict(only["1"].metadata) == {"year": 2020}


@pytest.mark.parametrize("frame,kwargs,msg", [
    ({"id": [1], "body": ["x"]}, {}, r"no text column 'text'; columns are \['id', 'body'\]"),
    ({"key": [1], "text": ["x"]}, {}, "no id column 'id'"),
    ({"id": [1], "text": [5]}, {}, r"column 'text' \(text\) must hold text, got dtype int64"),
    ({"id": [1, 2], "text": ["x", None]}, {}, r"row 1: null text in column 'text'"),
    ({"id": [1, 2], "text": ["x", 3]}, {}, r"row 1: column 'text' must hold strings, got int"),
    ({"id": [1, 1], "text": ["x", "y"]}, {}, r"row 1: duplicate id '1' \(first in row 0\)"),
    ({"id": [1, None], "text": ["x", "y"]}, {}, r"row 1: null id"),
    ({"id": [1], "text": ["x"]}, {"title": "head"}, "no title column 'head'"),
    ({"id": [1], "text": ["x"]}, {"metadata": ["nope"]}, "no metadata column 'nope'"),
])
def test_from_frame_errors(frame, kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        Corpus.from_frame(pd.DataFrame(frame), **kwargs)
    with pytest.raises(TypeError, match="DataFrame"):
        Corpus.from_frame({"id": [1]})


def test_from_frame_row_label_in_error():
    df = pd.DataFrame({"id": ["a", "b"], "text": ["x", None]}, index=["r1", "r2"])
    with pytest.raises(ValueError, match=r"row 1 \(index 'r2'\): null text"):
        Corpus.from_frame(df)


def test_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    df = pd.DataFrame({"id": ["p1", "p2"], "title": ["Cramps", None], "text": ["Legs cramp.", "Drink water."],
                       "year": [2019, 2022], "tags": [["a", "b"], []]})
    df.to_parquet(tmp_path / "d.parquet", engine="pyarrow")
    corpus = load_corpus(tmp_path / "d.parquet")
    assert list(corpus) == ["p1", "p2"]
    assert corpus["p1"].text == "Cramps\n\nLegs cramp." and corpus["p2"].title is None
    assert dict(corpus["p1"].metadata) == {"year": 2019, "tags": '["a","b"]'}
    assert corpus["p1"].line_at(0) is None
    pd.DataFrame({"id": ["x", "x"], "text": ["a", "b"]}).to_parquet(tmp_path / "dup.parquet")
    with pytest.raises(ValueError, match="duplicate id 'x'"):
        load_corpus(tmp_path / "dup.parquet")
    pd.DataFrame({"name": ["x"], "text": ["a"]}).to_parquet(tmp_path / "noid.parquet")
    with pytest.raises(ValueError, match="must have 'id' and 'text' columns"):
        load_corpus(tmp_path / "noid.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.warns(UserWarning):
        corpus = load_corpus(tmp_path)
    assert list(corpus) == ["p1", "p2"]
    assert {p.path.rsplit("/", 1)[-1] for p in corpus.problems} == {"dup.parquet", "noid.parquet", "broken.parquet"}


def test_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pyarrow(name, *args, **kwargs):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ImportError("No module named 'pyarrow'")
        return real_import(name, *args, **kwargs)

    (tmp_path / "d.parquet").write_bytes(b"PAR1")
    monkeypatch.setattr(builtins, "__import__", no_pyarrow)
    with pytest.raises(ValueError, match=r"pip install 'spasmqa\[parquet\]'"):
        load_corpus(tmp_path / "d.parquet")


def test_a_file_that_fails_to_convert_is_a_problem(tmp_path, monkeypatch):
    (tmp_path / "a.md").write_text("# A\n\ntext", encoding="utf-8")
    (tmp_path / "b.rst").write_text("B\n=\n\ntext", encoding="utf-8")

    def broken(source):
        raise IndexError("boom")

    monkeypatch.setattr(markup, "markdown_to_text", broken)
    with pytest.warns(UserWarning, match="1 conversion failed"):
        corpus = load_corpus(tmp_path)
    assert list(corpus) == ["b.rst#1", "b.rst#2"]
    (problem,) = corpus.problems
    assert problem.category == "conversion failed" and "IndexError: boom" in problem.reason
    with pytest.raises(ValueError, match="cannot convert markdown"):
        load_corpus(tmp_path, strict=True)


@pytest.mark.parametrize("convert,source,text", [
    (markdown_to_text, "Use `<pre>` and `*args*`, *very\nimportant* [a\nlink](http://x).", "Use <pre> and *args*, very\nimportant a\nlink."),
    (markdown_to_text, "| `a|b` | **c** |\n|---|---|\n| [d](u) | e &amp; f |", "`a · b` · c\nd · e & f"),
    (markdown_to_text, "snake_case_name and 2*3*4 stay; x &NewLine; y", "snake_case_name and 2*3*4 stay; x   y"),
    (markdown_to_text, "Intro:\n| a | b |\n|---|---|\n| 1 | 2 |\nafter", "Intro:\n\na · b\n1 · 2\n\nafter"),
    (markdown_to_text, "Heat helps.[^1]\n\n[ref]: http://x\n[^1]: A footnote.", "Heat helps.\n\nA footnote."),
    (rst_to_text, "Use ``*args*`` and *em\nphasis* with :ref:`Title <target>`.", "Use *args* and em\nphasis with Title."),
    (rst_to_text, "See :class:`~a.b.Vectorizer`, :func:`!f` and :math:`x^2`.", "See Vectorizer, f and x^2."),
    (rst_to_text, "A ref_, a `phrase ref`_ and a footnote [1]_. __init__ stays.", "A ref, a phrase ref and a footnote. __init__ stays."),
])
def test_inline_markup(convert, source, text):
    c = convert(source)
    assert c.text == text
    assert c.line_at(len(c.text)) == source.count("\n") + 1
