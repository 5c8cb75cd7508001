"""The only adapter between the database and the recommender: index life cycle and queries.

Every worker process holds one fitted engine. A full rebuild (CLI or job) publishes a versioned
artifact to the storage (services/platform/storage.py: the instance folder by default, a shared
folder or S3 in deployment) and bumps `RecommenderState.generation`; workers notice the new
generation on their next check, fetch it into their host's cache and swap it in (memory-mapped).
Between rebuilds, publishing or removing a listing appends an `IndexChange`; workers replay the
changes they have not seen into the engine's side index (frozen vocabulary, no refit), so a new
listing is matchable at once.
Words first seen in those listings are unknown to the vocabulary until the next fit, so
recording a change queues one rebuild job when enough has been published since the last fit
(`index_is_stale`: 10 % of the fitted documents, at least one).
A missing or corrupt artifact falls back to the last good engine, or to an in-process fit, and
queues one rebuild.

Published expert profiles are the third kind of document ("expert", `document_for_expert`):
a need is matched against results and experts, an expert against needs (and through them the
open challenges hanging on those needs).
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    Challenge,
    ExpertProfile,
    ExpertStatus,
    IndexChange,
    Job,
    JobStatus,
    Listing,
    Need,
    NeedStatus,
    Organisation,
    Publication,
    RecommenderState,
    Result,
    Visibility,
    listing_model,
)
from matchmaker.models.base import utcnow
from matchmaker.recommender import ArtifactError, Document, Match, Recommender, floor, normalise
from matchmaker.services.platform import jobs, kv, storage
from matchmaker.services.platform.cache import invalidate_after_commit
from matchmaker.services.talent import expert_public

log = logging.getLogger("matchmaker.matching")
OTHER_SIDE = {"need": "result", "result": "need"}
REPLAY_BATCH = 5000
_L = TypeVar("_L", bound="Result | Need")
_R = TypeVar("_R", "Recommendation", "ExpertRecommendation")


def doc_id(kind: str, listing_id: int) -> str:
    """The engine's id of a listing."""
    return f"{kind}:{listing_id}"


def parse_doc_id(value: str) -> tuple[str, int]:
    """(kind, listing id) of an engine id."""
    kind, _sep, raw = value.partition(":")
    return kind, int(raw)


# --- documents ----------------------------------------------------------------------------------
def document_for_publication(pub: Publication) -> Document:
    """The public version of a listing as the engine sees it."""
    data = pub.data or {}
    body = "\n".join(
        part
        for part in (
            pub.summary,
            data.get("description", ""),
            data.get("targets", ""),
            data.get("existing_base", ""),
            data.get("team", ""),
        )
        if part
    )
    return Document(
        id=doc_id(pub.kind, pub.listing_id),
        kind=pub.kind,
        title=pub.title,
        body=body,
        keywords=tuple(k for k in (pub.keywords or "").split(",") if k),
        field=pub.field.name if pub.field else None,
        region=pub.region,
        trl=pub.trl,
        amount=float(pub.amount_wan) if pub.amount_wan is not None else None,
        updated_at=pub.approved_at.timestamp(),
    )


def document_for_listing(listing: Listing) -> Document:
    """A listing's working copy (drafts, edits under review) as a query for the engine."""
    parts = [listing.summary, listing.description]
    amount: Any
    if isinstance(listing, Need):
        parts += [listing.targets, listing.existing_base]
        amount = float(listing.budget_wan) if listing.budget_wan else None
    else:
        parts.append(listing.team)
        amount = float(listing.price_wan) if listing.price_wan is not None else None
    return Document(
        id=doc_id(listing.KIND, listing.id) + ":draft",
        kind=listing.KIND,
        title=listing.title,
        body="\n".join(p for p in parts if p),
        keywords=tuple(listing.keyword_list),
        field=listing.field.name if listing.field else None,
        region=listing.region,
        trl=getattr(listing, "trl", None),
        amount=amount,
        updated_at=(listing.updated_at or utcnow()).timestamp(),
    )


def _visible_publications() -> sa.Select:
    now = utcnow()
    return (
        sa.select(Publication)
        .where(sa.or_(Publication.expires_at.is_(None), Publication.expires_at > now))
        # the cards show each one's field and organisation: loaded with the list, not per card
        .options(selectinload(Publication.field), selectinload(Publication.organisation))
        .order_by(Publication.id)
    )


# --- the change log -----------------------------------------------------------------------------
def record_change(kind: str, listing_id: int, op: str) -> None:
    """Note that a listing entered/changed ('upsert') or left ('remove') the public lists, and
    queue a rebuild when the index has grown stale (`index_is_stale`), in the same transaction."""
    db.session.add(IndexChange(kind=kind, listing_id=listing_id, op=op))
    if op == "upsert":
        queue_rebuild_if_stale()
    # --- Redis (kv.py, cache.py): tell every worker after the commit; forget cached facet counts
    kv.bump_after_commit(INDEX_STAMP)
    invalidate_after_commit("pages")  # web/page_cache.py: visitors' kept pages
    if kind != EXPERT:
        invalidate_after_commit("facets")  # market/browsing.py FACET_CACHE


# --- index freshness ----------------------------------------------------------------------------
REBUILD_JOB = "recommender.rebuild"
#: Listings published or changed since the last fit, as a share of the fitted ones, at which
#: the index is refit: their words are unknown to the frozen vocabulary until then.
STALE_SHARE = 0.10


