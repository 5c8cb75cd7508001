"""对接: the new-enquiry form, the inbox, the enquiry page (the conversation after acceptance)
and its attachments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from matchmaker.models import Enquiry, Organisation
from matchmaker.models.base import utcnow
from matchmaker.models.enquiry import ENQUIRY_STATUS_LABELS, EnquirySource, EnquiryStatus
from matchmaker.permissions import can_apply_to_challenge, can_view_deal
from matchmaker.services.challenges import challenges
from matchmaker.services.challenges.deals import deal_of_enquiry
from matchmaker.services.connect import conversations, enquiries, introductions, targets
from matchmaker.services.market import publication
from matchmaker.web.connect.blueprint import bp, can_enquire, subject_url
from matchmaker.web.connect.forms import (
    MESSAGE_MAX,
    ActionForm,
    AnswerForm,
    AskForm,
    BlockForm,
    CloseForm,
    DeclineForm,
    EnquiryForm,
    MessageForm,
    RefuseIntroductionForm,
)
from matchmaker.web.downloads import send_stored_file
from matchmaker.web.forms import form_errors
from matchmaker.web.ids import id_arg, to_id
from matchmaker.web.policy import accepts_files, login_required
from matchmaker.web.refusals import on_refusal

KINDS = ("result", "need", "expert")
BOXES = ("received", "sent")


def upload_of(file: FileStorage | None) -> tuple[Any, str] | None:
    """The (stream, filename) a service takes, or None when no file was chosen."""
    if file is None or not getattr(file, "filename", ""):
        return None
    return file.stream, file.filename or ""


# --- the new enquiry ---------------------------------------------------------------------------
def _target() -> tuple[str, int, str, int | None]:
    """kind, listing id, source and conversion offer from the query string (404 if malformed)."""
    kind = request.args.get("kind", "")
    listing_id = id_arg("id")
    if kind not in KINDS or listing_id is None:
        abort(404)
    source = request.args.get("source", EnquirySource.LISTING.value)
    if source not in {s.value for s in EnquirySource} or source == EnquirySource.INTRODUCTION:
        source = EnquirySource.LISTING.value
    return kind, listing_id, source, to_id(request.args.get("offer"))


def _sent_on(kind: str, listing_id: int) -> Enquiry | None:
    """My organisation's enquiry on this listing that is still going, if any."""
    for enquiry in enquiries.inbox(actor=current_user, box="sent"):
        same = enquiry.listing_kind == kind and enquiry.listing.id == listing_id
        if same and enquiry.status in (
            EnquiryStatus.OPEN,
            EnquiryStatus.INFO_REQUESTED,
            EnquiryStatus.ACCEPTED,
        ):
            return enquiry
    return None


@dataclass(frozen=True)
class Subject:
    """What the form is about, as the page shows it: a public listing or expert profile."""

    kind: str
    id: int
    title: str
    organisation: Organisation

    @property
    def organisation_id(self) -> int:
        return self.organisation.id

    @property
    def url(self) -> str:
        return subject_url(self.kind, self.id)


def _subject(kind: str, target_id: int) -> Subject | None:
    """The public listing or expert the form is about (None when not public now)."""
    if kind == "expert":
        expert = targets.public_expert(target_id)
        if expert is None:
            return None
        return Subject(kind, expert.id, targets.expert_name(expert), expert.organisation)
    pub = publication.public_publication(kind, target_id)
    if pub is None:
        return None
    return Subject(kind, pub.listing_id, pub.title, pub.organisation)


def _render_new(pub: Subject | None, form: EnquiryForm, notice: str = "") -> str:
    """The form (`pub` is None once the target left the public lists: the reason is flashed)."""
    existing = _sent_on(pub.kind, pub.id) if pub is not None and not notice else None
    return render_template(
        "connect/new.html",
        pub=pub,
        form=form,
        notice=notice,
        existing=existing,
        message_max=MESSAGE_MAX,
    )


def _notice(owner_org_id: int) -> str:
    """Why this user cannot send an enquiry on this listing ("" when they can)."""
    if can_enquire(current_user, owner_org_id):
        return ""
    if current_user.organisation_id == owner_org_id:
        return _("这是你的机构发布的内容，不能向自己发起对接。")
    return _("只有已认证机构的成员可以发起对接。你的机构通过平台认证后即可使用。")


@bp.route("/new", methods=["GET", "POST"])
@login_required
@accepts_files
def new_enquiry() -> Response | str | tuple[str, int]:
    """发起对接 on a public result, need or expert (from its page, a recommendation or the
    conversion list): intent, message, optional file and NDA request."""
    kind, listing_id, source, offer_id = _target()
    pub = _subject(kind, listing_id)
    if pub is None and request.method != "POST":
        abort(404)
    form = EnquiryForm()
    if pub is not None:
        # A listing withdrawn while the form was open goes on to the service, which says why.
        notice = _notice(pub.organisation_id)
        if notice:
            return _render_new(pub, form, notice), 403
        if not form.validate_on_submit():
            return _render_new(pub, form), 400 if request.method == "POST" else 200
    on_refusal(lambda: _render_new(pub, form))
    with form_errors(form) as outcome:
        enquiry = enquiries.create_enquiry(
            actor=current_user,
            kind=kind,
            listing_id=listing_id,
            data=enquiries.EnquiryData(
                intent=form.intent.data or "",
                message=form.message.data or "",
                nda_requested=bool(form.nda_requested.data),
                source=source,
                offer_id=offer_id,
            ),
            upload=upload_of(form.file.data),
        )
    if not outcome.ok:
        return _render_new(pub, form), 400
    flash(_("对接请求已发送。对方答复后会通知你。"), "success")
    return redirect(url_for("connect.show", enquiry_id=enquiry.id))


