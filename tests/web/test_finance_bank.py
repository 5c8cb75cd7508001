"""The bank's firm browser through the web pages: consented fields only, 404 once consent ends."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from matchmaker.extensions import db
from matchmaker.models import ConsentScope, ProfileView, ShortlistEntry, ViewAction
from matchmaker.services.finance import consent, innovation_score
from matchmaker.services.finance.firm_profiles import profile_of
from tests.conftest import log_in
from tests.factories import make_user
from tests.finance_factories import expire_consent, make_financing_need, make_firm, make_product

BASIC, INNO, FIN, ACT = (
    ConsentScope.BASIC,
    ConsentScope.INNOVATION,
    ConsentScope.FINANCIALS,
    ConsentScope.ACTIVITY,
)
REVENUE = 98765  # a figure that appears nowhere else on the page
RD_SPEND = 4321


def firm(scopes, **profile):
    """A consenting firm with distinctive financials, committed."""
    profile.setdefault("years", [(2023, 90000, 4000), (2024, REVENUE, RD_SPEND)])
    user = make_firm(scopes=None if scopes is None else int(scopes), **profile)
    db.session.commit()
    return user


def html_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def bank(login_as):
    return login_as("bank")


# --- the list ------------------------------------------------------------------------------------
def test_list_shows_consenting_firms_and_marks_unconsented_cells(client, bank):
    open_firm = firm(BASIC | INNO)
    basic_only = firm(BASIC)
    hidden = firm(None)
    page = client.get("/finance/firms")
    assert page.status_code == 200
    html = html_of(page)
    assert open_firm.organisation.name in html and basic_only.organisation.name in html
    assert hidden.organisation.name not in html
    assert "未授权" in html


@pytest.mark.parametrize("level", ["sme", "little_giant"])
def test_list_and_page_show_the_specialised_level(client, bank, level):
    shown = firm(
        BASIC | INNO,
        specialised=level,
        specialised_cert_no="JLZJTX-1",
        specialised_expires_on=date.today() + timedelta(days=90),
    )
    label = {"sme": "专精特新中小企业", "little_giant": "专精特新“小巨人”"}[level]
    assert label in html_of(client.get("/finance/firms"))
    assert label in html_of(client.get(f"/finance/firms/{shown.organisation_id}"))


def test_filtering_by_high_tech_does_not_reveal_an_unconsented_certificate(client, bank):
    shown = firm(BASIC | INNO, high_tech=True)
    secret = firm(BASIC, high_tech=True)  # high-tech, but INNOVATION was not consented
    html = html_of(client.get("/finance/firms?high_tech=y"))
    assert shown.organisation.name in html
    assert secret.organisation.name not in html


def test_bad_filters_say_what_is_wrong_and_never_fail(client, bank):
    firm(BASIC)
    page = client.get("/finance/firms?need_min=abc&need_max=-5&field=x&band=7&page=zz")
    assert page.status_code == 400
    assert "请填写 0 到 999999999 之间的金额。" in html_of(page)
    page = client.get("/finance/firms?need_min=500&need_max=100")
    assert page.status_code == 400 and "上限不能低于下限。" in html_of(page)
    page = client.get("/finance/firms?sort=fit")
    assert page.status_code == 400 and "按匹配度排序时请选择本行的一个产品。" in html_of(page)
    other_bank = make_user("bank")
    foreign = make_product(other_bank)
    db.session.commit()
    page = client.get(f"/finance/firms?sort=fit&product={foreign.id}")
    assert page.status_code == 400
    assert client.get("/finance/firms?page=999").status_code == 200


def test_sort_by_fit_to_an_own_product(client, bank, fields):
    product = make_product(bank, requires_high_tech=True)
    eligible = firm(BASIC | INNO, high_tech=True)
    firm(BASIC | INNO, high_tech=False)
    db.session.commit()
    page = client.get(f"/finance/firms?sort=fit&product={product.id}")
    assert page.status_code == 200
    html = html_of(page)
    assert html.index(eligible.organisation.name) < html.index("未全部满足")
    assert "符合准入" in html


# --- one firm ------------------------------------------------------------------------------------
def test_firm_page_shows_exactly_the_consented_scopes(client, bank):
    shown = firm(BASIC | INNO, awards="省科技进步二等奖")
    innovation_score.compute_score(profile_of(shown.organisation_id))
    make_financing_need(shown, amount_wan=Decimal(300))
    db.session.commit()
    page = client.get(f"/finance/firms/{shown.organisation_id}")
    assert page.status_code == 200
    html = html_of(page)
    assert "13900000001" in html and "省科技进步二等奖" in html  # BASIC, INNOVATION
    assert "score-breakdown" in html and "研发投入强度" in html  # the score's breakdown
    assert "研发设备购置贷款" in html  # open financing needs are posted for banks
    assert str(REVENUE) not in html and "98,765" not in html  # no FINANCIALS
    assert "发明 3 件" in html
    (view,) = consent.views_of(shown.organisation_id)
    assert view.action == ViewAction.VIEW and view.scopes == int(BASIC | INNO)


def test_firm_page_without_basic_or_innovation_hides_contact_and_certificates(client, bank):
    shown = firm(FIN | ACT)
    html = html_of(client.get(f"/finance/firms/{shown.organisation_id}"))
    assert "13900000001" not in html and "finance@firm.example.com" not in html
    assert "GR202422000123" not in html and "score-breakdown" not in html
    assert "98,765" in html and "<svg" in html  # FINANCIALS: the table and the bar chart
    assert "平台活动" in html and "发布技术需求" in html


def test_firm_page_is_404_without_consent_and_at_once_after_revocation(client, bank):
    assert client.get(f"/finance/firms/{firm(None).organisation_id}").status_code == 404
    revoked = firm(BASIC)
    assert client.get(f"/finance/firms/{revoked.organisation_id}").status_code == 200
    consent.revoke(actor=revoked)
    db.session.commit()
    assert client.get(f"/finance/firms/{revoked.organisation_id}").status_code == 404
    expired = firm(BASIC)
    expire_consent(expired)
    db.session.commit()
    assert client.get(f"/finance/firms/{expired.organisation_id}").status_code == 404


@pytest.mark.parametrize("role", ["enterprise", "university", "admin"])
def test_other_roles_get_403_on_the_browser(client, login_as, role):
    shown = firm(BASIC | INNO)
    login_as(role)
    for url in (
        "/finance/firms",
        f"/finance/firms/{shown.organisation_id}",
        "/finance/firms/export.xlsx",
        "/finance/shortlist",
    ):
        assert client.get(url).status_code == 403
    assert client.post(f"/finance/firms/{shown.organisation_id}/shortlist").status_code == 403
    assert db.session.query(ProfileView).count() == 0


def test_an_unverified_bank_is_told_why_and_sees_nothing(client, login_as):
    shown = firm(BASIC)
    login_as("bank", verified=False)
    page = client.get("/finance/firms")
    assert page.status_code == 403 and shown.organisation.name not in html_of(page)
    assert "通过平台审核" in html_of(page)
    assert client.get(f"/finance/firms/{shown.organisation_id}").status_code == 404


def test_lead_button_points_at_the_lead_form_when_it_exists(client, bank, app):
    shown = firm(BASIC)
    html = html_of(client.get(f"/finance/firms/{shown.organisation_id}"))
    if "finance.new_lead" in app.view_functions:
        assert f"/finance/firms/{shown.organisation_id}/lead" in html
    else:
        assert "发起对接" not in html


# --- shortlist -----------------------------------------------------------------------------------
def test_shortlist_add_edit_remove(client, bank):
    shown = firm(BASIC | INNO)
    url = f"/finance/firms/{shown.organisation_id}/shortlist"
    assert client.post(url, data={"note": "首贷潜在客户"}).status_code == 302
    assert [v.action for v in consent.views_of(shown.organisation_id)] == [ViewAction.SHORTLIST]
    page = html_of(client.get("/finance/shortlist"))
    assert shown.organisation.name in page and "首贷潜在客户" in page
    note_url = f"/finance/shortlist/{shown.organisation_id}/note"
    assert client.post(note_url, data={"note": "已电话沟通"}).status_code == 302
    assert db.session.query(ShortlistEntry).one().note == "已电话沟通"
    too_long = client.post(note_url, data={"note": "长" * 1001})
    assert too_long.status_code == 400 and "不能超过 1000 个字符。" in html_of(too_long)
    assert db.session.query(ShortlistEntry).one().note == "已电话沟通"
    remove = f"/finance/shortlist/{shown.organisation_id}/remove"
    assert client.post(remove).status_code == 302
    assert db.session.query(ShortlistEntry).count() == 0


def test_a_too_long_note_stores_nothing_on_add(client, bank):
    shown = firm(BASIC)
    url = f"/finance/firms/{shown.organisation_id}/shortlist"
    page = client.post(url, data={"note": "长" * 1001})
    assert page.status_code == 400 and "不能超过 1000 个字符。" in html_of(page)
    assert db.session.query(ShortlistEntry).count() == 0


def test_lapsed_firm_shows_as_lapsed_without_profile_data(client, bank):
    lapsed = firm(BASIC, key_products="碳纤维预浸料独家配方")
    client.post(f"/finance/firms/{lapsed.organisation_id}/shortlist", data={"note": "跟进"})
    consent.revoke(actor=lapsed)
    db.session.commit()
    html = html_of(client.get("/finance/shortlist"))
    assert "授权已失效" in html and lapsed.organisation.name in html and "跟进" in html
    assert "碳纤维预浸料独家配方" not in html and "13900000001" not in html
    assert f'href="/finance/firms/{lapsed.organisation_id}"' not in html
    assert client.get(f"/finance/firms/{lapsed.organisation_id}").status_code == 404
    assert client.post(f"/finance/firms/{lapsed.organisation_id}/shortlist").status_code == 404


def test_another_banks_shortlist_notes_are_invisible(client, bank):
    shown = firm(BASIC)
    client.post(f"/finance/firms/{shown.organisation_id}/shortlist", data={"note": "内部授信意见"})
    rival = make_user("bank")
    db.session.commit()
    log_in(client, rival)
    html = html_of(client.get("/finance/shortlist"))
    assert "内部授信意见" not in html and shown.organisation.name not in html
    page = html_of(client.get(f"/finance/firms/{shown.organisation_id}"))
    assert "内部授信意见" not in page
    note_url = f"/finance/shortlist/{shown.organisation_id}/note"
    assert client.post(note_url, data={"note": "改掉"}).status_code == 404
    assert client.post(f"/finance/shortlist/{shown.organisation_id}/remove").status_code == 404
    assert db.session.query(ShortlistEntry).one().note == "内部授信意见"


# --- exports -------------------------------------------------------------------------------------
def _rows(response) -> list[dict[str, object]]:
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_export_of_the_filter_has_consented_fields_only(client, bank):
    books = firm(BASIC | FIN)
    secret = firm(BASIC | INNO)
    rows = {r["企业名称"]: r for r in _rows(client.get("/finance/firms/export.xlsx"))}
    assert rows[books.organisation.name]["营业收入（万元）"] == REVENUE
    assert rows[secret.organisation.name]["营业收入（万元）"] == "未授权"
    assert rows[books.organisation.name]["创新积分"] == "未授权"
    filtered = _rows(client.get("/finance/firms/export.xlsx?high_tech=y"))
    assert [r["企业名称"] for r in filtered] == [secret.organisation.name]
    actions = [v.action for v in db.session.query(ProfileView)]
    assert actions.count(ViewAction.EXPORT) == 3


def test_export_with_a_bad_filter_goes_back_to_the_list(client, bank):
    response = client.get("/finance/firms/export.xlsx?need_min=abc")
    assert response.status_code == 302 and "/finance/firms" in response.headers["Location"]
    assert db.session.query(ProfileView).count() == 0


def test_export_of_the_shortlist(client, bank):
    shown = firm(BASIC)
    client.post(f"/finance/firms/{shown.organisation_id}/shortlist", data={"note": "重点客户"})
    (row,) = _rows(client.get("/finance/shortlist/export.xlsx"))
    assert row["企业名称"] == shown.organisation.name and row["备注"] == "重点客户"
    assert row["营业收入（万元）"] == "未授权"


@pytest.mark.parametrize(
    "query",
    [
        "field=<script>&region=%27%20OR%201=1&band=x&sort=drop&product=abc",
        "need_min=1e400&need_max=NaN",
        "need_min=" + "9" * 400,
        "high_tech=y&high_tech=n&region=changchun&region=jilin",
        "region=%E2%80%AEgnp.exe&page=-3",
    ],
)
def test_hostile_filters_never_fail(client, bank, query):
    firm(BASIC)
    response = client.get(f"/finance/firms?{query}")
    assert response.status_code in (200, 400)
    assert "<script>" not in html_of(response)
    assert client.get(f"/finance/firms/export.xlsx?{query}").status_code in (200, 302)


def test_a_hostile_note_is_stored_as_text_and_escaped(client, bank):
    """SECURITY.md row 23 (v5.0.0-1.2.1)."""
    shown = firm(BASIC)
    xss = "<script>alert(1)</script>"
    client.post(f"/finance/firms/{shown.organisation_id}/shortlist", data={"note": xss})
    html = html_of(client.get("/finance/shortlist"))
    assert xss not in html and "&lt;script&gt;" in html
    assert db.session.query(ShortlistEntry).one().note == xss