def rebuild_threshold(fitted: int) -> int:
    """How many listings published or changed since the last fit make the index stale:
    10 % of the fitted documents (STALE_SHARE), at least one. So an index fit on an empty
    platform (or none at all) is refit after the first publication, one of 200 after 20."""
    return max(1, math.ceil(STALE_SHARE * fitted))


def changed_since_fit() -> int:
    """Distinct listings published or changed since the change the last fit covers."""
    state = db.session.get(RecommenderState, 1)
    since = state.change_id if state is not None and state.artifact else 0
    keys = (
        sa.select(IndexChange.kind, IndexChange.listing_id)
        .where(IndexChange.id > since, IndexChange.op == "upsert")
        .distinct()
        .subquery()
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(keys)) or 0


def index_is_stale() -> bool:
    """Whether enough has been published since the last fit (rebuild_threshold of the
    documents it was fit on; 0 without an artifact) to refit the vocabulary."""
    state = db.session.get(RecommenderState, 1)
    fitted = state.documents if state is not None and state.artifact else 0
    return changed_since_fit() >= rebuild_threshold(fitted)


def rebuild_pending() -> bool:
    """Whether a rebuild job is queued or running."""
    return (
        db.session.scalar(
            sa.select(Job.id)
            .where(Job.name == REBUILD_JOB, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
            .limit(1)
        )
        is not None
    )


def queue_rebuild_if_stale() -> Job | None:
    """Queue one automatic rebuild (never a second while one is queued or running) when the
    index is stale; the job is written in the caller's transaction. Returns it, or None."""
    if rebuild_pending() or not index_is_stale():
        return None
    log.info("recommender.rebuild_queued", extra={"changed": changed_since_fit()})
    return jobs.enqueue(REBUILD_JOB, auto=True)


# --- artifacts and rebuilds ---------------------------------------------------------------------
def artifact_dir() -> Path:
    """This host's cache of index artifacts (`RECOMMENDER_CACHE_DIR`, default
    `<instance>/recommender`, never /tmp); the storage holds the published ones."""
    configured = current_app.config.get("RECOMMENDER_CACHE_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "recommender"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _state() -> RecommenderState:
    state = db.session.get(RecommenderState, 1)
    if state is None:
        state = RecommenderState(id=1, generation=0, change_id=0, documents=0)
        db.session.add(state)
        db.session.flush()
    return state


def _last_change_id() -> int:
    return db.session.scalar(sa.select(sa.func.max(IndexChange.id))) or 0


def fit_from_database(progress: Any = None) -> tuple[Recommender, int]:
    """Fit a fresh engine on every visible publication and public expert profile; returns it
    and the change id it covers."""
    change_id = _last_change_id()
    pubs = db.session.scalars(_visible_publications()).all()
    docs = []
    for i, pub in enumerate(pubs, 1):
        docs.append(document_for_publication(pub))
        if progress is not None:
            progress(i, len(pubs))
    docs += expert_documents(public_experts())
    return Recommender().fit(docs), change_id


def rebuild_index(*, progress: Any = None) -> RecommenderState:
    """Fit, write a new versioned artifact atomically, and bump the generation (caller commits)."""
    started = time.perf_counter()
    model, change_id = fit_from_database(progress)
    state = _state()
    previous = state.artifact
    generation = state.generation + 1
    name = _publish_artifact(model, generation)
    state.generation = generation
    state.artifact = name
    state.change_id = change_id
    state.documents = len(model)
    state.built_at = utcnow()
    state.build_seconds = round(time.perf_counter() - started, 3)
    db.session.flush()
    kv.bump_after_commit(INDEX_STAMP)  # Redis: every worker looks at the database after the commit
    _prune_artifacts(keep={name, previous or name}, below=generation - 1)
    log.info("recommender.rebuilt", extra={"generation": generation, "documents": len(model)})
    return state


# Artifacts are published to the storage (services/platform/storage.py) as
# `recommender/index-<generation>-<sha256 prefix>.mmr` with a `.sha256` sidecar: a name is never
# reused, so a host's cached copy is always the one the database names. Every host loads the
# generation the database names from its cache (`artifact_dir`), downloading it first if needed.
ARTIFACT_PREFIX = "recommender/"
_GENERATION = re.compile(r"index-(\d+)(?:-[0-9a-f]+)?\.mmr(?:\.sha256)?")


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _publish_artifact(model: Recommender, generation: int) -> str:
    """Save the fitted model into this host's cache and publish it (artifact, then its checksum
    sidecar) to the storage; returns the artifact's name. Before the commit: a rebuild that
    rolls back leaves an unused artifact, pruned by a later rebuild."""
    cache = artifact_dir()
    building = cache / f".building-{uuid.uuid4().hex}.mmr"
    try:
        model.save(building)
        checksum = _sha256_of(building)
        name = f"index-{generation:06d}-{checksum[:12]}.mmr"
        os.replace(building, cache / name)
    finally:
        building.unlink(missing_ok=True)
    store = storage.get()
    store.put(ARTIFACT_PREFIX + name, cache / name)
    store.put(ARTIFACT_PREFIX + name + ".sha256", (checksum + "\n").encode())
    return name


def _prune_artifacts(*, keep: set[str], below: int) -> None:
    """Remove artifacts (and sidecars) of generations before `below` except `keep`, from this
    host's cache and from the storage (never a newer one: another rebuild may be writing it)."""

    def stale(name: str) -> bool:
        found = _GENERATION.fullmatch(name)
        return (
            found is not None
            and int(found.group(1)) < below
            and name.removesuffix(".sha256") not in keep
        )

    for path in artifact_dir().iterdir():
        if stale(path.name):
            path.unlink(missing_ok=True)
    store = storage.get()
    for key in list(store.keys(ARTIFACT_PREFIX + "index-")):
        if stale(key[len(ARTIFACT_PREFIX) :]):
            store.delete(key)


def _fetch_artifact(name: str) -> tuple[Path, bool]:
    """The artifact `name` in this host's cache, downloaded from the storage when missing and
    checked against its published `.sha256` sidecar (ArtifactError and no copy kept when it does
    not match); with whether the cached file is the storage's own (a folder storage)."""
    store = storage.get()
    key = ARTIFACT_PREFIX + name
    cached = artifact_dir() / name
    shared = store.local_path(key) == cached
    if shared or cached.is_file():
        return cached, shared  # checked when it arrived; `Recommender.load` checks its payload
    store.download(key, cached)  # atomic; FileNotFoundError when it was never published
    if store.exists(key + ".sha256"):  # an artifact without one predates publishing
        expected = store.read(key + ".sha256").decode("ascii").strip()
        if _sha256_of(cached) != expected:
            cached.unlink(missing_ok=True)
            raise ArtifactError(f"artifact {name} does not match its published checksum")
    return cached, shared


def _load_artifact(name: str) -> Recommender:
    """Load (memory-map) an artifact from this host's cache; a damaged cached copy is fetched
    again once. ArtifactError, OSError or StorageError when it cannot be used."""
    path, shared = _fetch_artifact(name)
    try:
        return Recommender.load(path)
    except ArtifactError:
        if shared:
            raise
        path.unlink(missing_ok=True)  # damaged on this host's disk: the storage may be fine
    path, _ = _fetch_artifact(name)
    return Recommender.load(path)


def _queue_rebuild_after_failure() -> None:
    """One rebuild job for an unusable artifact, unless one that will run is queued or running
    (an automatic one skips itself when the index looks fresh, so it does not count)."""
    pending = db.session.scalars(
        sa.select(Job.args).where(
            Job.name == REBUILD_JOB, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])
        )
    ).all()
    if any(not (args or {}).get("auto") for args in pending):
        return
    job = jobs.enqueue(REBUILD_JOB)
    log.warning("recommender.rebuild_queued", extra={"reason": "artifact", "job": job.id})


