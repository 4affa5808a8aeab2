"""What went wrong while loading: load problems, their one-line summary, invalid Unicode."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

_SURROGATE = re.compile(r"[\ud800-\udfff]")


class _LoadError(InputError):
    """A file cannot be loaded; ``category`` is the short reason used in summaries."""

    def __init__(self, message: str, category: str = "malformed") -> None:
        super().__init__(message)
        self.category = category



@dataclass(frozen=True)
class LoadProblem:
    """Something that went wrong while loading a file.

    Attributes
    ----------
    path : str
        The file (or directory entry).
    reason : str
        What went wrong, in full.
    category : str
        A short reason used to count problems in :func:`summarize_problems`:
        ``"unsupported type"``, ``"binary"``, ``"not UTF-8"``, ``"unreadable"``,
        ``"malformed"``, ``"symlinked directory"``, ``"missing dependency"``,
        ``"lone surrogates"``, ``"undecodable file name"``, ``"ids renamed"``.
    action : {"skipped", "repaired", "renamed"}
        ``"skipped"``: nothing of the file was loaded. ``"repaired"``: it was
        loaded with invalid characters replaced by U+FFFD. ``"renamed"``: it
        was loaded, but record ids that also occur in other files were
        qualified with the file name.
    """

    path: str
    reason: str
    category: str = "other"
    action: str = "skipped"

    def __post_init__(self) -> None:
        # Printable whatever the file name was: no lone surrogates.
        for name in ("path", "reason"):
            value = getattr(self, name)
            if _SURROGATE.search(value):
                object.__setattr__(self, name, _display_name(value))

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


#: Extensions of files that are never text, left out of the --ext advice.
_BINARY_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .bmp .ico .svgz .webp .tif .tiff .pdf .zip .gz .tgz .bz2 .xz .7z .tar .jar .whl .so "
    ".dll .dylib .exe .bin .o .a .pyc .class .woff .woff2 .ttf .otf .eot .mp3 .mp4 .wav .ogg .avi .mov .npy .npz "
    ".parquet .db .sqlite .xls .xlsx .doc .docx .ppt .pptx .odt".split())


def summarize_problems(problems: Sequence[LoadProblem], *, cli: bool = False, limit: int = 3) -> str:
    """One line that says what was skipped, repaired or renamed, and what to do.

    Parameters
    ----------
    problems : sequence of LoadProblem
        Usually ``corpus.problems``.
    cli : bool, default=False
        Phrase the advice for the command line (``--ext .rst,.adoc``,
        ``--strict``) instead of Python (``text_extensions=...``,
        ``strict=True``).
    limit : int, default=3
        How many file names to show.

    Returns
    -------
    str
        ``""`` when there are no problems.

    Examples
    --------
    >>> print(summarize_problems([LoadProblem("d/a.adoc", "unsupported file type '.adoc'", "unsupported type"),
    ...                           LoadProblem("d/b.txt", "not valid UTF-8 (byte 3)", "not UTF-8")], cli=True))
    ... # doctest: +NORMALIZE_WHITESPACE
    2 files skipped (1 not UTF-8, 1 unsupported type .adoc): d/a.adoc, d/b.txt;
    read other extensions as plain text with --ext .adoc, or pass --strict to fail instead
    """
    if not problems:
        return ""
    parts: list[str] = []
    skipped = [p for p in problems if p.action == "skipped"]
    if skipped:
        counts = Counter(p.category for p in skipped)
        exts = sorted({_suffix_of(p.path) for p in skipped if p.category == "unsupported type"})
        reasons = []
        for category, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            label = category + (" " + ", ".join(exts) if category == "unsupported type" and exts else "")
            reasons.append(f"{count} {label}")
        more = f" and {len(skipped) - limit} more" if len(skipped) > limit else ""
        names = ", ".join(p.path for p in skipped[:limit]) + more
        advice = []
        textual = [e for e in exts if e not in _BINARY_SUFFIXES]  # never advise reading images as text
        if textual:
            advice.append(
                f"read other extensions as plain text with --ext {','.join(textual)}" if cli
                else f"read other extensions as plain text with text_extensions={tuple(textual)!r}"
            )
        advice.append("pass --strict to fail instead" if cli else "pass strict=True to fail instead")
        s = "s" if len(skipped) != 1 else ""
        parts.append(f"{len(skipped)} file{s} skipped ({', '.join(reasons)}): {names}; {', or '.join(advice)}")
    for action, verb in (("repaired", "repaired (invalid characters replaced by U+FFFD)"),
                         ("renamed", "with record ids also found in other files (qualified as file#id)")):
        hit = [p for p in problems if p.action == action]
        if hit:
            more = f" and {len(hit) - limit} more" if len(hit) > limit else ""
            names = ", ".join(p.path for p in hit[:limit]) + more
            s = "s" if len(hit) != 1 else ""
            parts.append(f"{len(hit)} file{s} {verb}: {names}")
    if any(p.action == "repaired" for p in problems) and not skipped:
        parts.append("pass --strict to reject them instead" if cli else "pass strict=True to reject them instead")
    return "; ".join(parts)



# -- invalid Unicode ----------------------------------------------------------

class _Fixer:
    """Replaces lone surrogates by U+FFFD and remembers where (or raises when strict)."""

    def __init__(self, path: str, strict: bool) -> None:
        self.path = path
        self.strict = strict
        self.count = 0
        self.first: str | None = None

    def __call__(self, s: str, where: str) -> str:
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            if self.strict:
                raise _LoadError(
                    f"{where}: contains a lone surrogate (invalid Unicode, e.g. \\ud800); "
                    "strict loading rejects it", "lone surrogates") from None
            self.count += 1
            self.first = self.first or where
            return _SURROGATE.sub("\ufffd", s)
        return s

    def problems(self) -> list[LoadProblem]:
        if not self.count:
            return []
        return [LoadProblem(self.path, f"{self.count} field(s) with lone surrogates (invalid Unicode) replaced by "
                                       f"U+FFFD, first at {self.first}", "lone surrogates", "repaired")]


def _display_name(name: str) -> str:
    """A file name (or text holding one) made printable: undecodable bytes and lone surrogates become U+FFFD."""
    if not _SURROGATE.search(name):
        return name
    try:
        return os.fsencode(name).decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that is not an escaped byte
        return _SURROGATE.sub("\ufffd", name)


def _suffix_of(path: str) -> str:
    return Path(path).suffix.lower() or "(none)"
