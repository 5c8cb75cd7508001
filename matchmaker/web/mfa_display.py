"""What the second-factor pages share (issue 17): the QR code as inline SVG, and the session keys.

The QR code is drawn on the server (qrcode's SVG path image): no JavaScript, no CDN, and the
secret never leaves the page's own answer.
"""

from __future__ import annotations

import re
import time

import qrcode
import qrcode.image.svg
from flask import session
from markupsafe import Markup

from matchmaker.services.accounts import mfa

#: Set in a session whose login passed the second factor (or enrolled in this session).
SECOND_FACTOR_KEY = "mfa_at"
#: Between the password and the second step: {"uid", "sv", "exp", "next", "enrol"}; grants nothing.
PENDING_KEY = "mfa_pending"
#: The secret being set up, shown on the page, kept in the user's own (signed) session until the
#: first code confirms it (so a GET stores nothing); removed once enrolment ends.
ENROLMENT_KEY = "mfa_enrolling"


def qr_svg(uri: str, label: str) -> Markup:
    """The otpauth URI as an inline SVG QR code, with a text alternative."""
    image = qrcode.make(
        uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2
    ).to_string(encoding="unicode")
    image = re.sub(r"^<\?xml[^>]*>\s*", "", image)
    escaped = str(Markup.escape(label))
    image = re.sub(
        r'width="[^"]*" height="[^"]*"',
        f'width="200" height="200" role="img" aria-label="{escaped}" focusable="false"',
        image,
        count=1,
    )
    return Markup(image)  # noqa: S704 - drawn by qrcode from our own URI, the label escaped


def enrolment_secret() -> str:
    """The secret being set up in this session (a new one the first time)."""
    secret = session.get(ENROLMENT_KEY)
    if not mfa.is_valid_secret(secret):
        secret = session[ENROLMENT_KEY] = mfa.new_secret()
    return str(secret)


def end_enrolment() -> None:
    """Forget the secret being set up (enrolment done)."""
    session.pop(ENROLMENT_KEY, None)


def mark_second_factor() -> None:
    """This session has passed the second factor (login code step, or enrolment)."""
    session[SECOND_FACTOR_KEY] = int(time.time())


def has_second_factor() -> bool:
    """Whether this session passed the second factor."""
    return bool(session.get(SECOND_FACTOR_KEY))
