"""The only adapter between the database and the recommender: index life cycle and queries.

Every worker process holds one fitted engine. A full rebuild (CLI or job) writes a versioned
artifact to the instance folder and bumps `RecommenderState.generation`; workers notice the
new generation on their next check and swap it in. Between rebuilds, publishing or removing a
listing appends an `IndexChange`; workers replay the changes they have not seen into the
engine's side index (frozen vocabulary, no refit), so a new listing is matchable at once.
A missing or corrupt artifact falls back to the last good engine, or to an in-process fit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from matchmaker.extensions import db
from matchmaker.models import (
    IndexChange,
    Listing,
    Need,
    Publication,
    RecommenderState,
    Result,
    listing_model,
)
from matchmaker.models.base import utcnow
from matchmaker.recommender import ArtifactError, Document, Match, Recommender

log = logging.getLogger("matchmaker.matching")
OTHER_SIDE = {"need": "result", "result": "need"}
KEEP_ARTIFACTS = 2
REPLAY_BATCH = 5000
_L = TypeVar("_L", bound="Result | Need")


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
        .options(selectinload(Publication.field))
        .order_by(Publication.id)
    )


# --- the change log -----------------------------------------------------------------------------
def record_change(kind: str, listing_id: int, op: str) -> None:
    """Note that a listing entered/changed ('upsert') or left ('remove') the public lists."""
    db.session.add(IndexChange(kind=kind, listing_id=listing_id, op=op))


# --- artifacts and rebuilds ---------------------------------------------------------------------
def artifact_dir() -> Path:
    """Where index artifacts are kept: the instance folder (never /tmp)."""
    path = Path(current_app.instance_path) / "recommender"
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
    """Fit a fresh engine on every visible publication; returns it and the change id it covers."""
    change_id = _last_change_id()
    pubs = db.session.scalars(_visible_publications()).all()
    docs = []
    for i, pub in enumerate(pubs, 1):
        docs.append(document_for_publication(pub))
        if progress is not None:
            progress(i, len(pubs))
    return Recommender().fit(docs), change_id


def rebuild_index(*, progress: Any = None) -> RecommenderState:
    """Fit, write a new versioned artifact atomically, and bump the generation (caller commits)."""
    started = time.perf_counter()
    model, change_id = fit_from_database(progress)
    state = _state()
    generation = state.generation + 1
    name = f"index-{generation:06d}.mmr"
    model.save(artifact_dir() / name)
    state.generation = generation
    state.artifact = name
    state.change_id = change_id
    state.documents = len(model)
    state.built_at = utcnow()
    state.build_seconds = round(time.perf_counter() - started, 3)
    db.session.flush()
    _prune_artifacts(keep={name})
    log.info("recommender.rebuilt", extra={"generation": generation, "documents": len(model)})
    return state


def _prune_artifacts(*, keep: set[str]) -> None:
    files = sorted(artifact_dir().glob("index-*.mmr"), reverse=True)
    for stale in files[KEEP_ARTIFACTS:]:
        if stale.name not in keep:
            stale.unlink(missing_ok=True)


# --- the per-process engine ---------------------------------------------------------------------
@dataclass
class _Holder:
    model: Recommender | None = None
    generation: int = -1
    change_id: int = 0
    checked: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


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
        state = db.session.get(RecommenderState, 1)
        generation = state.generation if state is not None else 0
        if holder.model is None or generation != holder.generation:
            _swap_in(holder, state)
        _replay(holder)
        assert holder.model is not None
        return holder.model


def _swap_in(holder: _Holder, state: RecommenderState | None) -> None:
    if state is not None and state.artifact:
        try:
            holder.model = Recommender.load(artifact_dir() / state.artifact)
        except (ArtifactError, OSError) as error:
            log.error(
                "recommender.artifact_unusable",
                extra={"artifact": state.artifact, "error": str(error)},
            )
        else:
            holder.generation, holder.change_id = state.generation, state.change_id
            return
    if holder.model is None:
        # Nothing usable on disk: fit in-process, so pages never fail for want of an index.
        holder.model, holder.change_id = fit_from_database()
    # Keep serving what we have (the last good engine); the change log brings it up to date.
    holder.generation = state.generation if state is not None else 0


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
        current = _publications_by_key(list(latest))
        for key, op in latest.items():
            pub = current.get(key)
            if op == "upsert" and pub is not None:
                holder.model.add(document_for_publication(pub))
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


# --- queries ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recommendation:
    """A ranked public listing with the engine's explanation."""

    publication: Publication
    match: Match

    @property
    def factors(self) -> list[tuple[str, float]]:
        """Re-ranking factors that contributed, largest first."""
        return sorted(((k, v) for k, v in self.match.factors.items() if v), key=lambda kv: -kv[1])


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


def recommend_for(listing: Listing, *, k: int = 5) -> list[Recommendation]:
    """The other side's best public listings for a listing (its public version when it has one)."""
    model = engine()
    key = doc_id(listing.KIND, listing.id)
    query: Document | str = key if key in model else document_for_listing(listing)
    matches = model.rank(query, target_kind=OTHER_SIDE[listing.KIND], k=k + 5)
    return _hydrate(matches)[:k]


def recommend_for_organisation(
    *, organisation_id: int, kind: str, k: int = 6, per_listing: int = 4
) -> list[tuple[Listing, Recommendation]]:
    """为你推荐: the best matches for an organisation's live listings, best first, each once."""
    mine = _live_listings(listing_model(kind), organisation_id)
    seen: dict[str, tuple[Listing, Recommendation]] = {}
    for listing in mine:
        for rec in recommend_for(listing, k=per_listing):
            current = seen.get(rec.match.id)
            if current is None or rec.match.score > current[1].match.score:
                seen[rec.match.id] = (listing, rec)
    return sorted(seen.values(), key=lambda pair: (-pair[1].match.score, pair[1].match.id))[:k]


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


def similar_listings(
    listing: Listing, *, k: int = 5, threshold: float = 0.6
) -> list[Recommendation]:
    """Possible duplicates of a listing among the public listings of the same side."""
    matches = engine().similar(document_for_listing(listing), k=k + 1, threshold=threshold)
    own = doc_id(listing.KIND, listing.id)
    return [r for r in _hydrate(matches) if r.match.id != own][:k]


def search_scores(kind: str, query: str, *, limit: int = 2000) -> dict[int, float]:
    """The engine's text score of each public listing of a kind for a free-text query."""
    matches = engine().search(query, kind=kind, k=limit)
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
