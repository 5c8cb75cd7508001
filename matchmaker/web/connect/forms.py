"""Forms of the 对接 pages (shape only; the connect services check the rules)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, Regexp

from matchmaker.models.enquiry import ENQUIRY_DECLINE_LABELS, INTENT_LABELS, OUTCOME_LABELS
from matchmaker.services.platform.files import ACCEPT
from matchmaker.web.ids import to_id

#: The longest message the services accept (the textarea's counter shows it too).
MESSAGE_MAX = 5000
_TOO_LONG = _l("不能超过 %(max)d 个字符。")
_FILE_HELP = _l(
    "选填。PDF、Word（.docx、.doc）、Excel（.xlsx）、PowerPoint（.pptx）或图片"
    "（PNG、JPEG、GIF、WebP），不超过 10 MB；不接受含宏的文件。"
)


def _text(required: str, max_length: int) -> list[object]:
    return [InputRequired(required), Length(max=max_length, message=_TOO_LONG)]


def _optional_text(max_length: int) -> list[object]:
    return [Optional(), Length(max=max_length, message=_TOO_LONG)]


class ActionForm(FlaskForm):
    """A one-click step (accept, withdraw, unblock): CSRF only."""


class EnquiryForm(FlaskForm):
    """发起对接: what the sender wants, a message, an optional file and NDA request."""

    intent = RadioField(
        _l("对接意向"),
        choices=[(str(value), label) for value, label in INTENT_LABELS.items()],
        validators=[InputRequired(_l("请选择对接意向。"))],
    )
    message = TextAreaField(
        _l("留言"),
        validators=_text(_l("请填写留言，说明你的机构和合作设想。"), MESSAGE_MAX),
        description=_l("对方接受之前只能看到你的机构名称、意向和这段留言，看不到你的联系方式。"),
    )
    file = FileField(_l("附件"), description=_FILE_HELP, render_kw={"accept": ACCEPT})
    nda_requested = BooleanField(_l("希望先签署保密协议（NDA）"))


class DeclineForm(FlaskForm):
    """The owner declines: a reason code and the text the sender sees."""

    code = RadioField(
        _l("婉拒原因"),
        choices=[(str(value), label) for value, label in ENQUIRY_DECLINE_LABELS.items()],
        validators=[InputRequired(_l("请选择婉拒原因。"))],
    )
    reason = TextAreaField(
        _l("说明"),
        validators=_text(_l("请填写具体说明，对方会看到。"), 2000),
        description=_l("对方会看到这段说明。"),
    )


class AskForm(FlaskForm):
    """The owner asks the sender for more information."""

    question = TextAreaField(
        _l("需要对方补充的信息"), validators=_text(_l("请写明需要补充什么。"), 2000)
    )


class AnswerForm(FlaskForm):
    """The sender's answer to a request for information."""

    text = TextAreaField(_l("补充说明"), validators=_text(_l("请填写补充说明。"), MESSAGE_MAX))
    file = FileField(_l("附件"), description=_FILE_HELP, render_kw={"accept": ACCEPT})


class MessageForm(FlaskForm):
    """One message of the conversation."""

    body = TextAreaField(_l("消息内容"), validators=_text(_l("请填写消息内容。"), MESSAGE_MAX))
    file = FileField(_l("附件"), description=_FILE_HELP, render_kw={"accept": ACCEPT})


class CloseForm(FlaskForm):
    """End the conversation with an outcome."""

    outcome = RadioField(
        _l("洽谈结果"),
        choices=[(str(value), label) for value, label in OUTCOME_LABELS.items()],
        validators=[InputRequired(_l("请选择洽谈结果。"))],
    )
    reason = TextAreaField(
        _l("说明"),
        validators=_optional_text(2000),
        description=_l("选择“暂不合作”时请写明原因。"),
    )


class ReportForm(FlaskForm):
    """Report a message to the platform (admins then see its text)."""

    reason = TextAreaField(_l("举报原因"), validators=_text(_l("请写明举报原因。"), 1000))


class BlockForm(FlaskForm):
    """Block an organisation: no more enquiries or messages from it."""

    reason = TextAreaField(_l("原因（选填）"), validators=_optional_text(1000))
    next = HiddenField()


class RefuseIntroductionForm(FlaskForm):
    """The need owner declines a broker's introduction: the reason the broker reads."""

    reason = TextAreaField(
        _l("不接受引荐的原因"),
        validators=_text(_l("请填写不接受引荐的原因，经纪人会看到。"), 2000),
        description=_l("经纪人会看到这段说明，被引荐的一方不会看到。"),
    )


class IntroduceForm(FlaskForm):
    """由经纪人引荐: a recommended result or expert (or one by its number), intent and note."""

    target = SelectField(_l("推荐的成果或专家"), choices=[], validate_choice=False)
    other_kind = SelectField(
        _l("或按编号引荐"),
        choices=[("result", _l("成果")), ("expert", _l("专家"))],
        validators=[Optional()],
        validate_choice=False,  # any other kind: the service says what to choose
    )
    other_id = StringField(
        _l("编号"),
        validators=[Optional(), Regexp(r"^[1-9][0-9]{0,9}$", message=_l("请填写有效的编号。"))],
        description=_l("成果或专家页面地址中的数字，例如 /results/12 中的 12。"),
    )
    intent = RadioField(
        _l("合作意向"),
        choices=[(str(value), label) for value, label in INTENT_LABELS.items()],
        validators=[InputRequired(_l("请选择合作意向。"))],
    )
    note = TextAreaField(
        _l("引荐说明"),
        validators=_text(_l("请填写引荐说明，双方都会看到。"), 2000),
        description=_l("说明为什么推荐双方合作。需求方和被引荐方都会看到这段说明。"),
    )

    def chosen(self) -> tuple[str, int | None]:
        """(kind, id) of the target: the typed number when given, else the chosen option."""
        typed = (self.other_id.data or "").strip()
        if typed:
            return self.other_kind.data or "result", to_id(typed)
        kind, _sep, number = (self.target.data or "").partition(":")
        return kind, to_id(number)
