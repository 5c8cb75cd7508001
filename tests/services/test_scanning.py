"""Malware scanning of uploads (ASVS v5.0.0-5.4.3) against a fake clamd speaking INSTREAM.

`FakeClamd` is a socketserver thread on a unix socket or TCP that answers like clamd: PONG to
zPING, `stream: Eicar-Test-Signature FOUND` when the streamed bytes hold the EICAR string,
`stream: OK` otherwise; `hang` makes it never answer (a timeout). The web tests use it too.
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import socket
import socketserver
import struct
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import AuditLog
from matchmaker.models.stored_file import ScanStatus
from matchmaker.services.errors import NotFound, PermissionDenied, ValidationFailed
from matchmaker.services.market import attachments, excel, listings
from matchmaker.services.market.excel.columns import ImportRefused
from matchmaker.services.platform import files, quarantine, scanning
from matchmaker.services.platform.scanning import ClamdScanner, Outcome, Verdict
from tests.factories import make_user
from tests.services.test_listings import result_data

#: The EICAR test file (split so no scanner flags this source file itself).
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#: EICAR behind a PDF header: it passes the type check by content, as in the issue.
EICAR_PDF = b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SECURITY = "matchmaker.security"


class _Handler(socketserver.BaseRequestHandler):
    def _read_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            part = self.request.recv(n - len(data))
            if not part:
                raise ConnectionError("client went away")
            data += part
        return data

    def handle(self) -> None:
        server: FakeClamd = self.server.owner  # type: ignore[attr-defined]
        command = b""
        while not command.endswith(b"\0"):
            part = self.request.recv(1)
            if not part:
                return
            command += part
        if command == b"zPING\0":
            self.request.sendall(b"PONG\0")
            return
        assert command == b"zINSTREAM\0", command
        body = b""
        while length := struct.unpack("!L", self._read_exact(4))[0]:
            server.chunks.append(length)
            body += self._read_exact(length)
        server.received.append(body)
        if server.hang:
            server.release.wait(10)
            return
        if server.reply is not None:
            self.request.sendall(server.reply)
        elif EICAR in body:
            self.request.sendall(b"stream: Eicar-Test-Signature FOUND\0")
        else:
            self.request.sendall(b"stream: OK\0")


class _Unix(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class _Tcp(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeClamd:
    """A clamd stand-in on a short unix socket path (or TCP), run in a thread."""

    def __init__(self, *, tcp: bool = False) -> None:
        self.received: list[bytes] = []
        self.chunks: list[int] = []
        self.hang = False
        self.reply: bytes | None = None
        self.release = threading.Event()
        self._dir = tempfile.mkdtemp(prefix="clamd", dir="/tmp")  # AF_UNIX paths are short
        self.socket_path = os.path.join(self._dir, "clamd.sock")
        server: socketserver.BaseServer
        if tcp:
            server = _Tcp(("127.0.0.1", 0), _Handler)
            self.url = f"tcp://127.0.0.1:{server.server_address[1]}"  # type: ignore[index]
        else:
            server = _Unix(self.socket_path, _Handler)
            self.url = f"unix://{self.socket_path}"
        server.owner = self  # type: ignore[attr-defined]
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        shutil.rmtree(self._dir, ignore_errors=True)


@pytest.fixture
def clamd() -> Iterator[FakeClamd]:
    fake = FakeClamd()
    yield fake
    fake.close()


@pytest.fixture
def scanner_on(app, clamd, monkeypatch) -> FakeClamd:
    """The app scans through the fake clamd's unix socket."""
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", clamd.socket_path)
    monkeypatch.setitem(app.config, "CLAMD_TIMEOUT", 2.0)
    return clamd


def _dead_socket() -> str:
    return f"/tmp/noclamd-{uuid.uuid4().hex}/gone.sock"  # noqa: S108 - nothing is ever there


# --- the protocol ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reply", "outcome", "detail"),
    [
        (b"stream: OK\0", Outcome.CLEAN, ""),
        (b"stream: Eicar-Test-Signature FOUND\0", Outcome.INFECTED, "Eicar-Test-Signature"),
        (b"stream: Win.Test.EICAR_HDB-1 FOUND\n", Outcome.INFECTED, "Win.Test.EICAR_HDB-1"),
        (b"INSTREAM size limit exceeded. ERROR\0", Outcome.UNAVAILABLE, "INSTREAM size limit"),
        (b"", Outcome.UNAVAILABLE, "empty reply"),
        (b"stream: FOUND\0", Outcome.UNAVAILABLE, "stream: FOUND"),
    ],
)
def test_replies_are_read_as_clamd_means_them(reply, outcome, detail):
    verdict = scanning.parse_reply(reply)
    assert verdict.outcome is outcome
    assert verdict.detail.startswith(detail)


