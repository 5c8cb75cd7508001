"""The bureau's forms: the dashboard's filters (a GET form) and the city's targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import NumberRange, Optional

from matchmaker.models import OrgKind
from matchmaker.services.bureau.figures import Filters
from matchmaker.web.fields import AmountField

#: The query parameters that are filters; every other one is a drill-down parameter.
FILTER_KEYS = ("start", "end", "field", "region", "org_kind")

ORG_KIND_LABELS: dict[str, Any] = {
    OrgKind.ENTERPRISE: _l("企业"),
    OrgKind.UNIVERSITY: _l("高校"),
    OrgKind.INSTITUTE: _l("科研院所"),
    OrgKind.BANK: _l("银行"),
    OrgKind.GOVERNMENT: _l("政府部门"),
}


class FilterForm(FlaskForm):
    """What the reader narrows the figures to (read from the query string)."""

    class Meta:
        csrf = False  # a GET form changes nothing

    start = DateField(_l("开始日期"), validators=[Optional()])
    end = DateField(_l("结束日期"), validators=[Optional()])
    field = SelectField(_l("技术领域"), coerce=int, default=0)
    region = SelectField(_l("地区"), default="")
    org_kind = SelectField(_l("机构类型"), default="")

    def set_choices(self, *, fields: list[tuple[int, str]], regions: list[tuple[str, str]]) -> None:
        """The select fields' options, each with an "all" option first."""
        self.field.choices = [(0, _l("全部领域")), *fields]
        self.region.choices = [("", _l("全部地区")), *regions]
        self.org_kind.choices = [("", _l("全部类型")), *ORG_KIND_LABELS.items()]

    def filters(self, default: Filters) -> Filters:
        """The valid filters (the defaults for anything not given)."""
        start: date = self.start.data or default.start
        end: date = self.end.data or default.end
        return Filters(
            start=start,
            end=end,
            field_id=self.field.data or None,
            region=self.region.data or None,
            org_kind=self.org_kind.data or None,
        )


class TargetsForm(FlaskForm):
    """One optional override per metric and year; the fields are added per request."""


#: The largest target a Numeric(16, 2) column holds.
TARGET_MAX = Decimal("99999999999999")


def targets_form(labels: dict[str, str], *, data: dict[str, Any], submitted: bool) -> TargetsForm:
    """A targets form with one non-negative number input per key ("metric-year": its label);
    `data` fills the inputs (the admin's current overrides)."""

    class _Form(TargetsForm):
        pass

    for key, label in labels.items():
        setattr(
            _Form,
            key,
            AmountField(
                label,
                places=None,
                validators=[
                    Optional(),
                    NumberRange(min=0, message=_l("目标值不能为负数。")),
                    NumberRange(max=TARGET_MAX, message=_l("目标值过大。")),
                ],
                render_kw={"inputmode": "decimal"},
            ),
        )
    if submitted:
        return _Form()
    return _Form(formdata=None, data=data)
