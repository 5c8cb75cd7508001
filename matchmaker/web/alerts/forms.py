"""Subscribe from a list page or a listing, change a subscription, unsubscribe."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import AnyOf, InputRequired, Length, Optional

from matchmaker.web.ids import IdField

FREQUENCY_CHOICES = [
    ("instant", _l("即时提醒")),
    ("daily", _l("每日汇总")),
    ("weekly", _l("每周汇总")),
]


class SubscribeForm(FlaskForm):
    """Save the list page's filter (kind=search) or follow one listing's matches (kind=follow)."""

    kind = HiddenField(validators=[InputRequired(), AnyOf(["search", "follow"])])
    target = HiddenField(validators=[InputRequired(), AnyOf(["result", "need"])])
    listing_id = IdField(validators=[Optional()])
    # The list page's query args (cleaned again by the service).
    q = HiddenField(validators=[Optional(), Length(max=200)])
    field = HiddenField(validators=[Optional(), Length(max=64)])
    stage = HiddenField(validators=[Optional(), Length(max=32)])
    mode = HiddenField(validators=[Optional(), Length(max=32)])
    price = HiddenField(validators=[Optional(), Length(max=32)])
    region = HiddenField(validators=[Optional(), Length(max=64)])
    org = HiddenField(validators=[Optional(), Length(max=12)])
    frequency = SelectField(
        _l("提醒频率"),
        choices=FREQUENCY_CHOICES,
        default="daily",
        validators=[InputRequired()],
        description=_l("新的匹配内容会发到站内消息和你的邮箱，每条只发一次。"),
    )
    next = HiddenField()


class SubscriptionForm(FlaskForm):
    """Change the frequency, pause, resume or delete one of my subscriptions."""

    frequency = SelectField(_l("提醒频率"), choices=FREQUENCY_CHOICES, validators=[InputRequired()])
    action = HiddenField(validators=[InputRequired(), AnyOf(["save", "pause", "delete"])])
