"""Load scenario of docs/performance.md: anonymous browsing, search, detail pages with their
recommendations, logged-in 对接 enquiries and need drafts, in the proportions of the weights.

Run by benchmarks/load_run.py against a server with the demo data and the synthetic listings
(`matchmaker seed demo`, `matchmaker seed synthetic`); by hand:

    .venv/bin/locust -f benchmarks/locustfile.py --host http://127.0.0.1:8765 \
        --headless -u 50 -r 10 -t 5m --csv /tmp/load

Run locust only as a separate process (it monkey-patches the standard library with gevent):
this file imports nothing of the app. Search words come from the demo vocabulary
(matchmaker/seed/listings.json), the accounts from matchmaker/seed/demo.json (all share the
demo password). A refusal the rules intend (an enquiry already open on that listing, the
organisation's daily cap) counts as a success under its own name, "enquiry: refused", so
that errors in the figures are failures of the server only.
"""

# ruff: noqa: S311 - random choices of a load scenario, not security
from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

SEED_DIR = Path(__file__).resolve().parent.parent / "matchmaker" / "seed"
_LISTINGS = json.loads((SEED_DIR / "listings.json").read_text("utf-8"))
_DEMO = json.loads((SEED_DIR / "demo.json").read_text("utf-8"))
PASSWORD = _DEMO["password"]
WORDS = sorted(
    {k for e in _LISTINGS["results"] + _LISTINGS["needs"] for k in e["keywords"] if len(k) <= 8}
)
#: Members of verified enterprises, universities and institutes: they may send enquiries.
SENDERS = [
    u["email"]
    for org in _DEMO["organisations"]
    if org["status"] == "verified" and org["kind"] in ("enterprise", "university", "institute")
    for u in org["users"]
    if u.get("role") not in ("bureau",)
]
#: Members of verified enterprises: they may write needs.
POSTERS = [
    u["email"]
    for org in _DEMO["organisations"]
    if org["status"] == "verified" and org["kind"] == "enterprise"
    for u in org["users"]
]
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_LINK = re.compile(r'href="/(results|needs)/(\d+)"')
#: Listing ids seen on list pages, shared by the users of this process (detail page targets).
SEEN: dict[str, list[int]] = {"results": [], "needs": []}


def _remember(html: str) -> None:
    for kind, raw in _LINK.findall(html):
        ids = SEEN[kind]
        if len(ids) < 5000:
            ids.append(int(raw))


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    return found.group(1) if found else ""


class _Site(HttpUser):
    abstract = True
    wait_time = between(1, 3)  # a person reading a page

    def on_start(self) -> None:
        self.client.headers["Accept-Language"] = "zh-CN,zh;q=0.9"

    def list_page(self, kinds: str) -> None:
        params: dict[str, Any] = {}
        if random.random() < 0.5:
            params["page"] = random.randint(2, 50)
        with self.client.get(
            f"/{kinds}", params=params, name=f"/{kinds}", catch_response=True
        ) as r:
            if r.status_code == 200:
                _remember(r.text)

    def detail(self, kinds: str) -> None:
        ids = SEEN[kinds]
        if not ids:
            self.list_page(kinds)
            return
        self.client.get(f"/{kinds}/{random.choice(ids)}", name=f"/{kinds}/[id]")

    def log_in(self, accounts: list[str]) -> None:
        email = random.choice(accounts)
        page = self.client.get("/auth/login", name="/auth/login")
        self.client.post(
            "/auth/login",
            data={"csrf_token": _csrf(page.text), "email": email, "password": PASSWORD},
            name="/auth/login (POST)",
        )


class Visitor(_Site):
    """Anonymous browsing: home, the lists, their later pages, challenges, detail pages."""

    weight = 6

    @task(2)
    def home(self) -> None:
        self.client.get("/", name="/")

    @task(3)
    def results(self) -> None:
        self.list_page("results")

    @task(2)
    def needs(self) -> None:
        self.list_page("needs")

    @task(1)
    def challenges(self) -> None:
        self.client.get("/challenges", name="/challenges")

    @task(4)
    def result_detail(self) -> None:
        self.detail("results")

    @task(2)
    def need_detail(self) -> None:
        self.detail("needs")


class Searcher(_Site):
    """Search: a word of the vocabulary, now and then with a field or region facet."""

    weight = 3

    @task(3)
    def search_results(self) -> None:
        params = {"q": random.choice(WORDS)}
        if random.random() < 0.3:
            params["region"] = random.choice(["changchun", "jilin", "yanbian"])
        with self.client.get(
            "/results", params=params, name="/results?q=", catch_response=True
        ) as r:
            if r.status_code == 200:
                _remember(r.text)

    @task(1)
    def search_needs(self) -> None:
        self.client.get("/needs", params={"q": random.choice(WORDS)}, name="/needs?q=")

    @task(2)
    def open_a_hit(self) -> None:
        self.detail("results")


class Enquirer(_Site):
    """A member of a verified organisation: reads a listing and sends a 对接 request."""

    weight = 1

    def on_start(self) -> None:
        super().on_start()
        self.log_in(SENDERS)

    @task(3)
    def read(self) -> None:
        self.detail(random.choice(["results", "needs"]))

    @task(1)
    def enquire(self) -> None:
        kinds = random.choice(["results", "needs"])
        if not SEEN[kinds]:
            self.list_page(kinds)
            return
        listing_id = random.choice(SEEN[kinds])
        kind = kinds[:-1]
        form = self.client.get(
            "/connect/new", params={"kind": kind, "id": listing_id}, name="/connect/new"
        )
        if form.status_code != 200:  # own listing (403) or no longer public (404)
            return
        data = {
            "csrf_token": _csrf(form.text),
            "intent": random.choice(["consulting", "co_develop", "license"]),
            "message": "我们对这项内容很感兴趣，希望进一步了解技术细节和合作方式。（压力测试）",
        }
        with self.client.post(
            f"/connect/new?kind={kind}&id={listing_id}",
            data=data,
            name="/connect/new (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code == 302:
                r.success()
            elif r.status_code in (400, 403, 409):  # already open, daily cap: the rules
                r.request_meta["name"] = "enquiry: refused"
                r.success()
            else:
                r.failure(f"HTTP {r.status_code}")


class Poster(_Site):
    """A member of a verified enterprise writing a need draft."""

    weight = 1

    def on_start(self) -> None:
        super().on_start()
        self.log_in(POSTERS)

    @task(2)
    def my_listings(self) -> None:
        self.client.get("/my/listings", name="/my/listings")

    @task(1)
    def new_need(self) -> None:
        form = self.client.get("/my/needs/new", name="/my/needs/new")
        if form.status_code != 200:
            return
        words = random.sample(WORDS, 3)
        data = {
            "csrf_token": _csrf(form.text),
            "title": f"{words[0]}与{words[1]}技术攻关（压力测试）",
            "keywords": "，".join(words),
            "region": "changchun",
            "description": f"企业在{words[0]}方面遇到技术难题，需要{words[2]}方面的合作伙伴。",
            "targets": "1. 性能提升20%；\n2. 成本降低10%。",
            "existing_base": "已有生产线和研发团队。",
            "budget_wan": "50",
        }
        with self.client.post(
            "/my/needs/new",
            data=data,
            name="/my/needs/new (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code == 302:
                r.success()
            else:
                r.failure(f"HTTP {r.status_code}")
