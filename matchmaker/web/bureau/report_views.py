"""The monthly report: the printable page and the .xlsx (filled in by the reports work)."""

from __future__ import annotations
