"""The docstring examples of every module, run against the installed package.

(pytest's ``--doctest-modules`` imports modules from the checkout, which
clashes with a non-editable install; this runs the same examples on the
package that is actually imported.)
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import spasmqa

MODULES = sorted(m.name for m in pkgutil.walk_packages(spasmqa.__path__, "spasmqa.")
                 if m.name != "spasmqa.__main__")


@pytest.mark.parametrize("name", ["spasmqa", *MODULES])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(module, name):
        runner.run(test, out=out.write)
    assert runner.failures == 0, out.getvalue()


def test_every_module_is_checked():
    assert "spasmqa.qa" in MODULES and "spasmqa.evaluate.tuning" in MODULES and len(MODULES) > 40
    examples = sum(len(t.examples) for name in MODULES
                   for t in doctest.DocTestFinder().find(importlib.import_module(name), name))
    assert examples > 50
