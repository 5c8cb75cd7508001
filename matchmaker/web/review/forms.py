"""Review decisions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from matchmaker.models.listing import REVIEW_REASON_LABELS

REASON_CHOICES = [(str(code), label) for code, label in REVIEW_REASON_LABELS.items()]


class RejectListingForm(FlaskForm):
    """Send a listing back with a coded reason and an explanation."""

    code = RadioField(
        _l("驳回原因"), choices=REASON_CHOICES, validators=[InputRequired(_l("请选择驳回原因。"))]
    )
    reason = TextAreaField(
        _l("修改意见"),
        validators=[
            InputRequired(_l("请填写具体的修改意见。")),
            Length(max=2000, message=_l("不能超过 %(max)d 个字符。")),
        ],
        description=_l("所有者会看到这段文字，请具体说明需要修改什么。"),
    )