# --- the per-process engine ---------------------------------------------------------------------
@dataclass
class _Holder:
    model: Recommender | None = None
    generation: int = -1
    change_id: int = 0
    checked: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)
    stamp: int | None = None  # the Redis index stamp at the last database check (kv.read_stamp)
    verified: float = float("-inf")  # when the database was last read
    unusable: str | None = None  # the artifact this worker could not load (served the last good)


#: The Redis stamp every change to the index bumps after its commit (record_change,
#: rebuild_index); a worker whose stamp is unchanged skips the database check.
INDEX_STAMP = "recommender.index"
#: With Redis, a worker still reads the database this often (a notification lost while Redis
#: was down is noticed within this time).
VERIFY_SECONDS = 60.0


def _holder() -> _Holder:
    return current_app.extensions.setdefault("matchmaker_engine", _Holder())


def engine() -> Recommender:
    """This worker's engine, brought up to date with the database (at most once a second)."""
    holder = _holder()
    interval = current_app.config.get("RECOMMENDER_CHECK_SECONDS", 1.0)
    with holder.lock:
        now = time.monotonic()
        if holder.model is not None and now - holder.checked < interval:
            return holder.model
        holder.checked = now
        # --- Redis change notifications: one GET instead of the database while nothing changed
        stamp = kv.read_stamp(INDEX_STAMP)  # None: no Redis, or Redis down (read the database)
        if (
            holder.model is not None
            and stamp is not None
            and stamp == holder.stamp
            and now - holder.verified < VERIFY_SECONDS
        ):
            return holder.model
        # --- end of Redis change notifications
        state = db.session.get(RecommenderState, 1)
        generation = state.generation if state is not None else 0
        if holder.model is None or generation != holder.generation:
            _swap_in(holder, state)
        _replay(holder)
        holder.stamp, holder.verified = stamp, now  # Redis: what this database check covers
        assert holder.model is not None
        return holder.model


def _swap_in(holder: _Holder, state: RecommenderState | None) -> None:
    if state is not None and state.artifact:
        try:
            holder.model = _load_artifact(state.artifact)
        except (ArtifactError, OSError, storage.StorageError) as error:
            log.error(
                "recommender.artifact_unusable",
                extra={"artifact": state.artifact, "error": str(error)},
            )
            holder.unusable = state.artifact
            _queue_rebuild_after_failure()
        else:
            holder.generation, holder.change_id = state.generation, state.change_id
            holder.unusable = None
            return
    if holder.model is None:
        # Nothing usable on disk: fit in-process, so pages never fail for want of an index.
        holder.model, holder.change_id = fit_from_database()
    # Keep serving what we have (the last good engine); the change log brings it up to date.
    holder.generation = state.generation if state is not None else 0


