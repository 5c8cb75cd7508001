"""Synthetic listings for load tests: `matchmaker seed synthetic --listings 100000`.

Realistic text recombined from the demo vocabulary (seed/listings.json): for each synthetic
listing a field of the key-industry taxonomy is drawn, then its title, keywords, summary and
description sections are composed from the demo listings of that field, so search words,
facets and the recommender behave as they do on real data. Every listing is published (a
listed result or an open need, with its Publication row, as an approval writes it), owned by a
synthetic verified organisation with one member (who receives its enquiries; nobody knows the
password, so nobody logs in as them).

Written with bulk inserts (SQLAlchemy Core: ids reserved from the table's sequence, then one
pipelined executemany per batch and table), not through the services: 100,000 listings through
`create_listing`/`approve_listing` would take hours. What the services would also write and the
public paths never read (the audit log, the notifications to owners, the index change log) is
left out; the cached facet counts are invalidated once, and the caller refits the recommender
index once at the end instead of the change log's incremental replay.

Synthetic organisations are recognised by their website on the reserved `.synthetic.example`
domain: `synthetic_counts` finds them, so a second run refuses unless asked to add more.
"""

from __future__ import annotations

import random
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Mode, Need, Organisation, Publication, Result, User
from matchmaker.models.base import CHINA, utcnow
from matchmaker.seed.listings import listings_data
from matchmaker.services.accounts.credit_code import make_credit_code
from matchmaker.services.accounts.passwords import hash_password
from matchmaker.services.market.browsing import FACET_CACHE, han_pairs, searchable_text
from matchmaker.services.market.listing_states import validity_end
from matchmaker.services.platform import cache, taxonomy
from matchmaker.services.platform.regions import REGIONS

#: The marker of a synthetic organisation: its website is on this reserved domain.
DOMAIN = "synthetic.example"
#: Listings per synthetic organisation (on average).
LISTINGS_PER_ORG = 100
#: Share of the synthetic listings that are results (the rest are needs).
RESULT_SHARE = 0.65
BATCH = 1000

_SECTION = re.compile(r"^[一二三四五六七八九十]+、")
_CLAUSE = re.compile(r"[^，。；]+[，。；]?")
_RESULT_SUFFIXES = (
    "技术",
    "关键技术",
    "制备技术",
    "成套工艺",
    "集成技术",
    "系统",
    "装置及方法",
    "应用技术",
    "产业化技术",
    "开发平台",
)
_NEED_SUFFIXES = (
    "技术攻关",
    "工艺改进",
    "技术难题",
    "国产化替代",
    "性能提升",
    "技术合作",
    "关键设备研发",
)
_BRANDS = (
    "华创",
    "长信",
    "吉瑞",
    "北辰",
    "宏远",
    "中科",
    "恒通",
    "鑫达",
    "博远",
    "新源",
    "瑞丰",
    "天成",
    "启明",
    "海川",
    "汇智",
    "松江",
    "兴业",
    "金石",
    "正元",
    "嘉禾",
)
_ORG_WORDS = {
    "chemicals": "化工",
    "metallurgy": "冶金",
    "materials": "新材料",
    "electronics": "光电",
    "automotive": "装备",
    "agrifood": "农业",
    "biomedicine": "生物医药",
    "energy": "能源",
    "low_altitude": "航空",
    "ai_software": "软件",
    "other": "科技",
}
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗"
_GIVEN = ("伟", "芳", "磊", "静", "强", "敏", "军", "丽", "洋", "艳", "杰", "涛", "明", "超", "华")
_AREA_CODES = {
    "changchun": "0431",
    "jilin": "0432",
    "siping": "0434",
    "liaoyuan": "0437",
    "tonghua": "0435",
    "baishan": "0439",
    "songyuan": "0438",
    "baicheng": "0436",
    "yanbian": "0433",
    "other": "010",
}
_REGION_CODES = {  # administrative division codes (credit code positions 3-8)
    "changchun": "220100",
    "jilin": "220200",
    "siping": "220300",
    "liaoyuan": "220400",
    "tonghua": "220500",
    "baishan": "220600",
    "songyuan": "220700",
    "baicheng": "220800",
    "yanbian": "222400",
    "other": "110100",
}


