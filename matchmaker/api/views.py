"""The v1 operations: importing this module registers every area's operations on `bp`.

One module per area, each on the shared blueprint of `api/common.py`:
meta (tokens, statistics, the caller, the description), listings (results, needs, their
matches, search), challenges (challenges, applications), deals (deals, milestones), connect
(enquiries, conversations), directory (organisations, experts), finance (firms, loan products,
leads: banks).
"""

from __future__ import annotations

from matchmaker.api import (  # noqa: F401 - they register their operations
    challenges,
    connect,
    deals,
    directory,
    finance,
    listings,
    meta,
)
from matchmaker.api.common import bp

__all__ = ["bp"]