def loaded_index() -> dict[str, Any]:
    """What this worker serves, for /healthz: the generation it has swapped in (None before its
    first match) and the artifact it could not load, if any (it then serves the last good one)."""
    holder = _holder()
    return {
        "loaded_generation": holder.generation if holder.model is not None else None,
        "unusable_artifact": holder.unusable,
    }


def _replay(holder: _Holder) -> None:
    assert holder.model is not None
    while True:
        changes = db.session.scalars(
            sa.select(IndexChange)
            .where(IndexChange.id > holder.change_id)
            .order_by(IndexChange.id)
            .limit(REPLAY_BATCH)
        ).all()
        if not changes:
            return
        latest: dict[tuple[str, int], str] = {}
        for change in changes:
            latest[(change.kind, change.listing_id)] = change.op
        current = _publications_by_key([k for k in latest if k[0] != EXPERT])
        experts = _public_experts_by_id([i for kind, i in latest if kind == EXPERT])
        for key, op in latest.items():
            document = None
            if op == "upsert" and key[0] == EXPERT and key[1] in experts:
                document = expert_documents([experts[key[1]]])[0]
            elif op == "upsert" and key in current:
                document = document_for_publication(current[key])
            if document is not None:
                holder.model.add(document)
            else:
                holder.model.remove(doc_id(*key))
        holder.change_id = changes[-1].id


def _publications_by_key(keys: list[tuple[str, int]]) -> dict[tuple[str, int], Publication]:
    if not keys:
        return {}
    result_ids = [i for k, i in keys if k == "result"]
    need_ids = [i for k, i in keys if k == "need"]
    stmt = _visible_publications().where(
        sa.or_(Publication.result_id.in_(result_ids), Publication.need_id.in_(need_ids))
    )
    return {(p.kind, p.listing_id): p for p in db.session.scalars(stmt)}


# --- what a shown match must have, and how it is shown -----------------------------------------
#: The engine score shown as 100. Scores are cosines plus factor contributions; 0.6 is the
#: cosine at which two listings count as near duplicates (`similar_listings`), i.e. they say
#: nearly the same thing. Real matches between a need and a result sit between about 0.1 and 0.5.
FULL_MATCH_SCORE = 0.6
#: Titles of one organisation at least this alike (difflib ratio) are the same item listed twice.
SAME_TITLE_RATIO = 0.9


def match_percent(score: float) -> int:
    """The 0–100 匹配度 shown for an engine score (text cosine plus factors, `Match.score`).

    Linear, 0 for no shared content and 100 at FULL_MATCH_SCORE (as close as two wordings of
    the same listing), capped at 100; a shown match (which passed the relevance floor and
    shares at least one term) is at least 1. The same scale gives each factor's points
    (`Reason.points`), so "文本 +40, 同一技术领域 +8, 价格超出预算 −3" adds up to about 45.
    """
    if score <= 0:
        return 0
    return max(1, min(100, round(100 * score / FULL_MATCH_SCORE)))


def _points(value: float) -> int:
    """A cosine-unit contribution on the 0–100 scale of match_percent (not capped)."""
    return round(100 * value / FULL_MATCH_SCORE)


def percent_of(match: Match) -> int:
    """The 0–100 匹配度 of a match, derived from the parts 为什么推荐 shows: its text points plus
    each factor's points, each rounded first, so the shown parts add up to the shown total
    (clamped to 1–100 for a match with a positive score, like match_percent)."""
    if match.score <= 0:
        return 0
    total = _points(match.text_score) + sum(_points(v) for v in match.factors.values() if v)
    return max(1, min(100, total))


def is_relevant(match: Match) -> bool:
    """Whether a match deserves to be shown anywhere: text score at or above the calibrated
    floor and at least one shared term (or English→Chinese pair). Factors (field, region, ...)
    re-order relevant matches and never make an irrelevant one relevant."""
    return (
        match.text_score > 0
        and match.text_score >= floor.RELEVANCE_FLOOR
        and bool(match.terms or match.pairs)
    )


@dataclass(frozen=True)
class Reason:
    """One re-ranking factor of a shown match, in points of the 0–100 scale (negative = penalty)."""

    factor: str  # field | maturity | region | budget | freshness
    points: int

    @property
    def penalty(self) -> bool:
        """A factor that lowered the match."""
        return self.points < 0


@dataclass(frozen=True)
class Explanation:
    """为什么推荐, in whole words: shared terms, English→Chinese pairs, factors as points."""

    percent: int
    text_points: int
    terms: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    bonuses: tuple[Reason, ...]
    penalties: tuple[Reason, ...]

    @property
    def parts_sum(self) -> int:
        """The shown parts added up (percent, unless clamped to 1–100)."""
        return self.text_points + sum(r.points for r in (*self.bonuses, *self.penalties))


def explain(match: Match, *, max_terms: int = 8) -> Explanation:
    """The display form of a match: terms without those already shown as a pair's Chinese side,
    factors under half a point left out, bonuses largest first, penalties worst first."""
    paired = {zh for _en, zh in match.pairs}
    terms = tuple(t for t in match.terms if t not in paired)[:max_terms]
    reasons = [Reason(k, _points(v)) for k, v in match.factors.items() if v]
    return Explanation(
        percent=percent_of(match),
        text_points=_points(match.text_score),
        terms=terms,
        pairs=tuple(match.pairs)[:max_terms],
        bonuses=tuple(sorted((r for r in reasons if r.points > 0), key=lambda r: -r.points)),
        penalties=tuple(sorted((r for r in reasons if r.points < 0), key=lambda r: r.points)),
    )


