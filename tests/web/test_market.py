"""The public market: lists, facets and search over HTTP, detail and organisation pages, staged
disclosure (a crawl finds no contact details), exports and attachment downloads."""

from __future__ import annotations

import csv
import html
import io
import re
from collections import deque
from datetime import timedelta
from urllib.parse import quote, urlsplit

import openpyxl
import pytest

from matchmaker.extensions import db
from matchmaker.models.base import utcnow
from matchmaker.services.market import attachments, listings
from matchmaker.services.market.browsing import han_pairs
from tests.conftest import log_in
from tests.factories import make_user
from tests.services.test_attachments import PDF, PNG
from tests.services.test_listings import SENTINEL_EMAIL, SENTINEL_PHONE, listed, result_data
from tests.services.test_publication import corpus  # noqa: F401 - the shared fixture

SENTINELS = (SENTINEL_PHONE, SENTINEL_EMAIL)
SKIP_PREFIXES = (
    "/static/",
    "/auth/",
    "/my/",
    "/admin/",
    "/language",
    "/notifications",
    "/dashboard",
    "/organisation/",
    "/excel/",
)


def anonymous(client) -> None:
    with client.session_transaction() as session:
        session.clear()


def fetch(client, url: str):
    """GET a download and close it (send_file keeps the file open until the response is closed)."""
    response = client.get(url)
    response.close()
    return response


def text_of(response) -> str:
    """The page, search terms unmarked (test_list_pages checks the <mark>s)."""
    return response.get_data(as_text=True).replace("<mark>", "").replace("</mark>", "")


def total(page: str) -> int:
    return int(re.search(r"共 (\d+) 条", page).group(1))


def facet_badges(page: str) -> dict[str, int]:
    """label -> count of every facet link on a list page."""
    return {
        html.unescape(label): int(n)
        for label, n in re.findall(
            r"<span>([^<]+)</span><span class=\"badge[^\"]*\"[^>]*>(\d+)</span>", page
        )
    }


def xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    cells = [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    book.close()
    return "\n".join(cells)


# --- lists, facets and search over HTTP -------------------------------------------------------
def test_results_page_lists_public_results_with_facet_counts(client, corpus):  # noqa: F811
    page = text_of(client.get("/results"))
    assert total(page) == 6
    badges = facet_badges(page)
    assert (
        badges["碳纤维/新材料"] == 3 and badges["新能源/绿色能源"] == 2 and badges["生物医药"] == 1
    )
    assert badges["长春市"] == 3 and badges["吉林市"] == 2 and badges["四平市"] == 1
    assert "白山市" not in badges  # the expired publication's region
    for hidden in ("碳纤维草稿", "碳纤维已撤下", "碳纤维过期成果", "新标题未审核"):
        assert hidden not in page


def test_facet_counts_apply_the_other_filters_over_http(client, corpus):  # noqa: F811
    page = text_of(client.get("/results?field=materials"))
    assert total(page) == 3
    badges = facet_badges(page)
    assert (
        badges["碳纤维/新材料"] == 3 and badges["新能源/绿色能源"] == 2
    )  # every field still counted
    assert badges["长春市"] == 1 and badges["吉林市"] == 2 and "四平市" not in badges
    page = text_of(client.get("/results?field=materials&region=jilin"))
    assert total(page) == 2
    assert "大丝束碳纤维中试线" in page and "碳纤维复合材料回收" in page


def test_needs_page(client, corpus):  # noqa: F811
    page = text_of(client.get("/needs"))
    assert total(page) == 3
    assert "面议需求：高温合金焊接" in page
    assert total(text_of(client.get("/needs?price=negotiable"))) == 1
    assert total(text_of(client.get("/needs?field=materials"))) == 1


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("碳纤", 3),
        ("碳纖維", 3),
        ("LiFePO4", 1),
        ("lifepo4", 1),
        ("ＬｉＦｅＰＯ４", 1),
        ("碳纤 中试", 1),
        ("维中", 1),  # two characters across words (大丝束碳纤维中试线): the marked pairs too
        ("%", 0),
        ("_", 0),
        ("石墨烯", 0),
    ],
)
def test_search_over_http(client, corpus, query, count):  # noqa: F811
    page = text_of(client.get("/results", query_string={"q": query}))
    assert total(page) == count
    if query.lower() == "lifepo4" or query == "ＬｉＦｅＰＯ４":
        assert "LiFePO4正极材料低成本合成" in page


