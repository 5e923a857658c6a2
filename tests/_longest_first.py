"""pytest plugin (``-p tests._longest_first``, used by scripts/test): start the longest test
first, so that on two workers the rest of the suite runs beside it instead of after it.

The Quick start test clones the repository, makes a fresh .venv in it and builds the demo
site; it takes a minute or two, most of it installing packages.
"""

from __future__ import annotations

import pytest

LONGEST = "tests/test_quickstart.py::test_quick_start_from_a_fresh_clone"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the longest test to the front; everything else keeps its order."""
    items.sort(key=lambda item: item.nodeid != LONGEST)