# --- queries ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recommendation:
    """A ranked public listing with the engine's explanation (and its collapsed near duplicates)."""

    publication: Publication
    match: Match
    similar: tuple[Recommendation, ...] = ()

    @property
    def factors(self) -> list[tuple[str, float]]:
        """Re-ranking factors that contributed, largest first."""
        return sorted(((k, v) for k, v in self.match.factors.items() if v), key=lambda kv: -kv[1])

    @property
    def percent(self) -> int:
        """The 0–100 匹配度 (percent_of: the sum of the parts 为什么推荐 shows)."""
        return percent_of(self.match)

    @property
    def why(self) -> Explanation:
        """为什么推荐 (computed when a page asks, for the shown matches only)."""
        return explain(self.match)


def _hydrate(matches: list[Match]) -> list[Recommendation]:
    """Attach the public rows, dropping anything no longer public (expired, withdrawn)."""
    keys = [parse_doc_id(m.id) for m in matches if m.id.count(":") == 1]
    pubs = _publications_by_key(keys)
    out = []
    for match in matches:
        if match.id.count(":") != 1:
            continue
        pub = pubs.get(parse_doc_id(match.id))
        if pub is not None:
            out.append(Recommendation(pub, match))
    return out


def _patent_numbers(pub: Publication) -> set[str]:
    patents = (pub.data or {}).get("patents") or []
    return {
        "".join(str(p.get("number", "")).upper().split())
        for p in patents
        if isinstance(p, dict) and p.get("number")
    }


def _title_key(title: str) -> str:
    return normalise(title or "").replace(" ", "")


def same_item(a: Publication, b: Publication) -> bool:
    """Whether two public listings are the same underlying item: one side, and a shared patent
    number, or near-identical titles (SAME_TITLE_RATIO) from one organisation."""
    if a.kind != b.kind:
        return False
    if _patent_numbers(a) & _patent_numbers(b):
        return True
    if a.organisation_id != b.organisation_id:
        return False
    ta, tb = _title_key(a.title), _title_key(b.title)
    return ta == tb or SequenceMatcher(None, ta, tb).ratio() >= SAME_TITLE_RATIO


def _collapse(recs: Sequence[_R], same: Callable[[_R, _R], bool]) -> list[_R]:
    """Keep the best of each group that `same` puts together (input best first); the others
    ride along in its `similar` ("+N 相似")."""
    groups: list[list[_R]] = []
    for rec in recs:
        for group in groups:
            if same(group[0], rec):
                group.append(rec)
                break
        else:
            groups.append([rec])
    return [replace(g[0], similar=tuple(g[0].similar) + tuple(g[1:])) for g in groups]


def collapse_near_duplicates(recs: Sequence[Recommendation]) -> list[Recommendation]:
    """Keep the best of each group of near duplicates (input best first); the others ride along
    in its `similar` ("+N 相似")."""
    return _collapse(recs, lambda a, b: same_item(a.publication, b.publication))


def recommend_for(listing: Listing, *, k: int = 5) -> list[Recommendation]:
    """The other side's best public listings for a listing (its public version when it has one):
    only relevant matches (is_relevant, no padding), near duplicates collapsed; may be empty."""
    model = engine()
    pub = listing.publication
    # Rank by text (not by id): the explanation needs the query's words and English.
    query = document_for_publication(pub) if pub is not None else document_for_listing(listing)
    matches = model.rank(
        query,
        target_kind=OTHER_SIDE[listing.KIND],
        k=2 * k + 5,
        exclude_ids=[doc_id(listing.KIND, listing.id)],
        min_text_score=floor.RELEVANCE_FLOOR,
    )
    recs = _hydrate([m for m in matches if is_relevant(m)])
    return collapse_near_duplicates(recs)[:k]


def recommend_for_organisation(
    *, organisation_id: int, kind: str, k: int = 6, per_listing: int = 4
) -> list[tuple[Listing, Recommendation]]:
    """为你推荐: the best relevant matches for an organisation's live listings, best first,
    each once, near duplicates collapsed (empty when nothing is good enough)."""
    mine = _live_listings(listing_model(kind), organisation_id)
    seen: dict[str, tuple[Listing, Recommendation]] = {}
    for listing in mine:
        for rec in recommend_for(listing, k=per_listing):
            current = seen.get(rec.match.id)
            if current is None or rec.match.score > current[1].match.score:
                seen[rec.match.id] = (listing, rec)
    ranked = sorted(seen.values(), key=lambda pair: (-pair[1].match.score, pair[1].match.id))
    source_of = {rec.match.id: listing for listing, rec in ranked}
    collapsed = collapse_near_duplicates([rec for _listing, rec in ranked])
    return [(source_of[rec.match.id], rec) for rec in collapsed[:k]]


def _live_listings(model: type[_L], organisation_id: int) -> Sequence[_L]:
    """An organisation's ten most recently updated live listings of one kind."""
    return db.session.scalars(
        sa.select(model)
        .where(
            model.organisation_id == organisation_id,
            model.status.in_([*model.PUBLIC_STATES, "pending_review", "draft"]),
        )
        .order_by(model.updated_at.desc())
        .limit(10)
    ).all()