@pytest.mark.parametrize("tcp", [False, True], ids=["unix", "tcp"])
def test_instream_sends_length_prefixed_chunks_and_reads_the_verdict(tcp):
    fake = FakeClamd(tcp=tcp)
    try:
        scanner = ClamdScanner(scanning.clamd_address(fake.url), timeout=2)
        big = PDF + b"x" * (scanning.CHUNK * 2 + 10)
        assert scanner.scan_stream(io.BytesIO(big)) == Verdict(Outcome.CLEAN)
        assert fake.received == [big]  # every byte, in order
        assert fake.chunks == [scanning.CHUNK, scanning.CHUNK, len(big) - 2 * scanning.CHUNK]
        infected = scanner.scan_stream(io.BytesIO(EICAR_PDF))
        assert infected == Verdict(Outcome.INFECTED, "Eicar-Test-Signature")
        assert scanner.ping() is True
    finally:
        fake.close()


def test_a_scanner_that_does_not_answer_times_out(clamd):
    clamd.hang = True
    scanner = ClamdScanner(clamd.socket_path, timeout=0.3)
    started = time.monotonic()
    verdict = scanner.scan_stream(io.BytesIO(PDF))
    assert verdict.outcome is Outcome.UNAVAILABLE and "timeout" in verdict.detail.lower()
    assert time.monotonic() - started < 3


def test_an_unreachable_scanner_is_unavailable_not_an_error():
    assert ClamdScanner(_dead_socket(), timeout=1).scan_stream(io.BytesIO(PDF)).outcome is (
        Outcome.UNAVAILABLE
    )
    with socket.socket() as sock:  # a free port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    verdict = ClamdScanner(("127.0.0.1", port), timeout=1).scan_stream(io.BytesIO(PDF))
    assert verdict.outcome is Outcome.UNAVAILABLE
    assert ClamdScanner(("127.0.0.1", port), timeout=1).ping() is False


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("tcp://clamav:3310", ("clamav", 3310)),
        ("tcp://10.0.0.5", ("10.0.0.5", 3310)),
        ("unix:///run/clamav/clamd.ctl", "/run/clamav/clamd.ctl"),
        ("/run/clamav/clamd.ctl", "/run/clamav/clamd.ctl"),
    ],
)
def test_clamd_addresses(url, address):
    assert scanning.clamd_address(url) == address


def test_a_bad_clamd_url_counts_as_no_answer(app, monkeypatch):
    with pytest.raises(ValueError, match="CLAMD_URL"):
        scanning.clamd_address("http://clamav")
    monkeypatch.setitem(app.config, "CLAMD_URL", "http://clamav")
    verdict = scanning.scan(io.BytesIO(PDF))
    assert verdict is not None and verdict.outcome is Outcome.UNAVAILABLE


def test_a_custom_scanner_plugs_in(app, monkeypatch):
    class Refuses:
        def scan_stream(self, stream):  # noqa: ANN001, ANN202
            stream.read()
            return Verdict(Outcome.INFECTED, "Custom.Rule")

    monkeypatch.setitem(app.config, "UPLOAD_SCANNER", Refuses())
    assert scanning.scan(io.BytesIO(PDF)) == Verdict(Outcome.INFECTED, "Custom.Rule")


