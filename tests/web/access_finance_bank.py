"""Role x route expectations for the 科技金融 bank routes (merged into test_access_matrix)."""

from __future__ import annotations

EXPECTED: dict[str, dict[str, int | str]] = {}