@dataclass
class _Pool:
    """The demo vocabulary of one field."""

    titles: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)
    sections: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    need_descriptions: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    modes: list[list[str]] = field(default_factory=list)
    prices: list[float | None] = field(default_factory=list)
    budgets: list[float] = field(default_factory=list)
    trials: list[str] = field(default_factory=list)


def _sections(text: str) -> list[str]:
    """A demo description cut at its numbered headings (一、 二、 ...), headings kept."""
    parts: list[str] = []
    for line in text.split("\n"):
        if _SECTION.match(line) or not parts:
            parts.append(line)
        else:
            parts[-1] += "\n" + line
    return parts


def vocabulary() -> dict[str, _Pool]:
    """The demo listings' words and sentences, by field code."""
    data = listings_data()
    pools: dict[str, _Pool] = defaultdict(_Pool)
    for entry in data["results"]:
        pool = pools[entry["field"]]
        pool.titles.append(entry["title"])
        pool.keywords.extend(entry["keywords"])
        pool.summaries.append(entry["summary"])
        for i, section in enumerate(_sections(entry["description"])):
            pool.sections[i].append(section)
        pool.teams.append(entry["team"])
        pool.modes.append(entry["modes"])
        pool.prices.append(entry["price_wan"])
        if entry["trial_terms"]:
            pool.trials.append(entry["trial_terms"])
    for entry in data["needs"]:
        pool = pools[entry["field"]]
        pool.keywords.extend(entry["keywords"])
        pool.need_descriptions.append(entry["description"])
        pool.targets.append(entry["targets"])
        pool.bases.append(entry["existing_base"])
        pool.budgets.append(entry["budget_wan"])
    for pool in pools.values():
        pool.keywords = sorted(set(pool.keywords))
    return dict(pools)


def synthetic_counts() -> dict[str, int]:
    """Synthetic organisations, results and needs already in the database."""
    orgs = sa.select(Organisation.id).where(Organisation.website.like(f"%.{DOMAIN}"))
    counts = {
        "organisations": db.session.scalar(sa.select(sa.func.count()).select_from(orgs.subquery()))
    }
    for name, model in (("results", Result), ("needs", Need)):
        counts[name] = db.session.scalar(
            sa.select(sa.func.count()).where(model.organisation_id.in_(orgs))
        )
    return {k: int(v or 0) for k, v in counts.items()}


@dataclass(frozen=True)
class _Org:
    id: int
    region: str
    field: str
    makes_results: bool  # universities and institutes publish results only
    member_id: int


