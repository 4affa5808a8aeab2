import pytest

import spasmqa


@pytest.fixture(scope="session")
def qa():
    """The default corpus with default settings (built once per test session)."""
    return spasmqa.QA.from_corpus()