def test_han_pairs_mark_each_adjacent_pair_of_chinese_characters_only():
    """What a two-character search term is looked for in (market/browsing.py han_pairs)."""
    assert han_pairs("光伏材料 and 储能, 钢 5g基站") == "光x伏x材x料 储x能 基x站"
    assert han_pairs("steel") == "" and han_pairs("钢 铁") == ""


def test_price_sort_over_http_puts_negotiable_last(client, corpus):  # noqa: F811
    page = text_of(client.get("/results?sort=price_asc"))
    order = [
        t
        for t in re.findall(
            r"(碳纤维预浸料实验室制备|人参皂苷高效提取|大丝束碳纤维中试线|钠离子电池储能系统|"
            r"LiFePO4正极材料低成本合成|碳纤维复合材料回收)",
            page,
        )
    ]
    deduped = list(dict.fromkeys(order))
    assert deduped == [
        "碳纤维预浸料实验室制备",
        "人参皂苷高效提取",
        "大丝束碳纤维中试线",
        "钠离子电池储能系统",
        "LiFePO4正极材料低成本合成",
        "碳纤维复合材料回收",
    ]


def test_relevance_over_http_ranks_a_title_match_above_a_body_match(client, fields):
    admin, owner = make_user("admin"), make_user("university")
    base = utcnow() - timedelta(days=1)
    listed(
        "result",
        fields,
        owner,
        admin,
        now=base,
        title="石墨烯导热膜",
        keywords=(),
        summary="一种薄膜材料的连续化制备方法，导热系数大于1500W/mK，可用于手机散热。",
    )
    listed(
        "result",
        fields,
        owner,
        admin,
        now=base + timedelta(hours=1),
        title="高导热薄膜",
        keywords=(),
        summary="以石墨烯为原料的高导热薄膜材料连续化制备方法，导热系数高。",
    )
    db.session.commit()
    page = text_of(client.get("/results", query_string={"q": "石墨烯"}))
    assert total(page) == 2
    assert page.index("石墨烯导热膜") < page.index("高导热薄膜")
    newest = text_of(client.get("/results", query_string={"q": "石墨烯", "sort": "newest"}))
    assert newest.index("高导热薄膜") < newest.index("石墨烯导热膜")


@pytest.mark.parametrize(
    "query",
    [
        "page=-5",
        "page=abc",
        "page=0",
        "page=99999",
        "per_page=100000",
        "per_page=-1&page=2",
        "sort=evil",
        "price=%27%20OR%201=1",
        "stage=x",
        "mode=%00",
        "org=abc",
        "org=-1",
        "org=99999999999999999999",
        "field=%3Cscript%3E",
        "region=" + "x" * 500,
        "q=" + "碳" * 10000,
        "q=" + "a%20" * 3000,
        "q=%25%25%25&sort=relevance",
        "q=_&page=2",
    ],
)
@pytest.mark.parametrize("path", ["/results", "/needs"])
def test_garbage_parameters_never_500(client, fields, path, query):
    """SECURITY.md rows 24 and 26 (v5.0.0-1.2.4, 15.2.2)."""
    admin = make_user("admin")
    listed("result", fields, make_user("university"), admin, title="碳纤维_样例%")
    listed("need", fields, make_user("enterprise"), admin)
    db.session.commit()
    response = client.get(f"{path}?{query}")
    # a page past the end redirects to the last page (test_list_pages)
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 200:
        assert "<script>" not in text_of(response).split("</head>", 1)[-1].replace(
            "<script src", ""
        )