# --- organisations through the engine ------------------------------------------------------------
#: How many of the other side's listings are read when ranking organisations for a listing.
ORG_RANK_DEPTH = 200


@dataclass(frozen=True)
class OrgMatch:
    """An organisation ranked by the engine: its best match and the listings behind it."""

    organisation: Organisation
    match: Match
    publications: tuple[Publication, ...] = ()

    @property
    def percent(self) -> int:
        """The 0–100 匹配度 (percent_of: the sum of the parts 为什么推荐 shows)."""
        return percent_of(self.match)

    @property
    def why(self) -> Explanation:
        """为什么推荐: the shared terms of the best match."""
        return explain(self.match)


def rank_organisations(
    listing: Listing, *, kinds: Sequence[str], exclude: Sequence[int] = (), k: int = 10
) -> list[OrgMatch]:
    """Organisations of `kinds` ranked by the engine over their public listings of the other
    side against `listing`: each organisation by its best relevant listing (is_relevant, so an
    organisation with nothing above the floor is absent), with that listing's reasons."""
    model = engine()
    # Rank by text (not by id): only a query Document gives whole words as shared terms.
    pub = listing.publication
    query = document_for_publication(pub) if pub is not None else document_for_listing(listing)
    matches = model.rank(
        query,
        target_kind=OTHER_SIDE[listing.KIND],
        k=ORG_RANK_DEPTH,
        exclude_ids=[doc_id(listing.KIND, listing.id)],
    )
    by_org: dict[int, list[Recommendation]] = {}
    for rec in _hydrate([m for m in matches if is_relevant(m)]):
        org = rec.publication.organisation
        if org.id in exclude or str(org.kind) not in kinds:
            continue
        by_org.setdefault(org.id, []).append(rec)
    ranked = sorted(by_org.values(), key=lambda recs: (-recs[0].match.score, recs[0].match.id))
    return [
        OrgMatch(
            recs[0].publication.organisation, recs[0].match, tuple(r.publication for r in recs)
        )
        for recs in ranked[:k]
    ]


@dataclass(frozen=True)
class OrgText:
    """What an organisation says of itself besides its listings (the caller decides what may be
    used: for a firm, only what it consented to show)."""

    organisation_id: int
    text: str = ""
    field: str | None = None
    region: str | None = None


def _org_documents(profiles: Sequence[OrgText]) -> list[Document]:
    """Documents of kind "firm": each organisation's own text plus its public listings."""
    ids = [p.organisation_id for p in profiles]
    listed: dict[int, list[Publication]] = {}
    for pub in db.session.scalars(
        _visible_publications().where(Publication.organisation_id.in_(ids))
    ):
        listed.setdefault(pub.organisation_id, []).append(pub)
    docs = []
    for profile in profiles:
        pubs = listed.get(profile.organisation_id, [])
        body = "\n".join(
            part for part in [profile.text, *(f"{p.title}\n{p.summary}" for p in pubs)] if part
        )
        if not body.strip():
            continue
        keywords = tuple(k for p in pubs for k in (p.keywords or "").split(",") if k)
        docs.append(
            Document(
                id=f"firm:{profile.organisation_id}",
                kind="firm",
                title=pubs[0].title if pubs else "",
                body=body,
                keywords=keywords,
                field=profile.field,
                region=profile.region,
            )
        )
    return docs


def _org_engine(profiles: Sequence[OrgText]) -> Recommender | None:
    """An engine over organisation documents, fitted in-process and kept while neither the
    profiles nor the public listings change (a few hundred firms fit in milliseconds)."""
    stamp = db.session.execute(
        sa.select(
            sa.func.count(Publication.id),
            sa.func.max(Publication.id),
            sa.func.max(Publication.approved_at),
        )
    ).one()
    key = (tuple(profiles), tuple(stamp))
    cache = current_app.extensions.setdefault("matchmaker_org_engine", {})
    if cache.get("key") != key:
        docs = _org_documents(profiles)
        cache["key"], cache["model"] = key, Recommender().fit(docs) if docs else None
    return cache["model"]


def similar_organisations(
    organisation_id: int, profiles: Sequence[OrgText], *, k: int = 5
) -> list[tuple[int, Match]]:
    """Organisations among `profiles` most like `organisation_id` (which must be among them) by
    the engine over their own text and public listings; relevant matches only (is_relevant)."""
    model = _org_engine(profiles)
    key = f"firm:{organisation_id}"
    if model is None or key not in model:
        return []
    # Rank by the firm's own Document (not its id), so the shared terms are whole words.
    own = [p for p in profiles if p.organisation_id == organisation_id]
    docs = _org_documents(own)
    if not docs:
        return []
    found = []
    for match in model.rank(docs[0], target_kind="firm", k=2 * k + 5, exclude_ids=[key]):
        if is_relevant(match):
            found.append((int(match.id.partition(":")[2]), match))
    return found[:k]


def similar_listings(
    listing: Listing, *, k: int = 5, threshold: float = 0.6
) -> list[Recommendation]:
    """Possible duplicates of a listing among the public listings of the same side."""
    matches = engine().similar(document_for_listing(listing), k=k + 1, threshold=threshold)
    own = doc_id(listing.KIND, listing.id)
    return [r for r in _hydrate(matches) if r.match.id != own][:k]


