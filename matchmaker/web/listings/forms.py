"""Forms for results and needs (shape only; the listings service checks the rules)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from matchmaker.models.listing import MODE_LABELS, STAGE_LABELS, STAGE_TRL
from matchmaker.models.listing import PATENT_STATUS_LABELS as PATENT_STATUS
from matchmaker.services.market.listings import (
    MAX_KEYWORD_LENGTH,
    MAX_KEYWORDS,
    NeedData,
    ResultData,
    keyword_errors,
    normalise_keywords,
)
from matchmaker.services.platform.files import ACCEPT
from matchmaker.web.fields import AmountField, Wan

#: The stage name each stage's first TRL introduces.
STAGE_NAMES = {STAGE_TRL[stage][0]: STAGE_LABELS[stage] for stage in STAGE_TRL}
T = TypeVar("T")
_PATENT_LINE = re.compile(r"^\s*(?P<number>[^\s|,，]+)\s*[|,，\s]\s*(?P<status>\S+)?\s*$")


def trl_choices() -> list[tuple[str, str]]:
    """TRL 1–9 with their stage names."""
    choices = [("", _l("请选择"))]
    stage = ""
    for level in range(1, 10):
        stage = str(STAGE_NAMES.get(level, stage))
        choices.append((str(level), f"TRL {level} · {stage}"))
    return choices


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a multi-select."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _contact_fields(cls: type[T]) -> type[T]:
    # Added after the class body, so the contact fields come last in the form.
    form: Any = cls
    form.contact_name = StringField(
        _l("联系人"),
        validators=[Optional(), Length(max=100, message=_l("不能超过 %(max)d 个字符。"))],
    )
    form.contact_phone = StringField(
        _l("联系电话"),
        validators=[Optional(), Regexp(r"^\+?[0-9][0-9 -]{6,19}$", message=_l("电话格式不正确。"))],
        description=_l("只向已认证机构的登录用户展示。"),
    )
    form.contact_email = EmailField(
        _l("联系邮箱"),
        validators=[Optional(), Length(max=254), Email(_l("邮箱格式不正确。"))],
        render_kw={"autocomplete": "email"},  # WCAG 1.3.5
    )
    return cls


class _ListingForm(FlaskForm):
    title = StringField(
        _l("标题"),
        validators=[
            InputRequired(_l("请填写标题。")),
            Length(max=200, message=_l("标题不能超过 %(max)d 个字符。")),
        ],
    )
    field_id = SelectField(_l("技术领域"), coerce=int, validators=[Optional()])
    keywords = StringField(
        _l("关键词"),
        validators=[Optional(), Length(max=500, message=_l("关键词太长了。"))],
        description=_l(
            "用逗号或顿号分隔，最多 %(n)d 个，每个不超过 %(len)d 个字。",
            n=MAX_KEYWORDS,
            len=MAX_KEYWORD_LENGTH,
        ),
    )
    region = SelectField(_l("所在地区"), validators=[InputRequired(_l("请选择所在地区。"))])

    def validate_keywords(self, field: StringField) -> None:
        """At most MAX_KEYWORDS keywords of MAX_KEYWORD_LENGTH characters: refused, never cut."""
        problems = keyword_errors(normalise_keywords(field.data or ""))
        if problems:
            raise ValidationError(" ".join(problems))

    def common(self) -> dict[str, object]:
        return {
            "title": self.title.data or "",
            "field_id": self.field_id.data or None,
            "keywords": normalise_keywords(self.keywords.data or ""),
            "region": self.region.data or "",
            "contact_name": self.contact_name.data or "",
            "contact_phone": self.contact_phone.data or "",
            "contact_email": self.contact_email.data or "",
        }


@_contact_fields
class ResultForm(_ListingForm):
    """A research result."""

    summary = TextAreaField(
        _l("成果简介"),
        validators=[
            InputRequired(_l("请填写成果简介。")),
            Length(max=500, message=_l("简介不能超过 %(max)d 个字符。")),
        ],
        description=_l("一两句话说明成果是什么、解决什么问题。"),
    )
    description = TextAreaField(
        _l("详细介绍"),
        validators=[Optional(), Length(max=20000, message=_l("不能超过 %(max)d 个字符。"))],
        description=_l("技术指标、创新点、应用领域。"),
    )
    trl = SelectField(_l("技术成熟度"), validators=[Optional()])
    patents = TextAreaField(
        _l("专利"),
        validators=[Optional(), Length(max=4000)],
        description=_l(
            "每行一件：专利号 状态（已授权/申请中/已失效），如 ZL2021 1 0123456.7 已授权"
        ),
    )
    software_copyrights = TextAreaField(
        _l("软件著作权"),
        validators=[Optional(), Length(max=2000)],
        description=_l("每行一项登记号或名称。"),
    )
    modes = MultiCheckboxField(
        _l("交易方式"), choices=[(str(int(m)), label) for m, label in MODE_LABELS.items()]
    )
    trial_terms = TextAreaField(
        _l("先使用后付费条件"),
        validators=[Optional(), Length(max=2000)],
        description=_l("试用期、试用费用和期满后的付费方式。"),
    )
    price_wan = AmountField(
        _l("价格（万元）"),
        places=2,
        validators=[Optional(), Wan()],
        description=_l("留空表示面议。"),
    )
    team = TextAreaField(_l("团队/发明人"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.trl.choices = trl_choices()

    def to_data(self) -> ResultData:
        """The form's values as the service's input."""
        return ResultData(
            **self.common(),  # type: ignore[arg-type]
            summary=self.summary.data or "",
            description=self.description.data or "",
            trl=int(self.trl.data) if self.trl.data else None,
            patents=parse_patents(self.patents.data or ""),
            software_copyrights=tuple(
                line.strip()[:100]
                for line in (self.software_copyrights.data or "").splitlines()
                if line.strip()
            ),
            modes=sum(int(m) for m in self.modes.data or []),
            trial_terms=self.trial_terms.data or "",
            price_wan=self.price_wan.data,
            team=self.team.data or "",
        )

    def fill_from(self, result: object) -> None:
        """Show a saved result's values in the form."""
        self.process(obj=result)
        self.keywords.data = ", ".join(result.keyword_list)  # type: ignore[attr-defined]
        self.trl.data = str(result.trl) if result.trl else ""  # type: ignore[attr-defined]
        self.patents.data = "\n".join(
            f"{p.get('number', '')} {PATENT_STATUS.get(p.get('status', ''), '')}".strip()
            for p in result.patents or []  # type: ignore[attr-defined]
        )
        self.software_copyrights.data = "\n".join(result.software_copyrights or [])  # type: ignore[attr-defined]
        self.modes.data = [str(int(m)) for m in MODE_LABELS if result.modes & m]  # type: ignore[attr-defined]


