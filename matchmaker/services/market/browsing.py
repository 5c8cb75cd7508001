"""Browsing the public lists: the filter a visitor sets, search, facets and pages."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    MODE_GROUPS,
    STAGE_TRL,
    Listing,
    Need,
    Organisation,
    Publication,
    Stage,
    TechField,
)
from matchmaker.models.base import utcnow
from matchmaker.recommender import normalise
from matchmaker.services import matching
from matchmaker.services.platform import cache

PRICE_BANDS: dict[str, tuple[Decimal | None, Decimal | None]] = {
    "lt10": (None, Decimal(10)),
    "10_50": (Decimal(10), Decimal(50)),
    "50_100": (Decimal(50), Decimal(100)),
    "100_500": (Decimal(100), Decimal(500)),
    "gte500": (Decimal(500), None),
}
NEGOTIABLE = "negotiable"
SORTS = ("relevance", "newest", "price_asc", "price_desc")
MAX_QUERY = 100
MAX_TERMS = 8

_LATIN_RUN = re.compile(r"[a-z0-9][a-z0-9.+\-]*")
_LATIN_TERM = re.compile(r"^[a-z0-9][a-z0-9.+\-]*$")


def _searchable(text: str) -> str:
    # A space before every Latin/number run lets a query like "5g" match "5G" but not "3.5g".
    return _LATIN_RUN.sub(lambda m: f" {m.group()}", normalise(text))


def searchable_text(listing: Listing) -> tuple[str, str]:
    """Normalised (head, full) text of a listing for search: head = title + keywords."""
    head = " ".join([listing.title, " ".join(listing.keyword_list)])
    body = [listing.summary, listing.description]
    if isinstance(listing, Need):
        body += [listing.targets, listing.existing_base]
    else:
        body += [listing.team, " ".join(p.get("number", "") for p in listing.patents or [])]
    return _searchable(head), _searchable(" ".join([head, *body]))


# --- the filter and the query ---------------------------------------------------------------
@dataclass(frozen=True)
class BrowseFilter:
    """What a visitor asked the supermarket or the needs list for."""

    kind: str
    q: str = ""
    field: str = ""
    stage: str = ""
    mode: str = ""
    price: str = ""
    region: str = ""
    org: int | None = None
    sort: str = ""

    def cleaned(self) -> BrowseFilter:
        """Bounded, valid values only (unknown values are dropped, never an error)."""
        return replace(
            self,
            q=" ".join(self.q.split())[:MAX_QUERY],
            stage=self.stage if self.stage in {s.value for s in Stage} else "",
            mode=self.mode if self.mode in MODE_GROUPS else "",
            price=self.price if self.price in PRICE_BANDS or self.price == NEGOTIABLE else "",
            field=self.field[:32],
            region=self.region[:32],
            org=self.org
            if self.org is not None and 0 < self.org < 2**31
            else None,  # an INTEGER id
            sort=self.sort if self.sort in SORTS else "",
        )

    @property
    def terms(self) -> list[str]:
        """Normalised search terms (AND-ed)."""
        return [t for t in normalise(self.q).split() if t][:MAX_TERMS]

    @property
    def effective_sort(self) -> str:
        """Relevance when searching, newest otherwise, unless the visitor chose."""
        if self.sort and (self.sort != "relevance" or self.terms):
            return self.sort
        return "relevance" if self.terms else "newest"


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # Latin words and model numbers match from the start of a run (LiFePO → LiFePO4; 5G ≠ 3.5g).
    return f"% {escaped}%" if _LATIN_TERM.match(term) else f"%{escaped}%"


def visible(kind: str, now: datetime) -> list[sa.ColumnElement[bool]]:
    return [
        Publication.kind == kind,
        sa.or_(Publication.expires_at.is_(None), Publication.expires_at > now),
    ]


def _conditions(f: BrowseFilter, *, skip: str = "", now: datetime) -> list[sa.ColumnElement[bool]]:
    return [*_matching(f, now), *_facet_filters(Publication, f, skip=skip)]


#: Two Chinese characters: a common search term (光伏, 玉米, 焊接), and one a trigram index
#: cannot serve, as `LIKE '%光伏%'` holds no trigram. So a publication also keeps its Han runs
#: with a marker after every character that another follows (光伏材料 -> 光x伏x材x料,
#: `search_pairs`), and the term is also looked for there as `%光x伏%`: a trigram, which that
#: column's index serves on PostgreSQL (pg_trgm GIN, migration b17a0f0a1003). The LIKE on
#: the plain text still decides.
_HAN_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
_HAN_BEFORE_HAN = re.compile(r"([\u4e00-\u9fff])(?=[\u4e00-\u9fff])")


def han_pairs(text: str) -> str:
    """The Han runs of `text` with the pair marker: "光伏材料 and 储能" -> "光x伏x材x料 储x能"."""
    return " ".join(_HAN_BEFORE_HAN.sub(r"\1x", run) for run in _HAN_RUN.findall(text))


def _matching(f: BrowseFilter, now: datetime) -> list[sa.ColumnElement[bool]]:
    """What every facet shares: visible publications of the kind with every search term."""
    return [*visible(f.kind, now), *term_conditions(f)]


def term_conditions(f: BrowseFilter) -> list[sa.ColumnElement[bool]]:
    """Every search term occurs in the text; a term of two Chinese characters is also looked
    for among the marked pairs (which the trigram index serves; the plain LIKE decides)."""
    conds: list[sa.ColumnElement[bool]] = []
    for term in f.terms:
        conds.append(Publication.search_text.like(_like(term), escape="\\"))
        if _HAN_PAIR.fullmatch(term):
            conds.append(Publication.search_pairs.like(f"%{han_pairs(term)}%"))
    return conds


def _facet_filters(
    columns: Any, f: BrowseFilter, *, skip: str = ""
) -> list[sa.ColumnElement[bool]]:
    """The facet filters (but `skip`'s own) on `columns`: Publication itself, or the columns of
    the matching rows that facet_counts selects once."""
    conds: list[sa.ColumnElement[bool]] = []
    if f.field and skip != "field":
        conds.append(columns.field_id.in_(sa.select(TechField.id).where(TechField.code == f.field)))
    if f.stage and skip != "stage":
        low, high = STAGE_TRL[Stage(f.stage)]
        conds.append(columns.trl.between(low, high))
    if f.mode and skip != "mode":
        conds.append(columns.modes.op("&")(MODE_GROUPS[f.mode]) != 0)
    if f.price and skip != "price":
        conds.append(_price_condition(f.price, columns.amount_wan))
    if f.region and skip != "region":
        conds.append(columns.region == f.region)
    if f.org and skip != "org":
        conds.append(columns.organisation_id == f.org)
    return conds


def _price_condition(band: str, amount: Any = Publication.amount_wan) -> sa.ColumnElement[bool]:
    if band == NEGOTIABLE:
        return amount.is_(None)
    low, high = PRICE_BANDS[band]
    conds: list[sa.ColumnElement[bool]] = [amount.is_not(None)]
    if low is not None:
        conds.append(amount >= low)
    if high is not None:
        conds.append(amount < high)
    return sa.and_(*conds)


def _relevance(f: BrowseFilter) -> sa.ColumnElement[int]:
    score: sa.ColumnElement[int] = sa.literal(0)
    for term in f.terms:
        score = score + sa.case(
            (Publication.search_head.like(_like(term), escape="\\"), 2), else_=0
        )
    return score


def browse_query(f: BrowseFilter, *, now: datetime | None = None) -> sa.Select:
    """The filtered, sorted publications."""
    now = now or utcnow()
    stmt = (
        sa.select(Publication)
        .where(*_conditions(f, now=now))
        .options(selectinload(Publication.organisation), selectinload(Publication.field))
    )
    sort = f.effective_sort
    if sort == "relevance":
        stmt = stmt.order_by(_relevance(f).desc(), Publication.approved_at.desc())
    elif sort in ("price_asc", "price_desc"):
        amount = (
            Publication.amount_wan.asc() if sort == "price_asc" else Publication.amount_wan.desc()
        )
        stmt = stmt.order_by(
            Publication.amount_wan.is_(None), amount, Publication.approved_at.desc()
        )
    else:
        stmt = stmt.order_by(Publication.approved_at.desc())
    return stmt.order_by(Publication.id.desc())


def facet_counts(
    f: BrowseFilter, *, now: datetime | None = None
) -> dict[str, list[tuple[Any, int]]]:
    """For each facet, the count of each value given every other active filter.

    One statement (the matching rows selected once, then a UNION ALL of one grouped count per
    facet over them, each with the other facets' filters, the organisations' names joined in)
    plus the field taxonomy's rows: the same SQL on SQLite and PostgreSQL."""
    now = now or utcnow()
    text = sa.String()
    no_name = sa.cast(sa.null(), text)
    # The matching rows are selected once (the search terms' LIKE scans the text once, not once
    # per facet); each facet then counts them under the other facets' filters.
    found = (
        sa.select(
            Publication.field_id,
            Publication.trl,
            Publication.modes,
            Publication.amount_wan,
            Publication.region,
            Publication.organisation_id,
        )
        .where(*_matching(f, now))
        .cte("matching")
    )
    c = found.c

    def grouped(expr: Any, facet: str) -> sa.Select:
        return (
            sa.select(
                sa.literal(facet, text).label("facet"),
                sa.cast(expr, text).label("value"),
                no_name.label("name"),
                sa.func.count().label("n"),
            )
            .select_from(found)
            .where(*_facet_filters(c, f, skip=facet))
            .group_by(expr)
        )

    parts: list[sa.Select] = [grouped(c.field_id, "field")]
    if f.kind == "result":
        stage_expr = sa.case(
            *[
                (c.trl.between(lo, hi), sa.literal_column(f"'{s.value}'"))
                for s, (lo, hi) in STAGE_TRL.items()
            ],
            else_=sa.null(),
        )
        parts.append(grouped(stage_expr, "stage"))
        mode_conds = _facet_filters(c, f, skip="mode")
        parts += [
            sa.select(
                sa.literal("mode", text),
                sa.literal(name, text),
                no_name,
                sa.func.count(),
            )
            .select_from(found)
            .where(*mode_conds, c.modes.op("&")(bits) != 0)
            for name, bits in MODE_GROUPS.items()
        ]
    band_expr = sa.case(
        (c.amount_wan.is_(None), sa.literal_column(f"'{NEGOTIABLE}'")),
        *[
            (_price_condition(band, c.amount_wan), sa.literal_column(f"'{band}'"))
            for band in PRICE_BANDS
        ],
        else_=sa.null(),
    )
    parts.append(grouped(band_expr, "price"))
    parts.append(grouped(c.region, "region"))
    parts.append(
        sa.select(
            sa.literal("org", text),
            sa.cast(c.organisation_id, text),
            Organisation.name,
            sa.func.count(),
        )
        .select_from(found)
        .outerjoin(Organisation, Organisation.id == c.organisation_id)
        .where(*_facet_filters(c, f, skip="org"))
        .group_by(c.organisation_id, Organisation.name)
    )
    rows: dict[str, dict[str, tuple[str | None, int]]] = {}
    for facet, value, name, n in db.session.execute(sa.union_all(*parts)).tuples():
        if value is not None and n:
            rows.setdefault(facet, {})[value] = (name, n)

    def counts(facet: str) -> dict[str, int]:
        return {value: n for value, (_name, n) in rows.get(facet, {}).items()}

    facets: dict[str, list[tuple[Any, int]]] = {}
    field_rows = counts("field")
    facets["field"] = (
        [
            (tech_field, field_rows[str(tech_field.id)])
            for tech_field in db.session.scalars(sa.select(TechField).order_by(TechField.position))
            if str(tech_field.id) in field_rows
        ]
        if field_rows
        else []
    )
    if f.kind == "result":
        stage_rows = counts("stage")
        facets["stage"] = [(s.value, stage_rows[s.value]) for s in Stage if s.value in stage_rows]
        mode_rows = counts("mode")
        facets["mode"] = [(name, mode_rows[name]) for name in MODE_GROUPS if name in mode_rows]
    band_rows = counts("price")
    facets["price"] = [
        (band, band_rows[band]) for band in (*PRICE_BANDS, NEGOTIABLE) if band in band_rows
    ]
    facets["region"] = sorted(counts("region").items(), key=lambda r: (-r[1], r[0]))
    orgs = [((int(oid), name or ""), n) for oid, (name, n) in rows.get("org", {}).items()]
    facets["org"] = sorted(orgs, key=lambda r: (-r[1], r[0][0]))[:20]
    return facets


@dataclass
class ListPage:
    """A page of publications with the attributes the pager macro uses (like db.paginate's)."""

    items: list[Publication]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(
        self,
        *,
        left_edge: int = 2,
        left_current: int = 2,
        right_current: int = 4,
        right_edge: int = 2,
    ) -> Any:
        last = 0
        for num in range(1, self.pages + 1):
            if (
                num <= left_edge
                or self.page - left_current <= num <= self.page + right_current
                or num > self.pages - right_edge
            ):
                if last + 1 != num:
                    yield None
                yield num
                last = num


MAX_RANKED = 2000


def browse_page(f: BrowseFilter, *, page: int, per_page: int) -> Any:
    """A page of the filtered list. Relevance order comes from the recommender's index: SQL
    decides what matches (every term must occur), the engine's text score decides the order.

    The ordered ids of the first MAX_RANKED matches (and how many match) come through the
    shared cache with the facet counts (`cached_order`): a visitor paging through a search,
    or the next visitor asking the same, costs one primary-key read of a page of rows. Pages
    past the first MAX_RANKED rows of an order other than relevance are read directly."""
    page = max(1, page)
    ids, total = cached_order(f)
    start = (page - 1) * per_page
    if start >= len(ids) and total > len(ids):
        return db.paginate(
            browse_query(f), page=page, per_page=per_page, max_per_page=50, error_out=False
        )
    window = ids[start : start + per_page]
    found = (
        {
            p.id: p
            for p in db.session.scalars(
                sa.select(Publication)
                .where(Publication.id.in_(window))
                .options(selectinload(Publication.organisation), selectinload(Publication.field))
            )
        }
        if window
        else {}
    )
    return ListPage([found[i] for i in window if i in found], page, per_page, total)


def matching_order(f: BrowseFilter) -> tuple[list[int], int]:
    """The publication ids of the first MAX_RANKED matches of `f` in its order, and how many
    match (for relevance: the ranked ones, at most MAX_RANKED, as the engine ranks no more)."""
    if f.effective_sort != "relevance" or not f.terms:
        ids = list(
            db.session.scalars(browse_query(f).with_only_columns(Publication.id).limit(MAX_RANKED))
        )
        if len(ids) < MAX_RANKED:
            return ids, len(ids)
        total = db.session.scalar(
            sa.select(sa.func.count()).select_from(Publication).where(*_conditions(f, now=utcnow()))
        )
        return ids, int(total or 0)
    id_column = Publication.result_id if f.kind == "result" else Publication.need_id
    rows = db.session.execute(
        browse_query(f).with_only_columns(Publication.id, id_column).limit(MAX_RANKED)
    ).all()
    scores = matching.search_scores(f.kind, f.q, limit=MAX_RANKED)
    order = {pub_id: i for i, (pub_id, _listing) in enumerate(rows)}
    ranked = sorted(rows, key=lambda r: (-scores.get(r[1], 0.0), order[r[0]]))
    return [pub_id for pub_id, _listing in ranked], len(rows)


def cached_order(f: BrowseFilter) -> tuple[list[int], int]:
    """matching_order through the shared cache (the facet counts' namespace, invalidated with
    them after every change to the public lists; FACET_TTL bounds an expiry passing)."""
    ids, total = cache.cached(
        FACET_CACHE,
        cache.dumps(["order", f.effective_sort, *_criteria(f)]),
        lambda: matching_order(f),
        FACET_TTL,
    )
    return list(ids), int(total)


# --- facet counts through the shared cache (services/platform/cache.py, docs/deploy.md) -------
FACET_CACHE = "facets"
#: Seconds a cached answer lives. Publishing, changing or withdrawing a listing invalidates the
#: namespace at once (matching.record_change); this bounds what no event announces (a listing's
#: expiry date passing, an organisation renamed) and an invalidation lost while Redis was down.
FACET_TTL = 300


def _criteria(f: BrowseFilter) -> list[Any]:
    """What a cached answer for `f` depends on (its sort aside)."""
    return [f.kind, f.q, f.field, f.stage, f.mode, f.price, f.region, f.org]


def cached_facet_counts(f: BrowseFilter) -> dict[str, list[tuple[Any, int]]]:
    """facet_counts, from Redis when an answer for the same filter is stored (else counted and
    stored); without Redis, or while it is down, facet_counts itself."""
    return cache.cached(
        FACET_CACHE,
        cache.dumps(_criteria(f)),
        lambda: facet_counts(f),
        FACET_TTL,
        encode=_encode_facets,
        decode=_decode_facets,
    )


def _encode_facets(facets: dict[str, list[tuple[Any, int]]]) -> dict[str, Any]:
    # A TechField row is stored as its id and read back from the session.
    return {**facets, "field": [(tech_field.id, n) for tech_field, n in facets["field"]]}


def _decode_facets(stored: dict[str, Any]) -> dict[str, list[tuple[Any, int]]]:
    ids = [field_id for field_id, _n in stored["field"]]
    fields = (
        {t.id: t for t in db.session.scalars(sa.select(TechField).where(TechField.id.in_(ids)))}
        if ids
        else {}
    )
    return {
        **stored,
        "field": [(fields[i], n) for i, n in stored["field"] if i in fields],
    }
