"""Talent (人才): the public expert pages (views.py), the keepers' profiles (my_views.py), their
bulk import (import_views.py) and their review (review_views.py)."""

from matchmaker.web.talent import (  # noqa: F401  (each module adds its routes to bp)
    import_views,
    my_views,
    review_views,
    views,
)
