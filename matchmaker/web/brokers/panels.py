"""The 技术经纪人 panels of the dashboards: the broker's own page and the admin's activity panel."""

from __future__ import annotations

from typing import Any

from flask import current_app

from matchmaker.services.talent import broker_assignments, broker_stats, brokers


def broker_dashboard(user: Any) -> dict[str, Any]:
    """What a broker's dashboard shows: its status, followed needs and their enquiry figures."""
    broker = brokers.broker_of(user)
    if broker is None:
        return {"broker": None}
    assignments = broker_assignments.live_assignments(broker)
    return {
        "broker": broker,
        "assignments": assignments,
        "activity": broker_assignments.need_activity([a.need_id for a in assignments]),
        "status_order": broker_assignments.STATUS_ORDER,
        "stats": broker_stats.broker_stats(broker),
        # the 引荐 page belongs to the 对接 area; link to it only where it exists
        "can_introduce": "connect.introduce" in current_app.view_functions,
        "has_introductions_page": "connect.my_introductions" in current_app.view_functions,
    }


def admin_broker_panel() -> dict[str, Any]:
    """The admin dashboard's 技术经纪人活动 panel."""
    return broker_stats.activity_panel()
