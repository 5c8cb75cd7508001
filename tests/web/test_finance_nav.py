"""The 科技金融 menu offers each role its own pages, and only those it may open."""

from __future__ import annotations

import re

import pytest

# 银企对接会 are events of one kind: their pages are /events, filtered to that kind
PUBLIC = {"/finance/products", "/events?kind=bank_enterprise", "/finance/score/formula"}
OWN = {
    "anon": set(),
    "enterprise": {
        "/finance/profile",
        "/finance/score",
        "/finance/consent",
        "/finance/views",
        "/finance/financing-needs",
        "/finance/leads",
    },
    "university": set(),
    "bank": {
        "/finance/firms",
        "/finance/shortlist",
        "/finance/products/mine",
        "/finance/leads",
        "/events/manage?kind=bank_enterprise",
    },
    "admin": {
        "/finance/stats",
        "/finance/leads",
        "/finance/score-formula",
        "/events/manage?kind=bank_enterprise",
    },
}


def _menu_links(html: str) -> set[str]:
    start = html.index(">科技金融</a>")
    menu = html[start : html.index("</ul>", start)]
    return set(re.findall(r'href="(/(?:finance|events)[^"]*)"', menu))


@pytest.mark.parametrize("role", sorted(OWN))
def test_menu_lists_the_roles_pages_and_every_link_opens(client, login_as, fields, role):
    if role != "anon":
        login_as(role)
    links = _menu_links(client.get("/").get_data(as_text=True))
    assert links == PUBLIC | OWN[role]
    for link in sorted(links):
        assert client.get(link).status_code == 200, link
