"""pytest plugin (``-p tests._longest_first``, used by scripts/test): start the longest test
first, so that on two workers the rest of the suite runs beside it instead of after it.

The Quick start test clones the repository and runs the whole suite again inside it; it
takes several minutes, most of them waiting on its inner run.
"""

from __future__ import annotations

import pytest

LONGEST = "tests/test_quickstart.py::test_quick_start_from_a_fresh_clone"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the longest test to the front; everything else keeps its order."""
    items.sort(key=lambda item: item.nodeid != LONGEST)