class Generator:
    """Composes synthetic organisations and listings, deterministically from a seed."""

    def __init__(self, *, seed: int, now: datetime | None = None, offset: int = 0) -> None:
        self.rng = random.Random(seed * 1_000_003 + offset)  # noqa: S311 - synthetic data
        self.now = now or utcnow()
        self.today = self.now.astimezone(CHINA).date()
        self.offset = offset  # numbering continues after earlier synthetic rows
        self.pools = vocabulary()
        self.codes = sorted(self.pools)
        self.regions = list(REGIONS)

    # --- text ---------------------------------------------------------------------------------
    def _clauses(self, texts: list[str], count: int, limit: int) -> str:
        clauses: list[str] = []
        for text in self.rng.sample(texts, min(count, len(texts))):
            found = _CLAUSE.findall(text)
            if found:
                clauses.append(self.rng.choice(found).rstrip("，。；"))
        return ("，".join(clauses) + "。")[:limit]

    def _title(self, pool: _Pool, keywords: list[str], suffixes: tuple[str, ...]) -> str:
        shape = self.rng.random()
        if shape < 0.35 and pool.titles:
            return f"基于{keywords[0]}的{self.rng.choice(pool.titles)}"[:200]
        if shape < 0.7 and len(keywords) > 1:
            return f"{keywords[0]}与{keywords[1]}{self.rng.choice(suffixes)}"[:200]
        return f"{keywords[0]}{self.rng.choice(suffixes)}"[:200]

    def _person(self) -> str:
        return self.rng.choice(_SURNAMES) + "".join(
            self.rng.choices(_GIVEN, k=self.rng.randint(1, 2))
        )

    def _contact(self, org_id: int, region: str) -> dict[str, str]:
        phone = f"{_AREA_CODES[region]}-8{self.rng.randint(0, 9_999_999):07d}"
        return {
            "contact_name": self._person(),
            "contact_phone": phone,
            "contact_email": f"contact{org_id}@{DOMAIN}",
        }

    # --- organisations ------------------------------------------------------------------------
    def organisation_rows(self, count: int, verified_at: datetime) -> list[dict[str, Any]]:
        rows = []
        for i in range(count):
            number = self.offset + i + 1
            field_code = self.rng.choice(self.codes)
            region = self.rng.choice(self.regions)
            place = str(REGIONS[region]).removesuffix("市").removesuffix("朝鲜族自治州")
            brand = self.rng.choice(_BRANDS)
            kind = self.rng.choices(("enterprise", "university", "institute"), (7, 1, 2))[0]
            word = _ORG_WORDS.get(field_code, "科技")
            if kind == "enterprise":
                name = f"{place}{brand}{word}科技有限公司（S{number}）"
                credit = make_credit_code(f"91{_REGION_CODES[region]}X{number:08d}")
            elif kind == "university":
                name = f"{place}{brand}{word}学院（S{number}）"
                credit = None
            else:
                name = f"{place}{brand}{word}研究院（S{number}）"
                credit = None
            rows.append(
                {
                    "kind": kind,
                    "name": name,
                    "credit_code": credit,
                    "region": region,
                    "website": f"https://s{number}.{DOMAIN}",
                    "description": self._clauses(self.pools[field_code].summaries, 2, 400),
                    "status": "verified",
                    "verified_at": verified_at,
                    "created_at": verified_at,
                    "_field": field_code,
                }
            )
        return rows

    def member_rows(self, ids: list[int], orgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One member per organisation, who receives its enquiries (targets.check_target wants
        an active member). Nobody knows the password: a random one, hashed once for all."""
        unusable = hash_password(secrets.token_urlsafe(32))
        rows = []
        for org_id, org in zip(ids, orgs, strict=True):
            number = org["website"].split("//s", 1)[1].split(".", 1)[0]
            rows.append(
                {
                    "email": f"member@s{number}.{DOMAIN}",
                    "name": self._person(),
                    "password_hash": unusable,
                    "role": "enterprise" if org["kind"] == "enterprise" else "university",
                    "organisation_id": org_id,
                    "is_active": True,
                    "session_version": 1,
                    "created_at": org["created_at"],
                    "email_verified_at": org["created_at"],
                    "email_opt_out": [],
                    "large_text": False,
                }
            )
        return rows

    # --- listings -----------------------------------------------------------------------------
    def _dates(self) -> tuple[datetime, datetime]:
        approved = self.now - timedelta(
            days=self.rng.randint(0, 300), minutes=self.rng.randint(0, 1439)
        )
        created = approved - timedelta(days=self.rng.randint(1, 20))
        return created, approved

    def _common(self, org: _Org, field_id: int, field_code: str) -> tuple[dict[str, Any], _Pool]:
        pool = self.pools[field_code]
        keywords = self.rng.sample(pool.keywords, min(len(pool.keywords), self.rng.randint(3, 5)))
        created, approved = self._dates()
        return (
            {
                "organisation_id": org.id,
                "field_id": field_id,
                "keywords": ",".join(keywords),
                "region": org.region if self.rng.random() < 0.9 else self.rng.choice(self.regions),
                **self._contact(org.id, org.region),
                "created_at": created,
                "updated_at": approved,
                "submitted_at": approved - timedelta(hours=self.rng.randint(1, 72)),
                "reviewed_at": approved,
                "published_at": approved,
                "confirmed_at": approved,
                "created_by_id": org.member_id,
                "review_reason_code": None,
                "review_reason": None,
                "reminded_at": None,
                "_keywords": keywords,
            },
            pool,
        )

    def result(self, number: int, org: _Org, field_id: int, field_code: str) -> dict[str, Any]:
        row, pool = self._common(org, field_id, field_code)
        keywords = row.pop("_keywords")
        count = self.rng.randint(0, 3)
        year = self.rng.randint(2016, 2025)
        patents = [
            {
                "number": f"ZL{year} 1 {number % 10_000_000:07d}.{(number + k) % 10}"
                if k == 0
                else f"{year + k} 1 {(number * 7 + k) % 10_000_000:07d}.{k}",
                "status": "granted" if k == 0 else "applied",
            }
            for k in range(count)
        ]
        modes = Mode(0)
        for name in self.rng.choice(pool.modes):
            modes |= Mode[name.upper()]
        price = self.rng.choice(pool.prices)
        sections = [self.rng.choice(pool.sections[i]) for i in sorted(pool.sections)]
        row.update(
            status="listed",
            title=self._title(pool, keywords, _RESULT_SUFFIXES),
            summary=self._clauses(pool.summaries, self.rng.randint(2, 4), 480),
            description="\n".join(sections),
            trl=self.rng.choices(range(1, 10), (1, 2, 4, 6, 8, 9, 8, 6, 3))[0],
            patents=patents,
            software_copyrights=[],
            modes=int(modes),
            trial_terms=self.rng.choice(pool.trials)
            if modes & Mode.USE_FIRST_PAY_LATER and pool.trials
            else "",
            price_wan=None
            if price is None
            else Decimal(str(round(price * self.rng.uniform(0.5, 1.5), 1))),
            team=self.rng.choice(pool.teams),
        )
        row["expires_at"] = validity_end(Result(), row["reviewed_at"])
        return row

    def need(self, org: _Org, field_id: int, field_code: str) -> dict[str, Any]:
        row, pool = self._common(org, field_id, field_code)
        keywords = row.pop("_keywords")
        descriptions = pool.need_descriptions or pool.summaries
        deadline = self.today + timedelta(days=self.rng.randint(30, 365))
        budget = self.rng.choice(pool.budgets) if pool.budgets else 50
        row.update(
            status="open",
            title=self._title(pool, keywords, _NEED_SUFFIXES),
            description=self._clauses(descriptions, self.rng.randint(3, 5), 1500),
            targets=self.rng.choice(pool.targets) if pool.targets else "",
            existing_base=self.rng.choice(pool.bases) if pool.bases else "",
            budget_wan=Decimal(str(round(budget * self.rng.uniform(0.5, 1.5), 1))),
            deadline=deadline,
        )
        row["expires_at"] = validity_end(Need(deadline=deadline), row["reviewed_at"])
        return row


def _publication(kind: str, listing_id: int, row: dict[str, Any]) -> dict[str, Any]:
    """The Publication row an approval would write (services/market/publication.publish)."""
    model: Any = Result if kind == "result" else Need
    listing = model(**{k: v for k, v in row.items() if not k.startswith("_")})  # transient
    head, text = searchable_text(listing)
    if kind == "result":
        data = {
            "keywords": listing.keyword_list,
            "attachment_ids": [],
            "description": row["description"],
            "patents": row["patents"],
            "software_copyrights": [],
            "trial_terms": row["trial_terms"],
            "team": row["team"],
        }
        trl, modes, amount, deadline = row["trl"], row["modes"], row["price_wan"], None
    else:
        data = {
            "keywords": listing.keyword_list,
            "attachment_ids": [],
            "description": row["description"],
            "targets": row["targets"],
            "existing_base": row["existing_base"],
        }
        budget = row["budget_wan"]
        trl, modes, amount, deadline = None, 0, budget if budget > 0 else None, row["deadline"]
    return {
        "kind": kind,
        "result_id": listing_id if kind == "result" else None,
        "need_id": listing_id if kind == "need" else None,
        "organisation_id": row["organisation_id"],
        "field_id": row["field_id"],
        "title": row["title"],
        "summary": listing.summary[:500],
        "keywords": row["keywords"],
        "region": row["region"],
        "trl": trl,
        "modes": modes,
        "amount_wan": amount,
        "deadline": deadline,
        "search_head": head,
        "search_text": text,
        "search_pairs": han_pairs(text),
        "data": data,
        "published_at": row["published_at"],
        "approved_at": row["reviewed_at"],
        "expires_at": row["expires_at"],
    }


def _insert(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the rows in one executemany with ids reserved up front; returns their ids in
    order. (INSERT ... RETURNING over a multi-row VALUES makes psycopg parse a statement of
    megabytes per batch: three times slower than the pipelined executemany.)"""
    table = model.__table__
    ids = _reserve_ids(table, len(rows))
    clean = [
        {"id": i, **{k: v for k, v in row.items() if not k.startswith("_")}}
        for i, row in zip(ids, rows, strict=True)
    ]
    db.session.execute(sa.insert(table), clean)
    return ids


def _reserve_ids(table: sa.Table, count: int) -> list[int]:
    """`count` new ids of the table: from its sequence on PostgreSQL (safe beside other
    writers), else after the largest id (SQLite: one writer at a time)."""
    if db.engine.dialect.name == "postgresql":
        sequence = db.session.scalar(sa.select(sa.func.pg_get_serial_sequence(table.name, "id")))
        rows = sa.select(sa.func.nextval(sequence)).select_from(sa.func.generate_series(1, count))
        return list(db.session.scalars(rows))
    start = (db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1
    return list(range(start, start + count))


def _batches(total: int, size: int) -> Iterator[int]:
    done = 0
    while done < total:
        yield min(size, total - done)
        done += size


def load_synthetic(
    *,
    listings: int,
    seed: int = 2026,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Insert `listings` published synthetic listings and their organisations; returns counts.

    Numbering continues after any synthetic rows already there (the caller decides whether
    adding more is wanted). The caller commits, and refits the recommender index.
    """
    if listings <= 0:
        raise ValueError("listings must be positive")
    taxonomy.ensure_key_industries()
    existing = synthetic_counts()
    gen = Generator(seed=seed, now=now, offset=existing["organisations"])
    fields = {f.code: f.id for f in taxonomy.all_fields()}
    missing = [code for code in gen.codes if code not in fields]
    if missing:
        raise LookupError(f"fields missing from the taxonomy: {', '.join(missing)}")
    org_rows = gen.organisation_rows(
        max(1, listings // LISTINGS_PER_ORG), gen.now - timedelta(days=400)
    )
    ids = _insert(Organisation, org_rows)
    members = _insert(User, gen.member_rows(ids, org_rows))
    orgs = [
        _Org(
            id=i,
            region=row["region"],
            field=row["_field"],
            makes_results=row["kind"] != "enterprise",
            member_id=member,
        )
        for i, member, row in zip(ids, members, org_rows, strict=True)
    ]
    enterprises = [o for o in orgs if not o.makes_results] or orgs
    created = {"organisations": len(orgs), "results": 0, "needs": 0}
    number = existing["results"] + existing["needs"]
    for size in _batches(listings, batch):
        results: list[dict[str, Any]] = []
        needs: list[dict[str, Any]] = []
        for _ in range(size):
            number += 1
            if gen.rng.random() < RESULT_SHARE:
                org = gen.rng.choice(orgs)
                code = org.field if gen.rng.random() < 0.8 else gen.rng.choice(gen.codes)
                results.append(gen.result(number, org, fields[code], code))
            else:
                org = gen.rng.choice(enterprises)
                code = org.field if gen.rng.random() < 0.8 else gen.rng.choice(gen.codes)
                needs.append(gen.need(org, fields[code], code))
        pubs: list[dict[str, Any]] = []
        for kind, model, rows in (("result", Result, results), ("need", Need, needs)):
            if rows:
                new_ids = _insert(model, rows)
                pubs.extend(
                    _publication(kind, i, row) for i, row in zip(new_ids, rows, strict=True)
                )
        if pubs:
            db.session.execute(sa.insert(Publication), pubs)
        created["results"] += len(results)
        created["needs"] += len(needs)
        if progress is not None:
            progress(size)
    # what matching.record_change does per listing, once: running servers forget their cached
    # facet counts after the commit (the index refit bumps its own stamp)
    cache.invalidate_after_commit(FACET_CACHE)
    return created
