"""Malware scanning of uploads (ASVS v5.0.0-5.4.3): the scanner hook, a clamd client, the fallback.

Every stored upload (services/platform/files.py `store_upload`) and every Excel import
(services/market/excel/storage.py) is handed to `check_upload` / `import_refusal` once its type
is checked and before anything is stored for good:

- a scanner is configured (`UPLOAD_SCANNER`, a `Scanner` object set in code, or clamd through
  `CLAMD_SOCKET` = a unix socket path, or `CLAMD_URL` = `tcp://host:3310` / `unix:///path`) and
  answers: a finding refuses the file with a message in the user's language, nothing is stored,
  and a security event is logged (`matchmaker.security`, `upload.infected`);
- no scanner, or it does not answer within `CLAMD_TIMEOUT` seconds (logged as
  `upload.scanner_unavailable`): `UPLOAD_SCAN_FALLBACK` decides, never silently:
  `quarantine` (the production default) stores the file but only admins may download it until
  one releases it (管理 → 待检文件, services/platform/quarantine.py); `accept-with-warning`
  stores and serves it, marked unscanned, logged, and listed for the admins.

Excel imports are never served to anyone (their cells are read into listings), so without a
scanner they are read with a logged warning instead of being held.

The clamd client speaks the INSTREAM protocol with the standard library: `zINSTREAM\\0`, chunks
each preceded by its length as 4 big-endian bytes, a zero length to end, and the reply
`stream: OK` or `stream: <signature> FOUND` (anything else, `... ERROR`, counts as no answer).
"""

from __future__ import annotations

import enum
import io
import logging
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol
from urllib.parse import urlparse

from flask import current_app
from flask_babel import gettext as _

from matchmaker.models.stored_file import ScanStatus
from matchmaker.permissions import Permission, has_permission
from matchmaker.services.errors import PermissionDenied, ValidationFailed
from matchmaker.services.platform.audit import current_ip

security_log = logging.getLogger("matchmaker.security")

CHUNK = 64 * 1024
#: The longest reply read from clamd (a signature name is far shorter).
MAX_REPLY = 4096
#: Statuses whose file only admins may download.
WITHHELD = frozenset({ScanStatus.QUARANTINED})
#: Statuses an admin is asked to look at (the 待检文件 list).
TO_REVIEW = (ScanStatus.QUARANTINED, ScanStatus.UNSCANNED)


class Fallback(enum.StrEnum):
    """What happens to an upload no scanner checked (`UPLOAD_SCAN_FALLBACK`)."""

    QUARANTINE = "quarantine"
    ACCEPT_WITH_WARNING = "accept-with-warning"


class Outcome(enum.StrEnum):
    """What a scanner said."""

    CLEAN = "clean"
    INFECTED = "infected"
    UNAVAILABLE = "unavailable"  # no answer, a timeout, an error reply


@dataclass(frozen=True)
class Verdict:
    """A scanner's answer; `detail` is the signature name (infected) or the problem."""

    outcome: Outcome
    detail: str = ""


class Scanner(Protocol):
    """The hook: anything that scans a stream (read to its end) and answers a Verdict.

    A scanner must not raise for a scanner it cannot reach: it answers UNAVAILABLE.
    """

    def scan_stream(self, stream: BinaryIO) -> Verdict: ...


def parse_reply(reply: bytes) -> Verdict:
    """clamd's reply to INSTREAM: `stream: OK`, `stream: <name> FOUND`, else unavailable."""
    text = reply.split(b"\0", 1)[0].decode("utf-8", "replace").strip()
    body = text.removeprefix("stream:").strip()
    if text.startswith("stream:") and body == "OK":
        return Verdict(Outcome.CLEAN)
    if text.startswith("stream:") and body.endswith(" FOUND"):
        return Verdict(Outcome.INFECTED, body.removesuffix(" FOUND").strip()[:200] or "?")
    return Verdict(Outcome.UNAVAILABLE, text[:200] or "empty reply")


