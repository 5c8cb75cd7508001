"""Forms of the firm's side of 科技金融: profile, consent, and the admin's score formula."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from matchmaker.services.finance.consent import DURATIONS
from matchmaker.services.finance.firm_profiles import ProfileData, YearData
from matchmaker.web.fields import AmountField, Wan
from matchmaker.web.finance_labels import (
    CONSENT_SCOPE_LABELS,
    FIRM_SIZE_LABELS,
    SPECIALISED_LABELS,
)

#: How many financial-year rows the edit form shows (the last three years by default).
YEAR_ROWS = 3
MAX_YEAR_ROWS = 10


_WAN_MESSAGE = _l("请填写不小于 0 的金额（万元）。")
_WAN = [Optional(), Wan()]  # the platform's one rule for amounts, with its reason
_COUNT = [
    InputRequired(_l("请填写数量（没有请填 0）。")),
    NumberRange(min=0, max=1_000_000, message=_l("请填写不小于 0 的整数。")),
]


class YearForm(Form):
    """One financial year (a sub-form: the outer form carries the CSRF token)."""

    class Meta:
        def get_translations(self, form: Form) -> object:
            """WTForms' own messages ("not a valid integer") in the user's language, as in
            a FlaskForm (a plain Form would answer in English)."""
            return translations

    year = IntegerField(_l("年度"), validators=[Optional()])
    revenue_wan = AmountField(_l("营业收入（万元）"), validators=_WAN, message=_WAN_MESSAGE)
    rd_spend_wan = AmountField(_l("研发投入（万元）"), validators=_WAN, message=_WAN_MESSAGE)

    def is_blank(self) -> bool:
        """No amount typed in this row (it is ignored, even with its prefilled year)."""
        return all(f.data in (None, "") for f in (self.revenue_wan, self.rd_spend_wan))


class ProfileForm(FlaskForm):
    """企业画像: what the enterprise declares (the platform activity is computed)."""

    field_id = SelectField(_l("所属行业"), coerce=int, validators=[Optional()])
    size = SelectField(
        _l("企业规模"),
        choices=[("", _l("请选择")), *FIRM_SIZE_LABELS.items()],
        validators=[Optional()],
    )
    employees = IntegerField(
        _l("职工人数"),
        validators=[Optional(), NumberRange(min=0, max=10_000_000, message=_l("不能为负数。"))],
    )
    founded_year = IntegerField(
        _l("成立年份"),
        validators=[
            Optional(),
            NumberRange(min=1900, max=2100, message=_l("请填写真实的成立年份。")),
        ],
    )
    high_tech = BooleanField(_l("高新技术企业"))
    high_tech_cert_no = StringField(
        _l("高新技术企业证书编号"),
        validators=[Length(max=64, message=_l("不能超过 %(max)d 个字符。"))],
        description=_l("勾选高新技术企业时必填。"),
    )
    high_tech_expires_on = DateField(
        _l("高新技术企业证书有效期至"),
        validators=[Optional()],
        description=_l("过期的证书不计入创新积分。"),
    )
    specialised = SelectField(
        _l("专精特新认定"), choices=list(SPECIALISED_LABELS.items()), default="none"
    )
    specialised_cert_no = StringField(
        _l("专精特新证书（文件）编号"),
        validators=[Length(max=64, message=_l("不能超过 %(max)d 个字符。"))],
    )
    specialised_expires_on = DateField(_l("专精特新有效期至"), validators=[Optional()])
    patents_invention = IntegerField(_l("发明专利（件）"), default=0, validators=_COUNT)
    patents_utility = IntegerField(_l("实用新型专利（件）"), default=0, validators=_COUNT)
    patents_design = IntegerField(_l("外观设计专利（件）"), default=0, validators=_COUNT)
    software_copyrights = IntegerField(_l("软件著作权（件）"), default=0, validators=_COUNT)
    awards = TextAreaField(
        _l("获奖荣誉"),
        validators=[Length(max=4000, message=_l("不能超过 %(max)d 个字符。"))],
        description=_l("每行一项，例如：2023 年吉林省科学技术进步奖二等奖。"),
    )
    key_products = TextAreaField(
        _l("主要产品"),
        validators=[Length(max=4000, message=_l("不能超过 %(max)d 个字符。"))],
    )
    contact_name = StringField(
        _l("融资联系人"), validators=[Length(max=64, message=_l("不能超过 %(max)d 个字符。"))]
    )
    contact_phone = StringField(
        _l("联系电话"), validators=[Length(max=32, message=_l("不能超过 %(max)d 个字符。"))]
    )
    contact_email = EmailField(
        _l("联系邮箱"),
        validators=[
            Optional(),
            Email(message=_l("请填写有效的邮箱地址。")),
            Length(max=255, message=_l("不能超过 %(max)d 个字符。")),
        ],
    )
    years = FieldList(FormField(YearForm), min_entries=YEAR_ROWS)

    def validate_years(self, field: FieldList) -> None:
        """A row is either blank or complete; a handful of rows at most."""
        if len(field.entries) > MAX_YEAR_ROWS:
            raise ValidationError(_l("最多填写 %(n)d 个年度。", n=MAX_YEAR_ROWS))
        for entry in field.entries:
            row = entry.form
            if not row.is_blank() and any(
                f.data in (None, "") for f in (row.year, row.revenue_wan, row.rd_spend_wan)
            ):
                raise ValidationError(_l("每个年度请完整填写年份、营业收入和研发投入。"))

    def to_data(self) -> ProfileData:
        """The form's values for firm_profiles.save_profile."""
        years = [
            YearData(
                year=int(e.form.year.data),
                revenue_wan=Decimal(e.form.revenue_wan.data),
                rd_spend_wan=Decimal(e.form.rd_spend_wan.data),
            )
            for e in self.years.entries
            if not e.form.is_blank()
        ]
        return ProfileData(
            field_id=self.field_id.data or None,
            size=self.size.data or None,
            employees=self.employees.data,
            founded_year=self.founded_year.data,
            high_tech=bool(self.high_tech.data),
            high_tech_cert_no=self.high_tech_cert_no.data or "",
            high_tech_expires_on=self.high_tech_expires_on.data,
            specialised=self.specialised.data or "none",
            specialised_cert_no=self.specialised_cert_no.data or "",
            specialised_expires_on=self.specialised_expires_on.data,
            patents_invention=self.patents_invention.data,
            patents_utility=self.patents_utility.data,
            patents_design=self.patents_design.data,
            software_copyrights=self.software_copyrights.data,
            awards=self.awards.data or "",
            key_products=self.key_products.data or "",
            contact_name=self.contact_name.data or "",
            contact_phone=self.contact_phone.data or "",
            contact_email=self.contact_email.data or "",
            years=years,
        )

    def fill(self, data: ProfileData, *, today: date | None = None) -> None:
        """Prefill from the stored profile; the year rows default to the last three years."""
        for name in (
            "field_id",
            "employees",
            "founded_year",
            "high_tech",
            "high_tech_cert_no",
            "high_tech_expires_on",
            "specialised_cert_no",
            "specialised_expires_on",
            "patents_invention",
            "patents_utility",
            "patents_design",
            "software_copyrights",
            "awards",
            "key_products",
            "contact_name",
            "contact_phone",
            "contact_email",
        ):
            getattr(self, name).data = getattr(data, name)
        self.field_id.data = data.field_id or 0
        self.size.data = str(data.size) if data.size else ""
        self.specialised.data = str(data.specialised)
        last = (today or date.today()).year - 1
        rows: list[dict[str, Any]] = [
            {"year": y.year, "revenue_wan": y.revenue_wan, "rd_spend_wan": y.rd_spend_wan}
            for y in sorted(data.years, key=lambda y: y.year)
        ]
        known = {r["year"] for r in rows}
        for year in range(last - YEAR_ROWS + 1, last + 1):
            if len(rows) >= YEAR_ROWS:
                break
            if year not in known:
                rows.append({"year": year, "revenue_wan": None, "rd_spend_wan": None})
        rows.sort(key=lambda r: r["year"])
        while len(self.years.entries):
            self.years.pop_entry()
        for row in rows:
            self.years.append_entry(row)


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes (rendered by hand in the template, with help texts)."""


class ConsentForm(FlaskForm):
    """Consent to banks: which scopes, for how long."""

    scopes = MultiCheckboxField(
        _l("授权范围"),
        coerce=int,
        choices=[(int(scope), label) for scope, label in CONSENT_SCOPE_LABELS.items()],
        validators=[InputRequired(_l("请至少选择一项授权范围。"))],
    )
    days = RadioField(
        _l("授权期限"),
        coerce=int,
        choices=[(d, _l("%(n)d 天", n=d)) for d in DURATIONS],
        default=90,
        validators=[InputRequired(_l("请选择授权期限。"))],
    )


class ConfirmForm(FlaskForm):
    """A one-click step (revoke): CSRF only."""


_WEIGHT = [
    InputRequired(_l("请填写权重（0 到 100 的整数）。")),
    NumberRange(min=0, max=100, message=_l("权重须为 0 到 100 之间的整数。")),
]


class FormulaForm(FlaskForm):
    """A new version of the 创新积分 weights (whole numbers summing to 100)."""

    rd_intensity = IntegerField(_l("研发投入强度"), validators=_WEIGHT)
    patents = IntegerField(_l("知识产权"), validators=_WEIGHT)
    certifications = IntegerField(_l("资质认定"), validators=_WEIGHT)
    awards = IntegerField(_l("获奖荣誉"), validators=_WEIGHT)
    rd_growth = IntegerField(_l("研发投入增长"), validators=_WEIGHT)
    revenue_growth = IntegerField(_l("营业收入增长"), validators=_WEIGHT)
    platform_activity = IntegerField(_l("平台活跃度"), validators=_WEIGHT)
    responsiveness = IntegerField(_l("响应速度"), validators=_WEIGHT)
    note = TextAreaField(
        _l("修改说明"),
        validators=[
            InputRequired(_l("请说明为什么调整权重。")),
            Length(max=2000, message=_l("不能超过 %(max)d 个字符。")),
        ],
    )

    def weights(self, keys: tuple[str, ...]) -> dict[str, Any]:
        """The weights by indicator key."""
        return {key: getattr(self, key).data for key in keys}
