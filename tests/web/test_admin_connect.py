"""The admins' 对接 oversight: metadata of every enquiry, message text only once reported."""

from __future__ import annotations

from matchmaker.extensions import db
from matchmaker.services.connect import conversations, enquiries
from tests.conftest import log_in
from tests.factories import make_user, publish_result

SECRET = "报价 88 万元，含两年技术服务，请勿外传"
REPORTED = "这条消息含有辱骂内容，应由平台处理"


def test_admins_see_metadata_and_only_reported_message_bodies(client, fields):
    owner = make_user("university")
    firm = make_user("enterprise")
    admin = make_user("admin")
    db.session.commit()
    result = publish_result(owner, admin, fields, "耐高温陶瓷涂层制备技术", "等离子喷涂陶瓷涂层。")
    enquiry = enquiries.create_enquiry(
        actor=firm,
        kind="result",
        listing_id=result.id,
        data=enquiries.EnquiryData(intent="license", message="我们希望获得许可，用于锅炉管道。"),
    )
    enquiries.accept_enquiry(actor=owner, enquiry=enquiry)
    conversations.post_message(actor=firm, enquiry=enquiry, body=SECRET)
    rude = conversations.post_message(actor=firm, enquiry=enquiry, body=REPORTED)
    conversations.report_message(actor=owner, message=rude, reason="辱骂")
    db.session.commit()

    log_in(client, admin)
    page = client.get("/admin/connect").get_data(as_text=True)
    assert "耐高温陶瓷涂层制备技术" in page  # metadata: which listing, who, state
    assert firm.organisation.name in page and owner.organisation.name in page
    assert REPORTED in page and "辱骂" in page  # a reported message's text
    assert SECRET not in page  # never an unreported one
    assert "我们希望获得许可" not in page  # nor the enquiry's own message

    log_in(client, firm)
    assert client.get("/admin/connect").status_code == 403