def test_huge_query_is_truncated_in_the_form(client, corpus):  # noqa: F811
    """SECURITY.md row 26 (v5.0.0-15.2.2)."""
    page = text_of(client.get("/results", query_string={"q": "碳" * 10000}))
    value = re.search(r'id="q" name="q" value="([^"]*)"', page).group(1)
    assert 0 < len(value) <= 100


def test_pagination(client, fields):
    admin, owner = make_user("admin"), make_user("university")
    for n in range(23):
        listed(
            "result",
            fields,
            owner,
            admin,
            title=f"成果第{n:02d}号",
            now=utcnow() - timedelta(hours=n),
        )
    db.session.commit()
    first, second = text_of(client.get("/results")), text_of(client.get("/results?page=2"))
    assert total(first) == 23
    assert "成果第00号" in first and "成果第19号" in first and "成果第20号" not in first
    assert "成果第20号" in second and "成果第22号" in second and "成果第00号" not in second
    past_the_end = client.get("/results?page=3")  # the last page instead (test_list_pages)
    assert past_the_end.status_code == 302
    assert past_the_end.headers["Location"].endswith("/results?page=2")


# --- detail and organisation pages ------------------------------------------------------------
def test_detail_pages(client, corpus):  # noqa: F811
    items = corpus["items"]
    page = text_of(client.get(f"/results/{items['r2'].id}"))
    assert "大丝束碳纤维中试线" in page
    page = text_of(client.get(f"/results/{items['r5'].id}"))
    assert "钠离子电池储能系统" in page and "新标题未审核" not in page  # the approved version
    page = text_of(client.get(f"/needs/{items['n2'].id}"))
    assert "储能电池热管理需求" in page
    assert client.get(f"/needs/{items['r2'].id + 100000}").status_code == 404


def test_expired_publication_detail_is_hidden_before_the_cron(client, corpus):  # noqa: F811
    stale = corpus["items"]["stale"]
    assert stale.status == "listed"
    assert client.get(f"/results/{stale.id}").status_code == 404
    assert "碳纤维过期成果" not in text_of(client.get(f"/orgs/{stale.organisation_id}"))
    assert "碳纤维过期成果" not in text_of(client.get("/"))


def test_organisation_page(client, corpus):  # noqa: F811
    page = text_of(client.get(f"/orgs/{corpus['u1'].organisation_id}"))
    for title in ("碳纤维预浸料实验室制备", "大丝束碳纤维中试线", "钠离子电池储能系统"):
        assert title in page
    assert "碳纤维草稿" not in page and "碳纤维已撤下" not in page and "新标题未审核" not in page
    assert client.get("/orgs/99999999").status_code == 404


def test_unverified_organisation_without_listings_has_no_page(client, fields):
    user = make_user("university", verified=False)
    db.session.commit()
    assert client.get(f"/orgs/{user.organisation_id}").status_code == 404


# --- staged disclosure ------------------------------------------------------------------------
def crawl(client, start: list[str], limit: int = 250) -> dict[str, tuple[int, str]]:
    """Follow every same-site link from the start pages (public areas only)."""
    seen: dict[str, tuple[int, str]] = {}
    queue = deque(start)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code < 500, url
        body = text_of(response) if response.mimetype.startswith("text/") else ""
        seen[url] = (response.status_code, body)
        if response.mimetype != "text/html":
            continue
        for href in re.findall(r'href="([^"]+)"', body):
            href = html.unescape(href)
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            if parts.path.startswith(SKIP_PREFIXES) or parts.query.count("&") > 1:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in seen:
                queue.append(target)
    return seen


def assert_no_sentinel(where: str, text: str) -> None:
    for sentinel in SENTINELS:
        assert sentinel not in text, f"{sentinel} leaked on {where}"