class ClamdScanner:
    """A clamd client over its unix socket (a path) or TCP (a (host, port) pair)."""

    def __init__(self, address: str | tuple[str, int], *, timeout: float = 30.0) -> None:
        self.address = address
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"ClamdScanner({self.address!r}, timeout={self.timeout})"

    def _connect(self) -> socket.socket:
        if isinstance(self.address, tuple):
            return socket.create_connection(self.address, timeout=self.timeout)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.address)
        except BaseException:
            sock.close()
            raise
        return sock

    def scan_stream(self, stream: BinaryIO) -> Verdict:
        """Send the stream with INSTREAM and read the verdict; UNAVAILABLE on any failure."""
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                try:
                    while chunk := stream.read(CHUNK):
                        sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                    sock.sendall(struct.pack("!L", 0))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # clamd stops reading past StreamMaxLength: its reply says so
                return parse_reply(_read_reply(sock))
        except (OSError, ValueError) as error:  # refused, missing socket, timeout, bad address
            return Verdict(Outcome.UNAVAILABLE, f"{type(error).__name__}: {error}"[:200])

    def scan(self, path: Path) -> Verdict:
        """Scan a file."""
        with path.open("rb") as stream:
            return self.scan_stream(stream)

    def ping(self, *, timeout: float = 2.0) -> bool:
        """Whether clamd answers `zPING` with PONG (for the admins' page)."""
        quick = ClamdScanner(self.address, timeout=min(timeout, self.timeout))
        try:
            with quick._connect() as sock:
                sock.sendall(b"zPING\0")
                return _read_reply(sock).split(b"\0", 1)[0].strip() == b"PONG"
        except OSError:
            return False


def _read_reply(sock: socket.socket) -> bytes:
    reply = b""
    while b"\0" not in reply and len(reply) < MAX_REPLY:
        data = sock.recv(MAX_REPLY)
        if not data:
            break
        reply += data
    return reply


def clamd_address(url: str) -> str | tuple[str, int]:
    """`tcp://host:port` -> (host, port); `unix:///path` or a plain path -> the path."""
    if url.startswith("/"):
        return url
    parsed = urlparse(url)
    if parsed.scheme == "unix" and parsed.path:
        return parsed.path
    if parsed.scheme == "tcp" and parsed.hostname:
        return parsed.hostname, parsed.port or 3310
    raise ValueError(f"CLAMD_URL must be tcp://host:port or unix:///path, not {url!r}")


def scanner_from_config(config: Mapping[str, Any]) -> Scanner | None:
    """The configured scanner, or None when none is configured."""
    custom: Scanner | None = config.get("UPLOAD_SCANNER")
    if custom is not None:
        return custom
    timeout = float(config.get("CLAMD_TIMEOUT") or 30)
    if config.get("CLAMD_SOCKET"):
        return ClamdScanner(str(config["CLAMD_SOCKET"]), timeout=timeout)
    if config.get("CLAMD_URL"):
        return ClamdScanner(clamd_address(str(config["CLAMD_URL"])), timeout=timeout)
    return None


def fallback_mode(config: Mapping[str, Any]) -> Fallback:
    """`UPLOAD_SCAN_FALLBACK`; an unknown value counts as quarantine (and is logged)."""
    value = str(config.get("UPLOAD_SCAN_FALLBACK") or Fallback.QUARANTINE).strip().lower()
    try:
        return Fallback(value)
    except ValueError:
        security_log.error("upload.scan_fallback_invalid", extra={"value": value[:50]})
        return Fallback.QUARANTINE


@dataclass(frozen=True)
class ScannerState:
    """What the admins' page says of the scanner: configured, where, answering, the fallback."""

    configured: bool
    target: str
    answering: bool | None  # None: a custom scanner, or a misconfigured address
    fallback: Fallback


