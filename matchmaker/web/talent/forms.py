"""Forms for expert profiles (shape only; services/talent/experts.py checks the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from matchmaker.models.expert import OFFER_LABELS
from matchmaker.services.talent.experts import ExpertData

OFFER_CHOICES = [(str(int(bit)), label) for bit, label in OFFER_LABELS.items()]


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a multi-select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ExpertForm(FlaskForm):
    """An expert profile."""

    name = StringField(_l("姓名"), validators=[InputRequired(_l("请填写姓名。")), Length(max=100)])
    title = StringField(_l("职称"), validators=[Optional(), Length(max=100)])
    unit = StringField(
        _l("院系"), validators=[InputRequired(_l("请填写所在院系或部门。")), Length(max=200)]
    )
    is_self = BooleanField(_l("这是我本人的档案"))
    field_id = SelectField(_l("技术领域"), coerce=int, default=0)
    directions = TextAreaField(
        _l("研究方向"),
        validators=[Optional(), Length(max=4000)],
        description=_l("每行一个方向，企业按这些文字搜索到你。"),
    )
    keywords = StringField(
        _l("关键词"), validators=[Optional()], description=_l("用逗号或顿号分隔。")
    )
    biography = TextAreaField(_l("简介"), validators=[Optional(), Length(max=4000)])
    result_ids = MultiCheckboxField(_l("主持的成果"), coerce=int, choices=[])
    patents = TextAreaField(
        _l("专利"), validators=[Optional()], description=_l("每行一项：专利号和名称。")
    )
    offers = MultiCheckboxField(_l("可提供的服务"), choices=OFFER_CHOICES)
    availability = StringField(
        _l("可合作时间"),
        validators=[Optional(), Length(max=200)],
        description=_l("例如：每月可安排两天到企业现场。"),
    )
    contact_phone = StringField(_l("联系电话"), validators=[Optional(), Length(max=32)])
    contact_email = EmailField(_l("联系邮箱"), validators=[Optional(), Length(max=254)])
    contact_visibility = RadioField(
        _l("联系方式公开范围"),
        choices=[
            ("members", _l("仅已认证机构成员可见")),
            ("signed_in", _l("登录用户可见")),
        ],
        default="members",  # also when a client leaves it out
        description=_l("未登录的访客始终看不到联系方式。修改公开范围不需要重新审核。"),
    )

    def to_data(self, *, actor_id: int, user_id: int | None) -> ExpertData:
        """The form's values for the service."""
        offers = 0
        for value in self.offers.data or []:
            offers |= int(value)
        return ExpertData(
            name=self.name.data or "",
            title=self.title.data or "",
            unit=self.unit.data or "",
            field_id=self.field_id.data or None,
            directions=self.directions.data or "",
            keywords=self.keywords.data or "",
            biography=self.biography.data or "",
            patents=(self.patents.data or "").splitlines(),
            offers=offers,
            availability=self.availability.data or "",
            contact_phone=self.contact_phone.data or "",
            contact_email=self.contact_email.data or "",
            contact_public=self.contact_visibility.data == "signed_in",
            result_ids=list(self.result_ids.data or []),
            user_id=actor_id if self.is_self.data else user_id,
        )


class ExpertImportForm(FlaskForm):
    """A filled expert template (.xlsx) or a CSV file with the same columns."""

    file = FileField(
        _l("文件"),
        validators=[
            FileRequired(_l("请选择文件。")),
            FileAllowed(["xlsx", "csv"], _l("请上传 .xlsx 或 .csv 文件。")),
        ],
        description=_l(
            "使用下载的专家模板填写，每行一位专家；全部行都正确才会导入，导入后为草稿。"
        ),
    )


class ExpertActionForm(FlaskForm):
    """A step on a profile (submit, retract, withdraw): the CSRF token only."""