def test_public_crawl_finds_no_contact_details(client, corpus):  # noqa: F811
    items = corpus["items"]
    details = [f"/{x.KIND}s/{x.id}" for x in items.values()]
    orgs = [f"/orgs/{corpus[k].organisation_id}" for k in ("u1", "u2", "ent")]
    start = [
        "/",
        "/results",
        "/needs",
        "/results?field=materials",
        "/results?q=碳纤",
        "/results?sort=price_asc",
        "/needs?price=negotiable",
        *details,
        *orgs,
    ]
    pages = crawl(client, start)
    for url, (_status, body) in pages.items():
        assert_no_sentinel(url, body)
    ok = {url for url, (status, _body) in pages.items() if status == 200}
    public = [
        f"/{k}s/{items[n].id}"
        for k, n in (
            ("result", "r1"),
            ("result", "r2"),
            ("result", "r3"),
            ("result", "r4"),
            ("result", "r5"),
            ("result", "r6"),
            ("need", "n1"),
            ("need", "n2"),
            ("need", "n3"),
        )
    ]
    assert set(public) <= ok  # every public detail page was crawled
    assert set(orgs) <= ok
    assert len(pages) > 30
    # Attachment downloads linked from public pages are covered by their own tests.


def test_exports_contain_no_contact_details(client, corpus):  # noqa: F811
    rules = {rule.rule for rule in client.application.url_map.iter_rules()}
    if not any(r.startswith("/excel/") and "export" in r for r in rules):
        pytest.skip("no export routes")
    for kinds in ("results", "needs"):
        for query in ("", "?field=materials", "?q=碳纤", "?price=negotiable"):
            response = client.get(f"/excel/{kinds}/export.xlsx{query}")
            assert response.status_code == 200
            assert_no_sentinel(f"{kinds}.xlsx{query}", xlsx_text(response.data))
            response = client.get(f"/excel/{kinds}/export.csv{query}")
            assert response.status_code == 200
            assert_no_sentinel(f"{kinds}.csv{query}", response.data.decode("utf-8-sig"))
    # The exports do contain the listings themselves.
    assert "LiFePO4正极材料低成本合成" in xlsx_text(client.get("/excel/results/export.xlsx").data)
    rows = list(
        csv.reader(io.StringIO(client.get("/excel/needs/export.csv").data.decode("utf-8-sig")))
    )
    assert any("储能电池热管理需求" in cell for row in rows for cell in row)
    assert "碳纤维过期成果" not in xlsx_text(client.get("/excel/results/export.xlsx").data)


def test_unverified_member_sees_no_contact_details(client, corpus):  # noqa: F811
    user = make_user("enterprise", verified=False)
    db.session.commit()
    log_in(client, user)
    items = corpus["items"]
    for key in ("r1", "r5", "n1", "n2"):
        x = items[key]
        response = client.get(f"/{x.KIND}s/{x.id}")
        assert response.status_code == 200
        assert_no_sentinel(f"{key} as unverified member", text_of(response))
    for url in ("/", "/results", "/needs", f"/orgs/{corpus['u1'].organisation_id}"):
        assert_no_sentinel(url, text_of(client.get(url)))


@pytest.mark.parametrize("role", ["enterprise", "university", "bank", "admin"])
def test_verified_member_sees_contact_details_on_the_detail_page(client, corpus, role):  # noqa: F811
    user = make_user(role)
    db.session.commit()
    log_in(client, user)
    items = corpus["items"]
    for key in ("r1", "n2"):
        x = items[key]
        page = text_of(client.get(f"/{x.KIND}s/{x.id}"))
        assert SENTINEL_PHONE in page and SENTINEL_EMAIL in page
    # ...but never in the lists.
    assert_no_sentinel("/results", text_of(client.get("/results")))


def test_contact_hidden_in_an_owners_preview(client, fields):
    owner = make_user("university", verified=True)
    listing = listings.create_listing(actor=owner, data=result_data(fields))
    db.session.commit()
    log_in(client, owner)
    response = client.get(f"/results/{listing.id}?preview=1")
    assert response.status_code == 200
    assert_no_sentinel("owner preview", text_of(response))


