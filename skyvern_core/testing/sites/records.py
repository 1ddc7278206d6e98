"""The records the extraction pages show, read from the pages themselves.

The pages under ``extraction/`` (a bills table, a product grid) render their rows from a
JSON block in the page, ``<script type="application/json" id="page-data">``; a test or a
benchmark reads the same block with :func:`page_records` to know what the page shows.
"""

from __future__ import annotations

import json
import re
from typing import Any

from skyvern_core.testing.sites.server import ROOT

__all__ = ["page_records"]

_DATA = re.compile(
    r'<script type="application/json" id="page-data">(.*?)</script>', re.DOTALL | re.IGNORECASE
)


def page_records(path: str) -> list[dict[str, Any]]:
    """The records a fixture page renders (``"extraction/bills.html"``), in page order."""
    found = _DATA.search((ROOT / path).read_text(encoding="utf-8"))
    if found is None:
        raise ValueError(f"{path} has no page-data block")
    records = json.loads(found.group(1))
    if not isinstance(records, list):
        raise ValueError(f"the page-data block of {path} is not a list")
    return records