def search_scores(kind: str, query: str, *, limit: int = 2000) -> dict[int, float]:
    """The engine's text score of each public listing of a kind for a free-text query."""
    # Only the scores are used (the order of the list): no explanations for 2,000 matches.
    matches = engine().search(query, kind=kind, k=limit, explain=False)
    scores = {}
    for match in matches:
        if match.id.count(":") == 1:
            match_kind, listing_id = parse_doc_id(match.id)
            if match_kind == kind:
                scores[listing_id] = match.score
    return scores


def index_status() -> dict[str, Any]:
    """What the admin dashboard shows about the index."""
    state = db.session.get(RecommenderState, 1)
    holder = _holder()
    return {
        "generation": state.generation if state else 0,
        "documents": state.documents if state else 0,
        "built_at": state.built_at if state else None,
        "build_seconds": state.build_seconds if state else None,
        "pending_changes": (_last_change_id() - (state.change_id if state else 0)),
        "worker_generation": holder.generation,
        "worker_documents": len(holder.model) if holder.model is not None else None,
    }


# --- experts: the third kind of document ---------------------------------------------------------
EXPERT = "expert"


def public_experts(ids: Sequence[int] | None = None) -> list[ExpertProfile]:
    """Every profile on the public pages now (expert_public: published, or its approved
    version kept while an edit waits for review), or those of `ids`, by id."""
    stmt = (
        sa.select(ExpertProfile)
        .where(expert_public.public_condition())
        .options(selectinload(ExpertProfile.results), selectinload(ExpertProfile.organisation))
        .order_by(ExpertProfile.id)
    )
    if ids is not None:
        stmt = stmt.where(ExpertProfile.id.in_(list(ids)))
    return list(db.session.scalars(stmt))


def _public_experts_by_id(ids: Sequence[int]) -> dict[int, ExpertProfile]:
    return {p.id: p for p in public_experts(ids)} if ids else {}


def expert_documents(profiles: Sequence[ExpertProfile]) -> list[Document]:
    """Profiles as the engine sees them, in their public version (`expert_public.public_view`:
    the approved snapshot while an edit waits for review, never the unreviewed text): research
    directions as the title, keywords, the biography and the public titles of the results they
    lead as the body, the field and the organisation's region. The name, 职称 and unit are not
    matching text."""
    views = [expert_public.public_view(p) for p in profiles]
    result_ids = {r.id for v in views for r in v.results}
    titles: dict[int, str] = {}
    if result_ids:
        pubs = _visible_publications().where(Publication.result_id.in_(result_ids))
        titles = {p.listing_id: p.title for p in db.session.scalars(pubs)}
    docs = []
    for profile, view in zip(profiles, views, strict=True):
        led = [titles[r.id] for r in view.results if r.id in titles]
        stamp = profile.reviewed_at or profile.published_at or profile.updated_at or utcnow()
        docs.append(
            Document(
                id=doc_id(EXPERT, profile.id),
                kind=EXPERT,
                title=view.directions,
                body="\n".join(part for part in (view.biography, *led) if part),
                keywords=tuple(view.keyword_list),
                field=view.field.name if view.field else None,
                region=profile.organisation.region if profile.organisation else None,
                updated_at=stamp.timestamp(),
            )
        )
    return docs


def document_for_expert(profile: ExpertProfile) -> Document:
    """One profile as the engine sees it (see expert_documents)."""
    return expert_documents([profile])[0]


def record_expert_change(profile: ExpertProfile) -> None:
    """Note a step or edit of a profile in the change log: an upsert while it is public
    (approved, edited while published), else a removal (withdrawn, expired, rejected)."""
    record_change(EXPERT, profile.id, "upsert" if expert_public.is_public(profile) else "remove")


@dataclass(frozen=True)
class ExpertRecommendation:
    """A ranked public profile with the engine's explanation (and the same person listed again)."""

    profile: ExpertProfile
    match: Match
    similar: tuple[ExpertRecommendation, ...] = ()

    @property
    def view(self) -> expert_public.PublicExpert:
        """What the card shows: the public version (name, 职称, unit, organisation)."""
        return expert_public.public_view(self.profile)

    @property
    def percent(self) -> int:
        """The 0–100 匹配度 (percent_of)."""
        return percent_of(self.match)

    @property
    def why(self) -> Explanation:
        """为什么推荐."""
        return explain(self.match)


def same_expert(a: ExpertProfile, b: ExpertProfile) -> bool:
    """Whether two profiles are one person listed twice: the same name, and the same
    organisation, a shared result, or near-identical research directions."""
    va, vb = expert_public.public_view(a), expert_public.public_view(b)
    if _title_key(va.name) != _title_key(vb.name):
        return False
    if a.organisation_id == b.organisation_id or set(va.result_ids) & set(vb.result_ids):
        return True
    da, dbb = _title_key(va.directions), _title_key(vb.directions)
    return bool(da) and SequenceMatcher(None, da, dbb).ratio() >= SAME_TITLE_RATIO