# --- the policy: refuse, store clean, fall back -------------------------------------------------
def _pending(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "upload.part"
    path.write_bytes(content)
    return path


def _events(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == SECURITY]


def test_an_infected_upload_is_refused_and_logged(app, scanner_on, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger=SECURITY)
    with pytest.raises(ValidationFailed) as refused:
        scanning.check_upload(
            _pending(tmp_path, EICAR_PDF), size=len(EICAR_PDF), content_type="application/pdf"
        )
    assert "病毒扫描" in refused.value.errors["file"][0]
    assert "Eicar-Test-Signature" in refused.value.errors["file"][0]
    record = next(r for r in caplog.records if r.getMessage() == "upload.infected")
    assert record.finding == "Eicar-Test-Signature"  # type: ignore[attr-defined]
    assert record.levelno == logging.WARNING


def test_a_clean_upload_is_clean(app, scanner_on, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger=SECURITY)
    status = scanning.check_upload(_pending(tmp_path, PDF), size=len(PDF), content_type="x")
    assert status is ScanStatus.CLEAN
    assert _events(caplog) == []


@pytest.mark.parametrize(
    ("fallback", "status"),
    [("quarantine", ScanStatus.QUARANTINED), ("accept-with-warning", ScanStatus.UNSCANNED)],
)
def test_an_unreachable_scanner_falls_back_and_says_so(
    app, monkeypatch, tmp_path, caplog, fallback, status
):
    caplog.set_level(logging.INFO, logger=SECURITY)
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", _dead_socket())
    monkeypatch.setitem(app.config, "UPLOAD_SCAN_FALLBACK", fallback)
    result = scanning.check_upload(_pending(tmp_path, EICAR_PDF), size=1, content_type="x")
    assert result is status
    record = next(r for r in caplog.records if r.getMessage() == "upload.scanner_unavailable")
    assert record.levelno == logging.ERROR
    assert record.fallback == fallback  # type: ignore[attr-defined]


def test_a_timeout_falls_back_too(app, scanner_on, monkeypatch, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger=SECURITY)
    scanner_on.hang = True
    monkeypatch.setitem(app.config, "CLAMD_TIMEOUT", 0.3)
    monkeypatch.setitem(app.config, "UPLOAD_SCAN_FALLBACK", "quarantine")
    status = scanning.check_upload(_pending(tmp_path, PDF), size=1, content_type="x")
    assert status is ScanStatus.QUARANTINED
    assert "upload.scanner_unavailable" in _events(caplog)


def test_no_scanner_is_never_silent(app, monkeypatch, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger=SECURITY)
    monkeypatch.setitem(app.config, "UPLOAD_SCAN_FALLBACK", "quarantine")
    status = scanning.check_upload(_pending(tmp_path, PDF), size=1, content_type="x")
    assert status is ScanStatus.QUARANTINED
    assert _events(caplog) == ["upload.not_scanned"]


def test_the_production_default_is_quarantine_and_a_typo_quarantines(app, monkeypatch, caplog):
    from matchmaker.config import Config

    assert Config.UPLOAD_SCAN_FALLBACK == "quarantine"
    assert Config.CLAMD_SOCKET is None and Config.CLAMD_URL is None
    caplog.set_level(logging.INFO, logger=SECURITY)
    assert scanning.fallback_mode({"UPLOAD_SCAN_FALLBACK": "accept"}) is (
        scanning.Fallback.QUARANTINE
    )
    assert "upload.scan_fallback_invalid" in _events(caplog)


def test_store_leaves_no_file_behind_for_an_infected_upload(app, db, scanner_on):
    before = set(files.storage_dir().iterdir())
    with pytest.raises(ValidationFailed):
        files.store_upload(io.BytesIO(EICAR_PDF))
    assert set(files.storage_dir().iterdir()) == before
    upload = files.store_upload(io.BytesIO(PDF))
    assert upload.scan_status is ScanStatus.CLEAN
    assert upload.columns(filename="a.pdf", uploaded_by_id=1)["scan_status"] is ScanStatus.CLEAN
    files.discard_file(upload.stored_name)


def test_an_infected_import_is_refused_and_an_unscanned_one_goes_on(
    app, db, scanner_on, monkeypatch, caplog
):
    caplog.set_level(logging.INFO, logger=SECURITY)
    csv = "标题,简介\n".encode() + EICAR + b",x\n"
    folder = Path(app.instance_path) / "imports" / "1"  # the default storage: the instance
    before = set(folder.iterdir()) if folder.exists() else set()
    with pytest.raises(ImportRefused, match="病毒扫描"):
        excel.store_upload(user_id=1, filename="a.csv", content=csv)
    assert (set(folder.iterdir()) if folder.exists() else set()) == before
    monkeypatch.setitem(app.config, "CLAMD_SOCKET", _dead_socket())
    assert scanning.import_refusal(csv) is None  # read, never served: it goes on, logged
    assert "upload.scanner_unavailable" in _events(caplog)


# --- downloads and the admins' list -------------------------------------------------------------
def test_only_reviewing_admins_may_download_a_held_file(app, db):
    admin, member = make_user("admin"), make_user("enterprise")
    scanning.require_downloadable(admin, ScanStatus.QUARANTINED)
    for status in (ScanStatus.CLEAN, ScanStatus.UNSCANNED, ScanStatus.RELEASED, "legacy"):
        scanning.require_downloadable(member, status)
    with pytest.raises(PermissionDenied, match="等待安全检查"):
        scanning.require_downloadable(member, ScanStatus.QUARANTINED)


def _held_attachment(fields, status: ScanStatus):  # noqa: ANN202
    """A draft result's attachment, stored through the service, then given `status`."""
    owner = make_user("university")
    result = listings.create_listing(actor=owner, data=result_data(fields))
    row = attachments.add_attachment(
        actor=owner, listing=result, stream=io.BytesIO(PDF), filename="说明.pdf"
    )
    row.scan_status = status
    db.session.commit()
    return owner, row


def test_release_and_delete_are_audited_and_only_for_held_files(app, db, fields):
    admin = make_user("admin")
    owner, held = _held_attachment(fields, ScanStatus.QUARANTINED)
    _owner2, unscanned = _held_attachment(fields, ScanStatus.UNSCANNED)
    items = quarantine.held_files(actor=admin)
    assert {(i.kind, i.row.id) for i in items} == {
        ("attachments", held.id),
        ("attachments", unscanned.id),
    }
    assert quarantine.counts(actor=admin) == {"quarantined": 1, "unscanned": 1}
    with pytest.raises(PermissionDenied):
        quarantine.held_files(actor=owner)
    with pytest.raises(PermissionDenied):
        quarantine.release_file(actor=owner, kind="attachments", file_id=held.id)
    quarantine.release_file(actor=admin, kind="attachments", file_id=held.id)
    db.session.commit()
    assert held.scan_status is ScanStatus.RELEASED
    entry = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "file.release")).one()
    assert entry.object_id == f"attachments:{held.id}" and entry.actor_id == admin.id
    assert entry.before["scan_status"] == "quarantined"
    with pytest.raises(NotFound):  # released: no longer held
        quarantine.release_file(actor=admin, kind="attachments", file_id=held.id)
    with pytest.raises(NotFound):
        quarantine.delete_held_file(actor=admin, kind="no_such_table", file_id=unscanned.id)
    quarantine.delete_held_file(actor=admin, kind="attachments", file_id=unscanned.id)
    db.session.commit()
    assert quarantine.held_files(actor=admin) == []
    assert db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "file.delete")
    )


