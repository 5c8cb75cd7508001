"""The public statistics page (开放数据): aggregate counts and trends, CSV (mounted at
/open-data)."""

from matchmaker.web.open_data import views  # noqa: F401  (each adds its routes to bp)
from matchmaker.web.open_data.blueprint import bp

__all__ = ["bp"]