def _hydrate_experts(matches: list[Match]) -> list[ExpertRecommendation]:
    """Attach the public profiles, dropping any no longer public."""
    ids = [parse_doc_id(m.id)[1] for m in matches if m.kind == EXPERT]
    profiles = _public_experts_by_id(ids)
    out = []
    for match in matches:
        if match.kind != EXPERT:
            continue
        profile = profiles.get(parse_doc_id(match.id)[1])
        if profile is not None:
            out.append(ExpertRecommendation(profile, match))
    return out


def recommend_experts_for(need: Need, *, k: int = 5) -> list[ExpertRecommendation]:
    """推荐专家 for a need (its public version when it has one): public profiles of other
    organisations, relevant matches only (is_relevant), one person once; may be empty."""
    pub = need.publication
    query = document_for_publication(pub) if pub is not None else document_for_listing(need)
    own = db.session.scalars(
        sa.select(ExpertProfile.id).where(ExpertProfile.organisation_id == need.organisation_id)
    ).all()
    matches = engine().rank(
        query,
        target_kind=EXPERT,
        k=2 * k + 5,
        exclude_ids=[doc_id(EXPERT, i) for i in own],
        min_text_score=floor.RELEVANCE_FLOOR,
    )
    recs = _hydrate_experts([m for m in matches if is_relevant(m)])
    return _collapse(recs, lambda a, b: same_expert(a.profile, b.profile))[:k]


def recommend_experts_for_organisation(
    *, organisation_id: int, k: int = 6, per_need: int = 4
) -> list[tuple[Need, ExpertRecommendation]]:
    """推荐专家 on an enterprise's dashboard: the best experts for its open needs, best first,
    each person once, with the need they match (empty when nothing is good enough)."""
    needs = db.session.scalars(
        sa.select(Need)
        .where(Need.organisation_id == organisation_id, Need.status.in_(Need.PUBLIC_STATES))
        .order_by(Need.updated_at.desc(), Need.id.desc())
        .limit(10)
    ).all()
    seen: dict[str, tuple[Need, ExpertRecommendation]] = {}
    for need in needs:
        for rec in recommend_experts_for(need, k=per_need):
            current = seen.get(rec.match.id)
            if current is None or rec.match.score > current[1].match.score:
                seen[rec.match.id] = (need, rec)
    ranked = sorted(seen.values(), key=lambda pair: (-pair[1].match.score, pair[1].match.id))
    source_of = {rec.match.id: need for need, rec in ranked}
    collapsed = _collapse(
        [rec for _need, rec in ranked], lambda a, b: same_expert(a.profile, b.profile)
    )
    return [(source_of[rec.match.id], rec) for rec in collapsed[:k]]


@dataclass(frozen=True)
class ChallengeRecommendation:
    """An open public challenge recommended through the need it hangs on."""

    challenge: Challenge
    recommendation: Recommendation

    @property
    def percent(self) -> int:
        """The need's 匹配度."""
        return self.recommendation.percent

    @property
    def why(self) -> Explanation:
        """为什么推荐 (the need's shared terms)."""
        return self.recommendation.why


@dataclass(frozen=True)
class ExpertOpportunities:
    """What an expert is recommended: public needs, and open public challenges."""

    needs: list[Recommendation] = field(default_factory=list)
    challenges: list[ChallengeRecommendation] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.needs or self.challenges)


def recommend_for_expert(profile: ExpertProfile, *, k: int = 5) -> ExpertOpportunities:
    """The needs (of other organisations) and the open public challenges on needs that match a
    profile (its public version, or the working copy of one not public yet): relevant matches
    only, near duplicates collapsed; each need is listed once, as its challenge when it has one."""
    own = db.session.scalars(
        sa.select(Publication.need_id).where(
            Publication.kind == "need", Publication.organisation_id == profile.organisation_id
        )
    ).all()
    matches = engine().rank(
        document_for_expert(profile),
        target_kind="need",
        k=3 * k + 5,
        exclude_ids=[doc_id("need", i) for i in own if i is not None],
        min_text_score=floor.RELEVANCE_FLOOR,
    )
    recs = collapse_near_duplicates(_hydrate([m for m in matches if is_relevant(m)]))
    need_ids = [rec.publication.listing_id for rec in recs]
    open_challenges = (
        {
            c.need_id: c
            for c in db.session.scalars(
                sa.select(Challenge)
                .join(Need, Challenge.need_id == Need.id)
                .where(
                    Challenge.need_id.in_(need_ids),
                    Challenge.visibility == Visibility.PUBLIC,
                    Need.status == NeedStatus.OPEN,
                )
            )
        }
        if need_ids
        else {}
    )
    return ExpertOpportunities(
        needs=[r for r in recs if r.publication.listing_id not in open_challenges][:k],
        challenges=[
            ChallengeRecommendation(open_challenges[r.publication.listing_id], r)
            for r in recs
            if r.publication.listing_id in open_challenges
        ][:k],
    )


def recommend_for_researcher(
    user_id: int, *, k: int = 5
) -> list[tuple[ExpertProfile, ExpertOpportunities]]:
    """A researcher's own profiles (those naming their account, `ExpertProfile.user_id`, and
    not withdrawn), each with the needs and challenges recommended to it."""
    profiles = db.session.scalars(
        sa.select(ExpertProfile)
        .where(ExpertProfile.user_id == user_id, ExpertProfile.status != ExpertStatus.WITHDRAWN)
        .order_by(ExpertProfile.id)
        .limit(3)
    ).all()
    return [(p, recommend_for_expert(p, k=k)) for p in profiles]
