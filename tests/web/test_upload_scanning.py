"""Uploads through the pages meet the malware scanner (ASVS v5.0.0-5.4.3, SECURITY.md row 29).

Every upload path (listing attachment, 揭榜申请 attachment, deal evidence, the registration's
licence scan, a 对接 file, an Excel import) refuses the EICAR test file when a scanner runs, and
stores nothing; a clean PDF goes through. Without a scanner's answer the fallback holds the file
for an admin (quarantine) or serves it marked unscanned, never silently. The last test runs a
real clamd (Debian's clamav-daemon) with a one-line signature database for EICAR.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.test import TestResponse

from matchmaker.extensions import db
from matchmaker.models import (
    ApplicationAttachment,
    Attachment,
    AuditLog,
    EnquiryAttachment,
    Job,
    MilestoneEvidence,
    OrganisationDocument,
)
from matchmaker.models.stored_file import ScanStatus
from matchmaker.services.challenges import deals
from matchmaker.services.platform import files, quarantine
from tests.conftest import log_in
from tests.factories import make_user, publish_result
from tests.services.challenge_helpers import challenge_world
from tests.services.test_deals import TERMS, awarded  # noqa: F401  (a fixture)
from tests.services.test_excel import csv_bytes, result_row
from tests.services.test_scanning import EICAR, EICAR_PDF, PDF, FakeClamd, _dead_socket
from tests.web.test_application_attachments import _draft
from tests.web.test_application_attachments import _upload as _application_upload
from tests.web.test_listings_web import setup_listing, upload
from tests.web.test_registration_evidence import form

SECURITY = "matchmaker.security"
Send = Callable[[bytes], TestResponse]


@pytest.fixture
def scanner_on(app, monkeypatch) -> Iterator[FakeClamd]:
    """The app scans through a fake clamd (tests/services/test_scanning.py) on a unix socket."""
    fake = FakeClamd()
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", fake.socket_path)
    monkeypatch.setitem(app.config, "CLAMD_TIMEOUT", 2.0)
    yield fake
    fake.close()


def _stored() -> set[str]:
    return {p.name for p in files.storage_dir().iterdir()}


def _count(model: type) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


# --- one sender per upload path: (send(content) -> response, the model that keeps the file) ---
def _listing(client, request) -> tuple[Send, type]:
    owner, _admin, listing = setup_listing("result", "draft", request.getfixturevalue("fields"))
    log_in(client, owner)
    return (lambda content: upload(client, "result", listing.id, content, "报告.pdf")), Attachment


def _application(client, request) -> tuple[Send, type]:
    world = challenge_world(request.getfixturevalue("fields"))
    _draft(client, world)
    return (lambda content: _application_upload(client, world, content, "方案.pdf")), (
        ApplicationAttachment
    )


def _evidence(client, request) -> tuple[Send, type]:
    w = request.getfixturevalue("awarded")
    deal = deals.record_deal(actor=w["owner"], application=w["application"], terms=TERMS)
    milestone = deals.add_milestone(
        actor=w["owner"], deal=deal, title="中试线改造", due_on=date(2027, 3, 1)
    )
    db.session.commit()
    log_in(client, w["uni_a"])
    prefix = f"evidence-{milestone.id}"

    def send(content: bytes) -> TestResponse:
        return client.post(
            f"/my/deals/{deal.id}/milestones/{milestone.id}/evidence",
            data={
                f"{prefix}-file": (io.BytesIO(content), "验收报告.pdf"),
                f"{prefix}-note": "完成",
            },
            content_type="multipart/form-data",
        )

    return send, MilestoneEvidence


def _registration(client, request) -> tuple[Send, type]:
    request.getfixturevalue("db")
    return (
        lambda content: client.post(
            "/auth/register", data=form(document=(io.BytesIO(content), "营业执照.pdf"))
        )
    ), OrganisationDocument


def _enquiry(client, request) -> tuple[Send, type]:
    fields = request.getfixturevalue("fields")
    admin, owner, sender = make_user("admin"), make_user("university"), make_user("enterprise")
    result = publish_result(
        owner, admin, fields, "碳纤维连续碳化技术", "连续碳化工艺，能耗降低两成"
    )
    db.session.commit()
    log_in(client, sender)

    def send(content: bytes) -> TestResponse:
        return client.post(
            f"/connect/new?kind=result&id={result.id}",
            data={
                "intent": "license",
                "message": "我们希望就该技术开展许可合作，年产能约五百吨。",
                "file": (io.BytesIO(content), "需求说明.pdf"),
            },
            content_type="multipart/form-data",
        )

    return send, EnquiryAttachment


PATHS = {
    "listing": _listing,
    "application": _application,
    "evidence": _evidence,
    "registration": _registration,
    "enquiry": _enquiry,
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_eicar_is_refused_on_every_upload_path_and_a_clean_pdf_is_kept(
    client,
    scanner_on,
    request,
    caplog,
    path,  # noqa: F811
):
    caplog.set_level(logging.INFO, logger=SECURITY)
    send, model = PATHS[path](client, request)
    before = _stored()
    response = send(EICAR_PDF)
    page = response.get_data(as_text=True)
    if response.status_code == 302:  # the application form flashes it on the page it returns to
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    else:
        assert response.status_code in (200, 400), page[:500]
    assert "文件未通过病毒扫描" in page and "Eicar-Test-Signature" in page
    assert _count(model) == 0
    assert _stored() == before  # neither the pending nor a final file
    assert "upload.infected" in [r.getMessage() for r in caplog.records if r.name == SECURITY]
    assert scanner_on.received[-1] == EICAR_PDF  # the whole file went to the scanner

    response = send(PDF)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert _count(model) == 1
    assert db.session.scalar(sa.select(model.scan_status)) == ScanStatus.CLEAN  # type: ignore[attr-defined]


def test_an_infected_excel_import_is_refused_and_queues_nothing(
    client,
    login_as,
    scanner_on,
    fields,
):
    login_as("university")
    content = csv_bytes("result", [result_row(1, title="报告" + EICAR.decode())])
    response = client.post(
        "/excel/results/import",
        data={"file": (io.BytesIO(content), "成果.csv")},
        content_type="multipart/form-data",
    )
    assert "文件未通过病毒扫描" in response.get_data(as_text=True)
    assert _count(Job) == 0


# --- without a scanner's answer: quarantine, admin release, accept-with-warning ---------------
@pytest.fixture
def unreachable(app, monkeypatch) -> None:
    """clamd is configured but nothing listens on its socket."""
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", _dead_socket())
    monkeypatch.setitem(app.config, "CLAMD_TIMEOUT", 1.0)


def _quarantined_attachment(client, app, fields, monkeypatch):  # noqa: ANN202
    monkeypatch.setitem(app.config, "UPLOAD_SCAN_FALLBACK", "quarantine")
    owner, admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    assert upload(client, "result", listing.id, PDF, "报告.pdf").status_code == 302
    item = db.session.scalars(sa.select(Attachment)).one()
    return owner, admin, listing, item


def test_quarantine_holds_the_file_until_an_admin_releases_it(
    app, client, fields, monkeypatch, unreachable, caplog
):
    caplog.set_level(logging.INFO, logger=SECURITY)
    owner, admin, listing, item = _quarantined_attachment(client, app, fields, monkeypatch)
    assert item.scan_status == ScanStatus.QUARANTINED
    assert "upload.scanner_unavailable" in [r.getMessage() for r in caplog.records]
    # The uploader sees that it waits, and cannot download it yet.
    page = client.get(f"/my/results/{listing.id}").get_data(as_text=True)
    assert "待检" in page and "管理员放行后才能下载" in page
    refused = client.get(f"/attachments/{item.id}")
    assert refused.status_code == 403
    assert "等待安全检查" in refused.get_data(as_text=True)
    # The admin finds it under 管理 → 待检文件, may open it, and releases it (audited).
    log_in(client, admin)
    assert "/admin/files" in client.get("/dashboard").get_data(as_text=True)
    listing_page = client.get("/admin/files").get_data(as_text=True)
    assert "报告.pdf" in listing_page and "没有响应" in listing_page
    opened = client.get(f"/admin/files/attachments/{item.id}")
    assert opened.status_code == 200 and opened.data == PDF
    opened.close()
    released = client.post(f"/admin/files/attachments/{item.id}/release")
    assert released.status_code == 302
    actions = db.session.scalars(sa.select(AuditLog.action)).all()
    assert "file.download" in actions and "file.release" in actions
    db.session.expire_all()
    assert db.session.get(Attachment, item.id).scan_status == ScanStatus.RELEASED
    after = client.get("/admin/files").get_data(as_text=True)
    assert "已放行" in after and f"/admin/files/attachments/{item.id}" not in after
    # Now the owner downloads it.
    log_in(client, owner)
    download = client.get(f"/attachments/{item.id}")
    assert download.status_code == 200 and download.data == PDF
    download.close()


def test_an_admin_deletes_a_held_file(app, client, fields, monkeypatch, unreachable):
    _owner, admin, _listing, item = _quarantined_attachment(client, app, fields, monkeypatch)
    name = item.stored_name
    assert name in _stored()
    log_in(client, admin)
    assert client.post(f"/admin/files/attachments/{item.id}/delete").status_code == 302
    assert _count(Attachment) == 0
    assert name not in _stored()
    assert "file.delete" in db.session.scalars(sa.select(AuditLog.action)).all()


def test_accept_with_warning_serves_the_file_and_warns_the_admins(
    app, client, fields, monkeypatch, unreachable
):
    monkeypatch.setitem(app.config, "UPLOAD_SCAN_FALLBACK", "accept-with-warning")
    owner, admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    assert upload(client, "result", listing.id, PDF, "报告.pdf").status_code == 302
    item = db.session.scalars(sa.select(Attachment)).one()
    assert item.scan_status == ScanStatus.UNSCANNED
    download = client.get(f"/attachments/{item.id}")
    assert download.status_code == 200
    download.close()
    log_in(client, admin)
    page = client.get("/admin/files").get_data(as_text=True)
    assert "报告.pdf" in page and "未经病毒扫描" in page


def test_non_admins_cannot_reach_the_quarantine_list(client, login_as, db):
    login_as("enterprise")
    assert client.get("/admin/files").status_code == 403
    assert client.post("/admin/files/attachments/1/release").status_code == 403


def test_existing_files_stay_downloadable_as_legacy(app, client, fields):
    owner, _admin, listing = setup_listing("result", "draft", fields)
    upload_ = files.store(io.BytesIO(PDF))
    columns = upload_.columns(filename="旧.pdf", uploaded_by_id=owner.id)
    del columns["scan_status"]  # a row written before the scan: the migration says legacy
    row = Attachment(result=listing, **columns)
    db.session.add(row)
    db.session.commit()
    assert row.scan_status == ScanStatus.LEGACY
    log_in(client, owner)
    response = client.get(f"/attachments/{row.id}")
    assert response.status_code == 200
    response.close()


# --- a real clamd (Debian clamav-daemon), with its own one-line signature database ------------
def _clamd_binary() -> str | None:
    return shutil.which("clamd", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")


@pytest.fixture
def real_clamd() -> Iterator[str]:
    binary = _clamd_binary()
    if binary is None:
        pytest.skip("clamd is not installed (Debian package clamav-daemon; CI installs it)")
    folder = Path(tempfile.mkdtemp(prefix="clamd", dir="/tmp"))  # AF_UNIX paths are short
    socket_path = folder / "clamd.sock"
    database = folder / "db"
    database.mkdir()
    # No signature download here (it needs the network): EICAR anywhere in a file, as hex.
    (database / "eicar.ndb").write_text(f"Eicar-Test-Signature:0:*:{EICAR.hex()}\n")
    config = folder / "clamd.conf"
    config.write_text(
        f"LocalSocket {socket_path}\n"
        f"DatabaseDirectory {database}\n"
        f"PidFile {folder / 'clamd.pid'}\n"
        f"TemporaryDirectory {folder}\n"
        "Foreground yes\n"
        "LogFile /dev/null\n"
        "Bytecode no\n"
        "StreamMaxLength 25M\n"
    )
    log = (folder / "clamd.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - a fixed binary and our own config file
        [binary, "--config-file", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while not socket_path.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"clamd did not start: {(folder / 'clamd.log').read_text()[-2000:]}")
            time.sleep(0.1)
        yield str(socket_path)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_real_clamd_refuses_eicar_and_accepts_a_clean_pdf(
    app, client, fields, monkeypatch, real_clamd
):
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", real_clamd)
    monkeypatch.setitem(app.config, "UPLOAD_SCAN_FALLBACK", "quarantine")
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    before = _stored()
    response = upload(client, "result", listing.id, EICAR_PDF, "eicar.pdf")
    assert response.status_code == 302  # back to the listing, with the reason flashed
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "文件未通过病毒扫描" in page and "Eicar-Test-Signature" in page
    assert _count(Attachment) == 0 and _stored() == before
    assert upload(client, "result", listing.id, PDF, "报告.pdf").status_code == 302
    item = db.session.scalars(sa.select(Attachment)).one()
    assert item.scan_status == ScanStatus.CLEAN  # checked by clamd, not quarantined
    download = client.get(f"/attachments/{item.id}")
    assert download.status_code == 200 and download.data == PDF
    download.close()


def test_the_list_says_when_it_shows_only_the_newest_held_files(
    app, client, fields, monkeypatch, unreachable
):
    """待检文件 lists the newest `SHOWN` files; with more waiting it says how many there are in
    all (the rest come up as these are released or deleted)."""
    owner, admin, listing, _item = _quarantined_attachment(client, app, fields, monkeypatch)
    assert upload(client, "result", listing.id, PDF, "第二份.pdf").status_code == 302
    log_in(client, admin)
    page = client.get("/admin/files").get_data(as_text=True)
    assert 'id="held-shown"' not in page and "第二份.pdf" in page and "报告.pdf" in page
    monkeypatch.setattr(quarantine.held_files, "__kwdefaults__", {"limit": 1})
    page = client.get("/admin/files").get_data(as_text=True)
    assert "第二份.pdf" in page and "报告.pdf" not in page  # the newest first
    assert "显示最新的 1 个，共 2 个" in page