# --- the migration: rows stored before the scan are legacy ---------------------------------------
def test_the_migration_marks_existing_files_legacy_and_downgrades(tmp_path):
    import sqlite3

    from flask_migrate import downgrade, upgrade

    from matchmaker import ROOT, create_app
    from matchmaker.config import TestConfig

    path = tmp_path / "migrate.sqlite3"
    app = create_app(
        TestConfig, instance_path=str(tmp_path), SQLALCHEMY_DATABASE_URI=f"sqlite:///{path}"
    )
    tables = sorted(quarantine.file_models())
    migrations = str(ROOT / "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="b17a0f0a1001")
        with sqlite3.connect(path) as conn:  # foreign keys are off on a plain connection
            for table in tables:
                columns = conn.execute(f"PRAGMA table_info({table})").fetchall()
                assert "scan_status" not in {c[1] for c in columns}
                values = {
                    name: (1 if "INT" in kind.upper() else f"{table}-{name}")
                    for _cid, name, kind, notnull, default, pk in columns
                    if notnull and default is None and not pk
                }
                values["created_at"] = "2026-12-01 00:00:00"
                if table == "attachments":  # of a result or a need (a CHECK)
                    values["result_id"] = 1
                names = ", ".join(values)
                marks = ", ".join("?" for _ in values)
                insert = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
                conn.execute(insert, list(values.values()))
        upgrade(directory=migrations, revision="b17a0f0a1002")
        with sqlite3.connect(path) as conn:
            for table in tables:
                assert conn.execute(f"SELECT scan_status FROM {table}").fetchall() == [  # noqa: S608
                    ("legacy",)
                ], table
                with pytest.raises(sqlite3.IntegrityError):  # the CHECK of the enum
                    conn.execute(f"UPDATE {table} SET scan_status = 'nonsense'")  # noqa: S608
        downgrade(directory=migrations, revision="b17a0f0a1001")
        with sqlite3.connect(path) as conn:
            for table in tables:
                columns = {c[1] for c in conn.execute(f"PRAGMA table_info({table})")}
                assert "scan_status" not in columns
        db.session.remove()
        db.engine.dispose()
