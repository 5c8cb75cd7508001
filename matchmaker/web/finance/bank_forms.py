"""Forms of the bank's firm browser: the filter (GET, no CSRF) and the shortlist note."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from matchmaker.services.finance.firm_browser import FirmFilter
from matchmaker.services.finance.firm_shortlist import NOTE_MAX
from matchmaker.web.finance.fields import AmountField

MAX_AMOUNT = Decimal("999999999")
SCORE_BAND_CHOICES = [
    ("", _l("不限")),
    ("0-40", "0–40"),
    ("40-60", "40–60"),
    ("60-80", "60–80"),
    ("80-100", "80–100"),
]
SORT_CHOICES = [
    ("score", _l("按创新积分")),
    ("name", _l("按企业名称")),
    ("fit", _l("按与本行产品的匹配度")),
]
_AMOUNT_MESSAGE = _l("请填写 0 到 999999999 之间的金额。")
_AMOUNT = [Optional(), NumberRange(min=0, max=MAX_AMOUNT, message=_AMOUNT_MESSAGE)]


class FirmFilterForm(FlaskForm):
    """The browser's filters and sort order (read from the query string)."""

    class Meta:
        csrf = False  # a GET search form changes nothing

    field = SelectField(_l("行业"), coerce=int, default=0)
    region = SelectField(_l("地区"), default="")
    band = SelectField(_l("创新积分"), choices=SCORE_BAND_CHOICES, default="")
    high_tech = BooleanField(_l("高新技术企业"))
    specialised = BooleanField(_l("专精特新"))
    need_min = AmountField(
        _l("融资需求不低于（万元）"), places=None, validators=_AMOUNT, message=_AMOUNT_MESSAGE
    )
    need_max = AmountField(
        _l("融资需求不高于（万元）"), places=None, validators=_AMOUNT, message=_AMOUNT_MESSAGE
    )
    active = BooleanField(_l("近 12 个月有揭榜申请、成果承接或技术合同往来"))
    sort = SelectField(_l("排序"), choices=SORT_CHOICES, default="score")
    product = SelectField(
        _l("匹配的产品"),
        coerce=int,
        default=0,
        description=_l("按匹配度排序时，以所选产品的准入条件衡量。"),
    )

    def validate(self, extra_validators=None) -> bool:  # noqa: ANN001
        """The amount range runs upwards; a fit ranking needs a product."""
        ok = super().validate(extra_validators)
        low, high = self.need_min.data, self.need_max.data
        if not self.need_max.errors and low is not None and high is not None and low > high:
            self.need_max.errors = [*self.need_max.errors, _l("上限不能低于下限。")]
            ok = False
        if self.sort.data == "fit" and not self.product.data and not self.product.errors:
            self.product.errors = [*self.product.errors, _l("按匹配度排序时请选择本行的一个产品。")]
            ok = False
        return ok

    def criteria(self) -> FirmFilter:
        """The filter made of the fields that passed (a bad field filters nothing)."""

        def ok(name: str) -> bool:
            return not getattr(self, name).errors

        sort = self.sort.data if ok("sort") and ok("product") else "score"
        return FirmFilter(
            field_id=(self.field.data or None) if ok("field") else None,
            region=(self.region.data or "") if ok("region") else "",
            band=(self.band.data or "") if ok("band") else "",
            high_tech=bool(self.high_tech.data),
            specialised=bool(self.specialised.data),
            need_min=self.need_min.data if ok("need_min") else None,
            need_max=self.need_max.data if ok("need_max") and ok("need_min") else None,
            active=bool(self.active.data),
            sort=sort if sort in ("score", "name", "fit") else "score",
            product_id=(self.product.data or None) if sort == "fit" else None,
        )


class ShortlistForm(FlaskForm):
    """Add a firm to the shortlist, or change the note of an entry."""

    note = TextAreaField(
        _l("备注"),
        validators=[Length(max=NOTE_MAX, message=_l("不能超过 %(max)d 个字符。"))],
        description=_l("仅本行成员可见，企业看不到。"),
    )
    next = HiddenField()


class RemoveForm(FlaskForm):
    """Take a firm off the shortlist: CSRF only (and where to go back to)."""

    next = HiddenField()
