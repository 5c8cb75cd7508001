"""The v1 operations: importing this module registers every area's operations on `bp`.

One or two modules per area, each on the shared blueprint of `api/common.py`:
meta (tokens, statistics, the caller, the description), listings (results, needs: public
lists, details, matches, search) and listing_writes (owners' lists, working copies, writes,
steps; the admins' review), challenges (challenges) and applications (applications), deals
(deals, milestones), connect (enquiries and their steps) and conversations (messages,
conversations, introductions), directory (organisations, public experts) and expert_keepers
(keepers' and reviewers' expert operations), finance (loan products, leads: banks) and firms
(the banks' firm browser), stats (the bureau's figures and drill-downs; the public open data).
"""

from __future__ import annotations

from matchmaker.api import (  # noqa: F401 - they register their operations
    applications,
    challenges,
    connect,
    conversations,
    deals,
    directory,
    events,
    expert_keepers,
    finance,
    firms,
    listing_writes,
    listings,
    meta,
    stats,
)
from matchmaker.api.common import bp

__all__ = ["bp"]
