"""The form of 新建场景 and of a sent-back scenario's 修改后重新提交 (shape only;
services/challenges/scenarios.py checks the rules).

The terms are the challenge's (`PublishForm`) without 公开范围: every scenario is public.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from matchmaker.models import Visibility
from matchmaker.models.base import CHINA
from matchmaker.services.challenges.challenges import ChallengeTerms
from matchmaker.services.challenges.scenarios import MIN_DESCRIPTION, ScenarioData
from matchmaker.web.challenges.forms import PublishForm, end_of_day

_WEIGHT = [
    InputRequired(_l("请填写权重。")),
    NumberRange(min=0, max=100, message=_l("权重在 0 到 100 之间。")),
]


class ScenarioForm(PublishForm):
    """新建场景: the scenario, its owner and site, then the terms applicants accept."""

    title = StringField(
        _l("场景名称"),
        validators=[
            InputRequired(_l("请填写场景名称。")),
            Length(max=200, message=_l("场景名称不能超过 200 个字。")),
        ],
    )
    description = TextAreaField(
        _l("场景介绍"),
        validators=[
            InputRequired(_l("请填写场景介绍。")),
            Length(max=5000, message=_l("不能超过 %(max)d 个字符。")),
        ],
        description=_l(
            "场景是什么、现场能提供什么（设备、数据、人员、试用时长）；至少 %(min)d 个字。",
            min=MIN_DESCRIPTION,
        ),
    )
    field_id = SelectField(_l("技术领域"), coerce=int, validators=[Optional()])
    region = SelectField(_l("所在地区"), validators=[InputRequired(_l("请选择所在地区。"))])
    scenario_owner = StringField(
        _l("场景方"),
        validators=[
            InputRequired(_l("请填写场景方。")),
            Length(max=200, message=_l("场景方不能超过 200 个字。")),
        ],
        description=_l("提供场景的单位，如长春市中心医院。"),
    )
    scenario_site = StringField(
        _l("场景地点"),
        validators=[
            InputRequired(_l("请填写场景地点。")),
            Length(max=200, message=_l("场景地点不能超过 200 个字。")),
        ],
        description=_l("现场所在的地址或区域。"),
    )
    visibility = None  # every scenario is public (WTForms drops the inherited field)
    weight_feasibility = IntegerField(_l("可行性权重"), default=30, validators=_WEIGHT)
    weight_maturity = IntegerField(_l("成熟度权重"), default=25, validators=_WEIGHT)
    weight_price = IntegerField(_l("报价权重"), default=20, validators=_WEIGHT)
    weight_team = IntegerField(_l("团队权重"), default=25, validators=_WEIGHT)

    def validate_weight_team(self, field: IntegerField) -> None:
        """The weights' sum is said next to the last weight (the service checks it too)."""
        weights = (self.weight_feasibility, self.weight_maturity, self.weight_price, field)
        values = [w.data for w in weights]
        if all(isinstance(v, int) and v >= 0 for v in values) and sum(values) <= 0:
            raise ValidationError(str(_l("评分权重之和必须大于 0。")))

    def to_terms(self, *, is_government: bool = True) -> ChallengeTerms:
        """The challenge terms of the scenario (a public 政府榜)."""
        return ChallengeTerms(
            deadline_at=end_of_day(self.deadline.data),
            success_criteria=self.success_criteria.data or "",
            deliverables=self.deliverables.data or "",
            ip_ownership=self.ip_ownership.data,
            ip_licence=self.ip_licence.data,
            payment_form=self.payment_form.data,
            bounty_wan=self.bounty_wan.data or Decimal(0),
            visibility=Visibility.PUBLIC,
            has_panel=bool(self.has_panel.data),
            is_government=True,
            weights={
                "feasibility": self.weight_feasibility.data or 0,
                "maturity": self.weight_maturity.data or 0,
                "price": self.weight_price.data or 0,
                "team": self.weight_team.data or 0,
            },
        )

    def fill_from_scenario(self, data: ScenarioData) -> None:
        """Fill every field from a stored scenario (one sent back, to edit and resubmit)."""
        self.title.data = data.title
        self.description.data = data.description
        self.field_id.data = data.field_id or 0
        self.region.data = data.region
        self.scenario_owner.data = data.scenario_owner
        self.scenario_site.data = data.scenario_site
        terms = data.terms
        self.bounty_wan.data = terms.bounty_wan
        self.deadline.data = terms.deadline_at.astimezone(CHINA).date()
        self.success_criteria.data = terms.success_criteria
        self.deliverables.data = terms.deliverables
        self.ip_ownership.data = str(terms.ip_ownership)
        self.ip_licence.data = str(terms.ip_licence)
        self.payment_form.data = str(terms.payment_form)
        self.has_panel.data = terms.has_panel
        self.weight_feasibility.data = terms.weights.get("feasibility", 0)
        self.weight_maturity.data = terms.weights.get("maturity", 0)
        self.weight_price.data = terms.weights.get("price", 0)
        self.weight_team.data = terms.weights.get("team", 0)

    def to_data(self) -> ScenarioData:
        """The service's input."""
        return ScenarioData(
            title=self.title.data or "",
            description=self.description.data or "",
            field_id=self.field_id.data or None,
            region=self.region.data or "",
            scenario_owner=self.scenario_owner.data or "",
            scenario_site=self.scenario_site.data or "",
            terms=self.to_terms(),
        )
