"""The bureau's view (科技局): the dashboard with its charts, tables, filters, drill-downs and
downloads (`views.py`), the city's targets (`target_views.py`) and the monthly report
(`report_views.py`)."""

from matchmaker.web.bureau import report_views, target_views, views  # noqa: F401  (each adds its routes to bp)
from matchmaker.web.bureau.blueprint import bp

__all__ = ["bp"]
