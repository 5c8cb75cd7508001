"""Account forms: notification e-mails (one checkbox per optional group), the text size, and
the personal access tokens of the JSON API."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from matchmaker.services.platform.notifications import EMAIL_GROUPS


class NotificationSettingsForm(FlaskForm):
    """A checked box means "e-mail me"; in-app notifications are always kept."""


for _group in EMAIL_GROUPS:
    if _group.optional:
        setattr(
            NotificationSettingsForm,
            _group.code,
            BooleanField(_group.label, description=_group.description),
        )
del _group


class TextSizeForm(FlaskForm):
    """The 大字模式 switch in the page footer: `size` is the size wanted, `next` the page."""

    size = SelectField(choices=[("large", "large"), ("normal", "normal")])
    next = HiddenField()


#: The areas a token may be limited to (api_tokens.AREAS), as the account page names them.
AREA_LABELS = {
    "market": _l("成果与需求"),
    "challenges": _l("揭榜挂帅"),
    "deals": _l("成交与里程碑"),
    "connect": _l("对接"),
    "directory": _l("机构与专家"),
    "finance": _l("科技金融"),
    "stats": _l("统计数据"),
}


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a multi-select (rendered inside a fieldset with a legend)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ApiTokenForm(FlaskForm):
    """A new personal access token for the JSON API: its name, scope, areas and lifetime.

    The view narrows `scope` and `areas` to what the user's role allows (api_tokens)."""

    name = StringField(
        _l("令牌名称"),
        validators=[DataRequired(), Length(max=100)],
        description=_l("用来区分不同的令牌，例如“成果库同步”。"),
    )
    scope = SelectField(
        _l("权限范围"),
        choices=[("read", _l("只读")), ("write", _l("读写"))],
        default="read",
    )
    area_mode = RadioField(
        _l("适用领域"),
        choices=[("all", _l("所有领域")), ("some", _l("只限下面选定的领域"))],
        default="all",
    )
    areas = MultiCheckboxField(
        _l("选定的领域"),
        choices=[(code, label) for code, label in AREA_LABELS.items()],
        default=[],
    )
    expires_in_days = IntegerField(
        _l("有效期（天）"),
        default=90,
        validators=[InputRequired(), NumberRange(min=1, max=365)],
        description=_l("1 到 365 天，到期后令牌自动失效。"),
    )

    def limit_to(self, *, may_write: bool, areas: tuple[str, ...]) -> None:
        """Offer only what the user may have: read alone without write rights, and the
        areas of the role (finance: banks, enterprises, admins)."""
        if not may_write:
            self.scope.choices = [c for c in self.scope.choices if c[0] == "read"]
        self.areas.choices = [(code, AREA_LABELS[code]) for code in areas]

    def validate_areas(self, field: MultiCheckboxField) -> None:
        if self.area_mode.data == "some" and not field.data:
            raise ValidationError(_l("请至少选择一个领域，或选择“所有领域”。"))

    def scopes(self) -> list[str]:
        """The token's scopes: the bare action(s) for all areas, or the action on each area
        chosen ("write" includes "read", and both are stored, as for all areas)."""
        actions = ["read", "write"] if self.scope.data == "write" else ["read"]
        if self.area_mode.data != "some":
            return actions
        return [f"{action}:{area}" for action in actions for area in self.areas.data or []]


def describe_scopes(scopes: list[str]) -> list[str]:
    """A token's scopes as the token list shows them: "读写 · 所有领域", "只读：揭榜挂帅、对接"."""
    held = set(scopes)
    if "write" in held:
        return [str(_l("读写 · 所有领域"))]
    lines = [str(_l("只读 · 所有领域"))] if "read" in held else []
    join = str(_l("、"))
    written = [a for a in AREA_LABELS if f"write:{a}" in held]
    read = [a for a in AREA_LABELS if f"read:{a}" in held and a not in written]
    if written:
        names = join.join(str(AREA_LABELS[a]) for a in written)
        lines.append(str(_l("读写：%(areas)s", areas=names)))
    if read and "read" not in held:
        names = join.join(str(AREA_LABELS[a]) for a in read)
        lines.append(str(_l("只读：%(areas)s", areas=names)))
    return lines


class RevokeTokenForm(FlaskForm):
    """The 撤销 button of one token: CSRF token only."""