# --- attachment downloads ---------------------------------------------------------------------
def _attach(owner, listing, content=PDF, name="检测报告.pdf"):
    item = attachments.add_attachment(
        actor=owner, listing=listing, stream=io.BytesIO(content), filename=name
    )
    db.session.commit()
    return item


def test_download_headers(client, fields):
    """SECURITY.md row 28 (v5.0.0-5.4.1, 5.4.2, 3.2.1)."""
    owner, admin = make_user("university"), make_user("admin")
    listing = listings.create_listing(actor=owner, data=result_data(fields))
    item = _attach(owner, listing)
    listings.submit_listing(actor=owner, listing=listing)
    listings.approve_listing(actor=admin, listing=listing)
    db.session.commit()
    response = client.get(f"/attachments/{item.id}")
    body = response.get_data()
    response.close()
    assert response.status_code == 200
    assert body == PDF
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=UTF-8''{quote('检测报告.pdf')}" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.mimetype == "application/pdf"
    assert "no-store" in response.headers["Cache-Control"]
    # The public detail page links it.
    assert f"/attachments/{item.id}" in text_of(client.get(f"/results/{listing.id}"))


def test_draft_attachment_download_follows_the_listing_access(client, fields):
    """SECURITY.md rows 15 and 28 (v5.0.0-8.2.2)."""
    owner = make_user("university")
    listing = listings.create_listing(actor=owner, data=result_data(fields))
    item = _attach(owner, listing)
    assert fetch(client, f"/attachments/{item.id}").status_code == 404  # anonymous
    for role in ("university", "enterprise", "bank"):
        stranger = make_user(role)
        db.session.commit()
        log_in(client, stranger)
        assert fetch(client, f"/attachments/{item.id}").status_code == 404
    log_in(client, owner)
    assert fetch(client, f"/attachments/{item.id}").status_code == 200
    log_in(client, make_user("admin"))
    db.session.commit()
    assert fetch(client, f"/attachments/{item.id}").status_code == 200
    assert fetch(client, "/attachments/99999999").status_code == 404


def test_attachment_added_after_approval_is_private_until_re_approved(client, fields):
    owner, admin = make_user("university"), make_user("admin")
    listing = listings.create_listing(actor=owner, data=result_data(fields))
    first = _attach(owner, listing, PDF, "第一份.pdf")
    listings.submit_listing(actor=owner, listing=listing)
    listings.approve_listing(actor=admin, listing=listing)
    db.session.commit()
    assert fetch(client, f"/attachments/{first.id}").status_code == 200

    log_in(client, owner)
    response = client.post(
        f"/my/results/{listing.id}/attachments",
        data={"file": (io.BytesIO(PNG), "第二份.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    listing = db.session.get(type(listing), listing.id)
    assert listing.status == "pending_review"
    second = [a for a in listing.attachments if a.original_name == "第二份.png"][0]
    assert fetch(client, f"/attachments/{second.id}").status_code == 200  # the owner may

    anonymous(client)
    assert fetch(client, f"/attachments/{second.id}").status_code == 404
    assert fetch(client, f"/attachments/{first.id}").status_code == 200
    assert "第二份.png" not in text_of(client.get(f"/results/{listing.id}"))

    log_in(client, admin)
    assert client.post(f"/admin/review/results/{listing.id}/approve").status_code == 302
    anonymous(client)
    assert fetch(client, f"/attachments/{second.id}").status_code == 200
    assert "第二份.png" in text_of(client.get(f"/results/{listing.id}"))


def test_withdrawn_listing_attachment_is_404_publicly(client, fields):
    owner, admin = make_user("university"), make_user("admin")
    listing = listings.create_listing(actor=owner, data=result_data(fields))
    item = _attach(owner, listing)
    listings.submit_listing(actor=owner, listing=listing)
    listings.approve_listing(actor=admin, listing=listing)
    listings.withdraw_listing(actor=owner, listing=listing)
    db.session.commit()
    assert fetch(client, f"/attachments/{item.id}").status_code == 404
    assert client.get(f"/results/{listing.id}").status_code == 404