def describe_scanner() -> ScannerState:
    """The scanner as configured now (clamd is pinged, 2 s at most)."""
    config = current_app.config
    mode = fallback_mode(config)
    try:
        scanner = scanner_from_config(config)
    except ValueError as error:
        return ScannerState(True, str(error), None, mode)
    if scanner is None:
        return ScannerState(False, "", None, mode)
    if isinstance(scanner, ClamdScanner):
        address = scanner.address
        target = address if isinstance(address, str) else f"{address[0]}:{address[1]}"
        return ScannerState(True, target, scanner.ping(), mode)
    return ScannerState(True, type(scanner).__name__, None, mode)


def scan(stream: BinaryIO) -> Verdict | None:
    """The configured scanner's verdict on a stream; None when no scanner is configured.

    A misconfigured CLAMD_URL counts as a scanner that does not answer.
    """
    try:
        scanner = scanner_from_config(current_app.config)
    except ValueError as error:
        return Verdict(Outcome.UNAVAILABLE, str(error)[:200])
    if scanner is None:
        return None
    return scanner.scan_stream(stream)


def infected_message(signature: str) -> str:
    """The refusal of an infected file, in the user's language."""
    return _(
        "文件未通过病毒扫描（检测到 %(name)s），没有保存。请用杀毒软件检查后重新上传。",
        name=signature,
    )


def _not_scanned(verdict: Verdict | None, *, size: int, kind: str, fallback: str) -> None:
    """Log, once per upload, that no scanner checked it and what happens to it instead."""
    extra = {"size": size, "upload_kind": kind, "fallback": fallback, "ip": current_ip.get()}
    if verdict is None:
        security_log.warning("upload.not_scanned", extra={**extra, "reason": "no scanner"})
    else:
        security_log.error("upload.scanner_unavailable", extra={**extra, "reason": verdict.detail})


def check_upload(path: Path, *, size: int, content_type: str) -> ScanStatus:
    """Scan a checked, pending upload: its scan status, or ValidationFailed when infected.

    Without a scanner's answer the status follows UPLOAD_SCAN_FALLBACK (quarantined or
    unscanned), and the event is logged either way.
    """
    with path.open("rb") as stream:
        verdict = scan(stream)
    if verdict is not None and verdict.outcome is Outcome.CLEAN:
        return ScanStatus.CLEAN
    if verdict is not None and verdict.outcome is Outcome.INFECTED:
        security_log.warning(
            "upload.infected",
            extra={
                "finding": verdict.detail,
                "size": size,
                "content_type": content_type,
                "ip": current_ip.get(),
            },
        )
        raise ValidationFailed({"file": infected_message(verdict.detail)})
    mode = fallback_mode(current_app.config)
    _not_scanned(verdict, size=size, kind="file", fallback=mode)
    if mode is Fallback.QUARANTINE:
        return ScanStatus.QUARANTINED
    return ScanStatus.UNSCANNED


def import_refusal(content: bytes) -> str | None:
    """Scan an Excel/CSV import: the refusal message when infected, else None.

    An import is read into listings and never served, so without a scanner's answer it goes on
    (logged as `upload.not_scanned` / `upload.scanner_unavailable`) instead of being held.
    """
    verdict = scan(io.BytesIO(content))
    if verdict is not None and verdict.outcome is Outcome.CLEAN:
        return None
    if verdict is not None and verdict.outcome is Outcome.INFECTED:
        security_log.warning(
            "upload.infected",
            extra={"finding": verdict.detail, "size": len(content), "ip": current_ip.get()},
        )
        return infected_message(verdict.detail)
    _not_scanned(verdict, size=len(content), kind="import", fallback="read")
    return None


def can_review_files(user: Any) -> bool:
    """Who sees the 待检文件 list, downloads held files and releases or deletes them."""
    return has_permission(user, Permission.LISTING_REVIEW)


def is_withheld(status: str | None) -> bool:
    """Whether a file of this status is held back from everyone but the admins."""
    return status in WITHHELD


def require_downloadable(user: Any, status: str | None) -> None:
    """Refuse (403 with the reason) a held file to anyone but the admins who review files."""
    if is_withheld(status) and not can_review_files(user):
        raise PermissionDenied(_("该文件正在等待安全检查，管理员放行后才能下载。"))
