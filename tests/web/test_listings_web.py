"""Owner and reviewer pages: illegal transitions answer 409, object-level 404s, roles,
mass assignment, uploads."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Attachment, AuditLog, Need, Publication, Result
from matchmaker.models.base import CHINA
from matchmaker.services.market import attachments
from matchmaker.services.platform import files
from tests.conftest import log_in
from tests.factories import make_user
from tests.services.test_attachments import EXE, HTML, JPEG, PDF, PNG, files_in_storage
from tests.services.test_listings import CASES, LEGAL, PUBLIC, STATES, bring_to

OWNER_ACTIONS = ("submit", "retract", "withdraw", "transfer", "confirm")
MODEL = {"result": Result, "need": Need}


def result_form(fields, **overrides):
    return {
        "title": "高强高模碳纤维原丝干喷湿纺制备技术",
        "field_id": str(fields["materials"].id),
        "summary": "采用干喷湿纺工艺制备T800级碳纤维原丝，拉伸强度不低于5.5GPa，适用于航空航天。",
        "description": "技术指标：拉伸强度≥5.5GPa。",
        "keywords": "碳纤维，原丝",
        "trl": "6",
        "modes": ["1", "4"],
        "price_wan": "300",
        "region": "changchun",
        "contact_name": "李老师",
        "contact_phone": "13812345678",
        "contact_email": "sentinel@contact.example",
        **overrides,
    }


def need_form(fields, **overrides):
    from datetime import datetime

    return {
        "title": "汽车轻量化碳纤维复合材料部件成型工艺需求",
        "field_id": str(fields["automotive"].id),
        "description": "需要适合年产十万件的碳纤维复合材料车身部件快速成型工艺，节拍小于5分钟。",
        "targets": "节拍≤5分钟",
        "existing_base": "已有热压罐",
        "keywords": "轻量化",
        "budget_wan": "80",
        "deadline": (datetime.now(CHINA).date() + timedelta(days=90)).isoformat(),
        "region": "changchun",
        "contact_name": "王工",
        "contact_phone": "13812345678",
        "contact_email": "sentinel@contact.example",
        **overrides,
    }


def form_for(kind, fields, **overrides):
    return (result_form if kind == "result" else need_form)(fields, **overrides)


def owner_role(kind: str) -> str:
    return "university" if kind == "result" else "enterprise"


def setup_listing(kind, state, fields):
    owner, admin = make_user(owner_role(kind)), make_user("admin")
    listing = bring_to(kind, state, fields, owner, admin)
    db.session.commit()
    return owner, admin, listing


def reload(listing):
    db.session.expire_all()
    return db.session.get(type(listing), listing.id)


def upload(client, kind, listing_id, content, name, **kw):
    return client.post(
        f"/my/{kind}s/{listing_id}/attachments",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        **kw,
    )


# --- every owner action through the web -------------------------------------------------------
WEB_CASES = [c for c in CASES if c[2] in OWNER_ACTIONS]


@pytest.mark.parametrize(
    ("kind", "state", "action"), WEB_CASES, ids=["-".join(c) for c in WEB_CASES]
)
def test_owner_action(client, fields, kind, state, action):
    """SECURITY.md row 18 (v5.0.0-2.3.1)."""
    owner, _admin, listing = setup_listing(kind, state, fields)
    log_in(client, owner)
    response = client.post(f"/my/{kind}s/{listing.id}/action", data={"action": action})
    listing = reload(listing)
    if (kind, state, action) in LEGAL:
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/my/{kind}s/{listing.id}")
        assert listing.status == LEGAL[(kind, state, action)]
    elif kind == "need" and action == "transfer":
        assert response.status_code == 400  # not an action a need has at all
        assert listing.status == state
    else:
        assert response.status_code == 409
        assert listing.status == state
        page = response.get_data(as_text=True)
        assert listing.title in page  # the listing page, with the reason flashed
        assert "alert" in page


@pytest.mark.parametrize("action", ["", "delete", "approve"])
def test_unknown_owner_action_is_a_bad_request(client, fields, action):
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    assert (
        client.post(f"/my/results/{listing.id}/action", data={"action": action}).status_code == 400
    )
    assert reload(listing).status == "draft"


@pytest.mark.parametrize(("kind", "state"), [("result", "transferred"), ("need", "awarded")])
def test_editing_a_closed_listing_answers_409(client, fields, kind, state):
    owner, _admin, listing = setup_listing(kind, state, fields)
    log_in(client, owner)
    response = client.post(
        f"/my/{kind}s/{listing.id}/edit", data=form_for(kind, fields, title="偷偷改标题")
    )
    assert response.status_code == 409
    assert "当前状态下不能修改" in response.get_data(as_text=True)
    listing = reload(listing)
    assert listing.status == state and listing.title != "偷偷改标题"


@pytest.mark.parametrize("kind", ["result", "need"])
def test_editing_a_public_listing_goes_back_to_review(client, fields, kind):
    """SECURITY.md row 18 (v5.0.0-2.3.1)."""
    owner, _admin, listing = setup_listing(kind, PUBLIC[kind], fields)
    old_title = listing.title
    log_in(client, owner)
    response = client.post(
        f"/my/{kind}s/{listing.id}/edit",
        data=form_for(kind, fields, title="第二版标题"),
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "审核通过前公众仍看到原来的版本" in response.get_data(as_text=True)
    listing = reload(listing)
    assert listing.status == "pending_review"
    assert db.session.scalar(sa.select(Publication.title)) == old_title


@pytest.mark.parametrize("kind", ["result", "need"])
@pytest.mark.parametrize("state", ["draft", "withdrawn", "expired", "public"])
@pytest.mark.parametrize("verdict", ["approve", "reject"])
def test_reviewing_a_listing_not_pending_answers_409(client, fields, kind, state, verdict):
    """SECURITY.md row 18 (v5.0.0-2.3.1)."""
    state = PUBLIC[kind] if state == "public" else state
    _owner, admin, listing = setup_listing(kind, state, fields)
    log_in(client, admin)
    response = client.post(
        f"/admin/review/{kind}s/{listing.id}/{verdict}",
        data={"code": "unclear", "reason": "请补充"},
    )
    assert response.status_code == 409
    assert reload(listing).status == state
    assert listing.review_reason is None


@pytest.mark.parametrize("role", ["enterprise", "university", "bank"])
@pytest.mark.parametrize("verdict", ["approve", "reject"])
def test_only_admins_review(client, fields, role, verdict):
    """SECURITY.md row 18 (v5.0.0-8.3.1)."""
    _owner, _admin, listing = setup_listing("result", "pending_review", fields)
    user = make_user(role)
    db.session.commit()
    log_in(client, user)
    response = client.post(
        f"/admin/review/results/{listing.id}/{verdict}", data={"code": "unclear", "reason": "x"}
    )
    assert response.status_code == 403
    assert reload(listing).status == "pending_review"
    assert client.get("/admin/review/").status_code == 403


def test_reject_without_reason_is_a_form_error(client, fields):
    _owner, admin, listing = setup_listing("result", "pending_review", fields)
    log_in(client, admin)
    response = client.post(
        f"/admin/review/results/{listing.id}/reject", data={"code": "unclear", "reason": ""}
    )
    assert response.status_code == 400
    assert reload(listing).status == "pending_review"


def test_review_approve_and_reject_record_audit(client, fields):
    owner, admin, listing = setup_listing("need", "pending_review", fields)
    log_in(client, admin)
    assert (
        client.post(
            f"/admin/review/needs/{listing.id}/reject",
            data={"code": "duplicate", "reason": "与另一条需求重复"},
        ).status_code
        == 302
    )
    listing = reload(listing)
    assert (listing.status, listing.review_reason_code) == ("draft", "duplicate")
    log_in(client, owner)
    page = client.get(f"/my/needs/{listing.id}").get_data(as_text=True)
    assert "疑似重复" in page and "与另一条需求重复" in page
    assert (
        client.post(f"/my/needs/{listing.id}/action", data={"action": "submit"}).status_code == 302
    )
    log_in(client, admin)
    assert client.post(f"/admin/review/needs/{listing.id}/approve").status_code == 302
    assert reload(listing).status == "open"
    entries = db.session.execute(
        sa.select(AuditLog.action, AuditLog.actor_id, AuditLog.before, AuditLog.after)
        .where(AuditLog.object_type == "need")
        .order_by(AuditLog.id)
    ).all()
    assert [(a, actor) for a, actor, _b, _a in entries][-3:] == [
        ("need.reject", admin.id),
        ("need.submit", owner.id),
        ("need.approve", admin.id),
    ]
    assert entries[-1].before == {"status": "pending_review"} and entries[-1].after == {
        "status": "open"
    }


# --- verification -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["result", "need"])
def test_unverified_organisation_cannot_submit(client, fields, kind):
    owner = make_user(owner_role(kind), verified=False)
    db.session.commit()
    log_in(client, owner)
    response = client.post(f"/my/{kind}s/new", data=form_for(kind, fields))
    assert response.status_code == 302
    listing_id = int(re.search(rf"/my/{kind}s/(\d+)", response.headers["Location"]).group(1))
    page = client.get(f"/my/{kind}s/{listing_id}").get_data(as_text=True)
    assert "机构认证后才能提交审核" in page and 'value="submit"' not in page

    response = client.post(f"/my/{kind}s/{listing_id}/action", data={"action": "submit"})
    assert response.status_code == 403  # a refused permission, with the listing page and why
    assert "机构通过平台认证后才能提交发布" in response.get_data(as_text=True)
    assert db.session.get(MODEL[kind], listing_id).status == "draft"


def test_incomplete_draft_submit_shows_the_missing_fields(client, fields):
    owner = make_user("university")
    db.session.commit()
    log_in(client, owner)
    response = client.post("/my/results/new", data=result_form(fields, trl="", modes=[]))
    listing_id = int(re.search(r"/my/results/(\d+)", response.headers["Location"]).group(1))
    response = client.post(
        f"/my/results/{listing_id}/action", data={"action": "submit"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "提交前请选择技术成熟度" in page and "提交前请至少选择一种交易方式" in page
    assert db.session.get(Result, listing_id).status == "draft"


# --- object-level access ----------------------------------------------------------------------
def _owner_routes(kind, listing_id, attachment_id, fields):
    file = {"file": (io.BytesIO(PDF), "x.pdf")}
    routes = [
        ("GET", f"/my/{kind}s/{listing_id}", None),
        ("GET", f"/my/{kind}s/{listing_id}/edit", None),
        ("POST", f"/my/{kind}s/{listing_id}/edit", form_for(kind, fields, title="被别人改了")),
        ("POST", f"/my/{kind}s/{listing_id}/attachments", file),
        ("POST", f"/my/{kind}s/{listing_id}/attachments/{attachment_id}/delete", {}),
    ]
    routes += [("POST", f"/my/{kind}s/{listing_id}/action", {"action": a}) for a in OWNER_ACTIONS]
    return routes


@pytest.mark.parametrize("kind", ["result", "need"])
@pytest.mark.parametrize("state", ["draft", "public"])
def test_other_organisation_gets_404_on_every_owner_route(client, fields, kind, state):
    """SECURITY.md row 15 (v5.0.0-8.2.2)."""
    state = PUBLIC[kind] if state == "public" else state
    owner, _admin, listing = setup_listing(kind, state, fields)
    item = attachments.add_attachment(
        actor=owner, listing=listing, stream=io.BytesIO(PDF), filename="a.pdf"
    )
    db.session.commit()
    listing = reload(listing)
    status, title = listing.status, listing.title
    stranger = make_user(owner_role(kind))
    db.session.commit()
    log_in(client, stranger)
    before_files = files_in_storage()

    for method, url, data in _owner_routes(kind, listing.id, item.id, fields):
        if method == "GET":
            response = client.get(url)
        else:
            kw = {"content_type": "multipart/form-data"} if data and "file" in data else {}
            response = client.post(url, data=data, **kw)
        assert response.status_code == 404, (method, url, response.status_code)

    assert client.get(f"/{kind}s/{listing.id}?preview=1").status_code == 404
    listing = reload(listing)
    assert (listing.status, listing.title) == (status, title)
    assert db.session.get(Attachment, item.id) is not None
    assert files_in_storage() == before_files
    assert len(listing.attachments) == 1


def test_draft_detail_and_preview_are_404_for_outsiders(client, fields):
    """SECURITY.md row 15 (v5.0.0-8.2.2)."""
    owner, admin, listing = setup_listing("result", "draft", fields)
    for who in (None, make_user("university"), make_user("enterprise"), make_user("bank")):
        db.session.commit()
        if who is None:
            with client.session_transaction() as session:
                session.clear()
        else:
            log_in(client, who)
        assert client.get(f"/results/{listing.id}").status_code == 404
        assert client.get(f"/results/{listing.id}?preview=1").status_code == 404
    log_in(client, owner)
    assert client.get(f"/results/{listing.id}?preview=1").status_code == 200
    log_in(client, admin)
    assert client.get(f"/results/{listing.id}?preview=1").status_code == 200


def test_attachment_of_another_listing_cannot_be_deleted_through_mine(client, fields):
    """SECURITY.md row 15 (v5.0.0-8.2.2)."""
    owner_a, _admin, listing_a = setup_listing("result", "draft", fields)
    item = attachments.add_attachment(
        actor=owner_a, listing=listing_a, stream=io.BytesIO(PDF), filename="a.pdf"
    )
    db.session.commit()
    owner_b, _admin_b, listing_b = setup_listing("result", "draft", fields)
    log_in(client, owner_b)
    assert (
        client.post(f"/my/results/{listing_b.id}/attachments/{item.id}/delete").status_code == 404
    )
    assert db.session.get(Attachment, item.id) is not None


def test_unknown_listing_is_404_for_the_owner_role(client, fields):
    owner = make_user("university")
    db.session.commit()
    log_in(client, owner)
    assert client.get("/my/results/999999").status_code == 404
    assert client.post("/my/results/999999/action", data={"action": "submit"}).status_code == 404


@pytest.mark.parametrize(
    ("role", "method", "url"),
    [
        ("enterprise", "GET", "/my/results/new"),
        ("enterprise", "POST", "/my/results/new"),
        ("university", "GET", "/my/needs/new"),
        ("university", "POST", "/my/needs/new"),
        ("bank", "GET", "/my/listings"),
        ("bank", "GET", "/my/results/new"),
        ("bank", "GET", "/my/needs/new"),
        ("admin", "GET", "/my/listings"),
        ("admin", "GET", "/my/results/new"),
    ],
)
def test_roles_without_the_listing_kind_get_403(client, fields, role, method, url):
    user = make_user(role)
    db.session.commit()
    log_in(client, user)
    data = result_form(fields) if "results" in url else need_form(fields)
    response = client.get(url) if method == "GET" else client.post(url, data=data)
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Result)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need)) == 0


def test_enterprise_cannot_open_a_result_owner_page(client, fields):
    _owner, _admin, listing = setup_listing("result", "draft", fields)
    user = make_user("enterprise")
    db.session.commit()
    log_in(client, user)
    assert (
        client.get(f"/my/results/{listing.id}").status_code == 403
    )  # the whole kind, not this row


def test_anonymous_is_sent_to_login(client, fields):
    response = client.get("/my/listings")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("role", "expected"), [("university", "我的成果"), ("enterprise", "我的需求")]
)
def test_my_listings_page(client, fields, role, expected):
    kind = "result" if role == "university" else "need"
    owner, _admin, listing = setup_listing(kind, "draft", fields)
    log_in(client, owner)
    page = client.get("/my/listings").get_data(as_text=True)
    assert listing.title in page and expected in page


# --- mass assignment --------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["result", "need"])
def test_extra_fields_on_new_are_ignored(client, fields, kind):
    """SECURITY.md row 17 (v5.0.0-15.3.3)."""
    owner = make_user(owner_role(kind))
    other = make_user(owner_role(kind))
    db.session.commit()
    log_in(client, owner)
    data = form_for(
        kind,
        fields,
        status=PUBLIC[kind],
        organisation_id=str(other.organisation_id),
        created_by_id=str(other.id),
        published_at="2020-01-01",
        expires_at="2099-01-01",
        id="424242",
        review_reason="伪造",
    )
    response = client.post(f"/my/{kind}s/new", data=data)
    assert response.status_code == 302
    listing = db.session.scalars(sa.select(MODEL[kind])).one()
    assert listing.status == "draft"
    assert listing.organisation_id == owner.organisation_id and listing.created_by_id == owner.id
    assert listing.published_at is None and listing.expires_at is None and listing.id != 424242
    assert listing.review_reason is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Publication)) == 0


@pytest.mark.parametrize("kind", ["result", "need"])
def test_extra_fields_on_edit_are_ignored(client, fields, kind):
    """SECURITY.md row 17 (v5.0.0-15.3.3)."""
    owner, _admin, listing = setup_listing(kind, "draft", fields)
    other = make_user(owner_role(kind))
    db.session.commit()
    log_in(client, owner)
    data = form_for(
        kind,
        fields,
        title="改过的标题",
        status=PUBLIC[kind],
        organisation_id=str(other.organisation_id),
        created_by_id=str(other.id),
    )
    assert client.post(f"/my/{kind}s/{listing.id}/edit", data=data).status_code == 302
    listing = reload(listing)
    assert listing.title == "改过的标题"
    assert listing.status == "draft"
    assert listing.organisation_id == owner.organisation_id and listing.created_by_id == owner.id
    assert listing.publication is None


def test_form_errors_on_new(client, fields):
    owner = make_user("university")
    db.session.commit()
    log_in(client, owner)
    response = client.post(
        "/my/results/new", data=result_form(fields, title="", price_wan="-3", region="atlantis")
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "请填写标题" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Result)) == 0


# --- uploads through the owner page -----------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (PDF, "检测报告.pdf", "application/pdf"),
        (PNG, "照片.png", "image/png"),
        (JPEG, "photo.jpeg", "image/jpeg"),
    ],
)
def test_upload_accepts_pdf_and_images(client, fields, content, name, content_type):
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    before = files_in_storage()
    response = upload(client, "result", listing.id, content, name, follow_redirects=True)
    assert "附件已上传" in response.get_data(as_text=True)
    item = db.session.scalars(sa.select(Attachment)).one()
    assert (item.original_name, item.content_type) == (name, content_type)
    assert files_in_storage() - before == {item.stored_name}


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (HTML, "报告.pdf", "只接受 PDF"),
        (EXE, "setup.pdf", "只接受 PDF"),
        (b"", "empty.pdf", "文件是空的"),
    ],
)
def test_upload_refuses_disguised_and_empty_files(client, fields, content, name, message):
    """SECURITY.md row 27 (v5.0.0-5.2.2)."""
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    before = files_in_storage()
    response = upload(client, "result", listing.id, content, name, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert files_in_storage() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_upload_refuses_oversize(app, client, fields):
    """SECURITY.md row 26 (v5.0.0-5.2.1)."""
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    before = files_in_storage()
    saved = app.config["ATTACHMENT_MAX_BYTES"]
    app.config["ATTACHMENT_MAX_BYTES"] = 1024 * 1024
    try:
        response = upload(
            client,
            "result",
            listing.id,
            PDF + b"\0" * (1024 * 1024),
            "big.pdf",
            follow_redirects=True,
        )
    finally:
        app.config["ATTACHMENT_MAX_BYTES"] = saved
    assert "文件超过 1 MB 的限制" in response.get_data(as_text=True)
    assert files_in_storage() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_upload_without_a_file_is_a_form_error(client, fields):
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    response = client.post(f"/my/results/{listing.id}/attachments", data={}, follow_redirects=True)
    assert "请选择文件" in response.get_data(as_text=True)


def test_upload_to_a_transferred_result_is_refused(client, fields):
    owner, _admin, listing = setup_listing("result", "transferred", fields)
    log_in(client, owner)
    before = files_in_storage()
    response = upload(client, "result", listing.id, PDF, "late.pdf", follow_redirects=True)
    assert "当前状态下不能修改附件" in response.get_data(as_text=True)
    assert files_in_storage() == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_upload_path_traversal_name_is_stored_under_a_generated_name(app, client, fields):
    """SECURITY.md row 28 (v5.0.0-5.3.1, 5.3.2)."""
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    upload(client, "result", listing.id, PDF, "../../app.py")
    item = db.session.scalars(sa.select(Attachment)).one()
    assert item.original_name == "app.py" and re.fullmatch(r"[0-9a-f]{32}", item.stored_name)
    stored = files.storage_dir() / item.stored_name
    assert stored.is_file() and "static" not in stored.resolve().parts
    assert str(stored.resolve()).startswith(str(app.instance_path))


def test_upload_to_a_public_listing_sends_it_back_to_review(client, fields):
    """SECURITY.md row 18 (v5.0.0-2.3.1)."""
    owner, _admin, listing = setup_listing("result", "listed", fields)
    log_in(client, owner)
    upload(client, "result", listing.id, PDF, "新增报告.pdf")
    assert reload(listing).status == "pending_review"


def test_delete_attachment(client, fields):
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    upload(client, "result", listing.id, PDF, "a.pdf")
    item = db.session.scalars(sa.select(Attachment)).one()
    path = files.storage_dir() / item.stored_name
    response = client.post(
        f"/my/results/{listing.id}/attachments/{item.id}/delete", follow_redirects=True
    )
    assert "附件已删除" in response.get_data(as_text=True)
    assert not path.exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0


def test_failed_commit_during_upload_leaves_no_file(app, client, fields, monkeypatch):
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    before = files_in_storage()
    session_class = type(db.session())
    real_commit = session_class.commit

    def failing_commit(self):
        from flask import has_request_context, request

        if has_request_context() and request.endpoint == "listings.upload":
            raise RuntimeError("database went away")
        return real_commit(self)

    with monkeypatch.context() as patch:
        patch.setattr(session_class, "commit", failing_commit)
        # The request scope commits after the view: answer as production does, with a 500.
        patch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
        response = upload(client, "result", listing.id, PDF, "a.pdf")
    assert response.status_code == 500
    assert files_in_storage() == before  # neither the file nor a .part
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
    assert reload(listing).status == "draft"


def test_every_result_state_is_exercised_on_the_web():
    assert {s for _k, s, _a in WEB_CASES} >= set(STATES["result"])
