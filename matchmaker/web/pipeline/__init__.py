"""揭榜挂帅 owner pipeline, review panel, adoption decisions and deals."""

from matchmaker.web.pipeline import (  # noqa: F401  (each module adds its routes to bp)
    deal_views,
    views,
)
from matchmaker.web.pipeline.blueprint import bp

__all__ = ["bp"]
