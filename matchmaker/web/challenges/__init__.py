"""揭榜挂帅 pages: the two public lists, applying and adopting, publishing and managing a challenge.

The owner's selection pipeline, panels and deals live in the `pipeline` blueprint.
"""

from matchmaker.web.challenges import (  # noqa: F401  (each module adds its routes to bp)
    application_views,
    conversion_views,
    mine_views,
    publish_views,
    scenario_views,
    views,
)
from matchmaker.web.challenges.blueprint import bp

__all__ = ["bp"]
