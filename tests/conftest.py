import pytest

import spasmqa


@pytest.fixture(scope="session")
def qa():
    """The default corpus with default settings (built once per test session)."""
    return spasmqa.QA.from_corpus()


def pytest_configure(config):
    # tests/golden.py is a helper module imported by test_golden.py.
    import sys
    from pathlib import Path

    here = str(Path(__file__).parent)
    if here not in sys.path:
        sys.path.insert(0, here)
