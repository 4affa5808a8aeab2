"""Lint (ruff) and type check (mypy) as part of the test command.

Both are configured in pyproject.toml and installed by the ``test`` extra.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(not (ROOT / "pyproject.toml").exists(), reason="needs a source checkout")
def test_ruff_clean():
    result = _run("ruff", "check", "spasmqa", "tests", "benchmarks", "notebooks/build_notebooks.py")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(not (ROOT / "pyproject.toml").exists(), reason="needs a source checkout")
def test_mypy_clean():
    result = _run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
