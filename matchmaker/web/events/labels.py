"""Display labels of the event pages (kinds of event and of outcome)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

EVENT_KIND_LABELS = {
    "matchmaking": _l("对接会"),
    "roadshow": _l("路演"),
    "bank_enterprise": _l("银企对接"),
    "salon": _l("科学家企业家沙龙"),
    "talent": _l("人才活动"),
}

OUTCOME_KIND_LABELS = {
    "contact": _l("建立联系"),
    "intention": _l("签订意向"),
    "deal": _l("达成交易"),
}