def parse_patents(text: str) -> tuple[dict[str, str], ...]:
    """'ZL2021 1 0123456.7 已授权' lines -> [{'number', 'status'}]."""
    labels = {str(label): code for code, label in PATENT_STATUS.items()} | {
        "已授权": "granted",
        "申请中": "applied",
        "已失效": "expired",
        "granted": "granted",
        "applied": "applied",
        "expired": "expired",
    }
    items = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        status = "granted"
        for label, code in labels.items():
            if line.endswith(label):
                status, line = code, line[: -len(label)].strip(" |,，")
                break
        items.append({"number": line[:60], "status": status})
    return tuple(items[:50])


@_contact_fields
class NeedForm(_ListingForm):
    """An enterprise's technical need."""

    description = TextAreaField(
        _l("需求描述"),
        validators=[
            InputRequired(_l("请填写需求描述。")),
            Length(max=20000, message=_l("不能超过 %(max)d 个字符。")),
        ],
        description=_l("要解决的技术问题、应用场景和约束条件。"),
    )
    targets = TextAreaField(
        _l("预期目标"),
        validators=[Optional(), Length(max=5000)],
        description=_l("希望达到的技术指标。"),
    )
    existing_base = TextAreaField(_l("现有工作基础"), validators=[Optional(), Length(max=5000)])
    budget_wan = AmountField(
        _l("意向金额（万元）"),
        places=2,
        default=Decimal(0),
        validators=[Optional(), Wan(negotiable=True)],
        description=_l("填 0 表示面议。"),
    )
    deadline = DateField(_l("截止日期"), validators=[Optional()])

    def to_data(self) -> NeedData:
        """The form's values as the service's input."""
        return NeedData(
            **self.common(),  # type: ignore[arg-type]
            description=self.description.data or "",
            targets=self.targets.data or "",
            existing_base=self.existing_base.data or "",
            budget_wan=self.budget_wan.data or Decimal(0),
            deadline=self.deadline.data,
        )

    def fill_from(self, need: object) -> None:
        """Show a saved need's values in the form."""
        self.process(obj=need)
        self.keywords.data = ", ".join(need.keyword_list)  # type: ignore[attr-defined]


class AttachmentForm(FlaskForm):
    """Upload one attachment."""

    file = FileField(
        _l("附件"),
        validators=[FileRequired(_l("请选择文件。"))],
        description=_l(
            "PDF、Word（.docx、.doc）、Excel（.xlsx）、PowerPoint（.pptx）或图片"
            "（PNG、JPEG、GIF、WebP），不超过 10 MB；不接受含宏的文件。"
        ),
        render_kw={"accept": ACCEPT},
    )


class ActionForm(FlaskForm):
    """A one-click listing action (submit, retract, withdraw, confirm, transfer)."""

    action = SelectField(
        choices=[(a, a) for a in ("submit", "retract", "withdraw", "confirm", "transfer")],
        validators=[InputRequired()],
    )