# --- the inbox ---------------------------------------------------------------------------------
@bp.get("/inbox")
@login_required
def inbox() -> str:
    """My organisation's enquiries: received and sent, filtered by state."""
    box = request.args.get("box", "received")
    box = box if box in BOXES else "received"
    status = request.args.get("status", "")
    status = status if status in {s.value for s in EnquiryStatus} else ""
    items = enquiries.inbox(actor=current_user, box=box, status=status or None)
    # Brokers' introductions waiting for my consent lead the default tab (where badges lead).
    show_proposed = box == "received" and status in ("", EnquiryStatus.PROPOSED.value)
    return render_template(
        "connect/inbox.html",
        items=items,
        box=box,
        status=status,
        statuses=ENQUIRY_STATUS_LABELS,
        waiting=enquiries.waiting_count(current_user),
        unread=conversations.unread_enquiry_ids(current_user),
        proposed=introductions.awaiting_consent(actor=current_user) if show_proposed else [],
    )


# --- the enquiry / conversation page -----------------------------------------------------------
def render_enquiry(enquiry: Enquiry, **bound: Any) -> str:
    """The enquiry page; `bound` holds submitted forms to show again with their errors."""
    my_org = current_user.organisation_id
    is_owner = my_org == enquiry.owner_org_id
    other_org = enquiry.sender_org if is_owner else enquiry.owner_org
    challenge = challenges.challenge_of(enquiry.need) if enquiry.need is not None else None
    can_apply = (
        challenge is not None
        and not is_owner
        and challenge.is_accepting(utcnow())
        and can_apply_to_challenge(current_user, challenge)
    )
    deal = deal_of_enquiry(enquiry)
    forms = {
        "decline_form": DeclineForm,
        "ask_form": AskForm,
        "answer_form": AnswerForm,
        "message_form": MessageForm,
        "close_form": CloseForm,
    }
    return render_template(
        "connect/show.html",
        enquiry=enquiry,
        listing=enquiry.listing,
        title=targets.subject_title(enquiry),
        refuse_form=bound.get("refuse_form") or RefuseIntroductionForm(formdata=None),
        is_owner=is_owner,
        other_org=other_org,
        contacts=enquiries.contacts(enquiry),
        thread=conversations.messages(enquiry),
        opening_files=[a for a in enquiry.attachments if a.message_id is None],
        blocked=conversations.is_blocked(my_org, other_org.id),
        challenge=challenge if can_apply else None,
        my_results=challenges.listed_results(organisation_id=my_org) if can_apply else [],
        deal=deal if deal is not None and can_view_deal(current_user, deal) else None,
        action_form=ActionForm(formdata=None),
        block_form=BlockForm(formdata=None, next=request.path),
        message_max=MESSAGE_MAX,
        **{name: bound.get(name) or cls(formdata=None) for name, cls in forms.items()},
    )


def party_enquiry(enquiry_id: int) -> Enquiry:
    """The enquiry, for its two organisations only (everyone else: 404)."""
    return enquiries.get_enquiry(actor=current_user, enquiry_id=enquiry_id)


def answer(
    enquiry_id: int,
    form: FlaskForm,
    name: str,
    step: Callable[[Enquiry, Any], object],
    done: str,
) -> Response | tuple[str, int]:
    """Validate the form, take the step, back to the enquiry; the page again on a refusal
    (`name` is the form's name on the page, so an invalid one shows its errors in place)."""
    enquiry = party_enquiry(enquiry_id)
    if form.validate_on_submit():
        on_refusal(lambda: render_enquiry(enquiry))
        with form_errors(form) as outcome:
            step(enquiry, form)
        if outcome.ok:
            flash(done, "success")
            return redirect(url_for("connect.show", enquiry_id=enquiry.id))
    return render_enquiry(enquiry, **{name: form}), 400


@bp.get("/<int:enquiry_id>")
@login_required
def show(enquiry_id: int) -> str:
    """The enquiry: the listing, the message, the answers; after acceptance the conversation."""
    enquiry = party_enquiry(enquiry_id)
    conversations.mark_read(actor=current_user, enquiry=enquiry)
    return render_enquiry(enquiry)


@bp.get("/<int:enquiry_id>/attachments/<int:attachment_id>")
@login_required
def download(enquiry_id: int, attachment_id: int) -> Response:
    """Download a file of the enquiry or its messages (the two organisations only)."""
    attachment, path = conversations.downloadable_attachment(
        user=current_user, enquiry_id=enquiry_id, attachment_id=attachment_id
    )
    return send_stored_file(
        path, content_type=attachment.content_type, name=attachment.original_name
    )
