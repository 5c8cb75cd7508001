"""Events of every kind (对接会, 路演, 银企对接, 科学家企业家沙龙, 人才活动): the public list and
pages, registration, check-in and outcomes (mounted at /events)."""

from matchmaker.web.events import views  # noqa: F401  (each adds its routes to bp)
from matchmaker.web.events.blueprint import bp

__all__ = ["bp"]
