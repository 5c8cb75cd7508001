"""The admin review queue: results and needs (views.py) and challenges (challenge_views.py)."""

from matchmaker.web.review import (  # noqa: F401  (each module adds its routes to bp)
    challenge_views,
    views,
)
