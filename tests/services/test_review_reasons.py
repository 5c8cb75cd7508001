"""One rule for a reviewer's coded reason and comment, shared by every review."""

import pytest

from matchmaker.models import ReviewReason
from matchmaker.services.errors import ValidationFailed
from matchmaker.services.platform.reviews import parse_rejection


def test_a_coded_reason_and_a_comment_are_returned_trimmed(app):
    parsed = parse_rejection("incomplete", "  请补充指标。 ")
    assert parsed == (ReviewReason.INCOMPLETE, "请补充指标。")


@pytest.mark.parametrize(
    ("code", "reason", "fields"),
    [
        (None, None, {"code", "reason"}),
        ("no-such-code", "请补充。", {"code"}),
        ("incomplete", "   ", {"reason"}),
    ],
)
def test_every_missing_part_is_named_at_once(app, code, reason, fields):
    with pytest.raises(ValidationFailed) as refused:
        parse_rejection(code, reason)
    assert set(refused.value.errors) == fields
