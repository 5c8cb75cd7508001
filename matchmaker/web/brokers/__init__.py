"""技术经纪人 pages: registration, the public list and page, the broker's 认领需求, and the
admin's review queue (views.py for everyone, admin_views.py for the admin)."""

from matchmaker.web.brokers import admin_views, views  # noqa: F401  (each adds its routes to bp)
from matchmaker.web.brokers.blueprint import bp

__all__ = ["bp"]
