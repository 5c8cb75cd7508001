"""The recommender's index artifact, published by generation to the storage.

A rebuild publishes `recommender/index-<generation>-<sha>.mmr` and its `.sha256` sidecar; every
host loads the generation the database names from its own cache folder, downloading it from
the storage first. A corrupted artifact is logged, the previous generation keeps serving (or a
fit from the database when there is none), one rebuild job is queued, and no page fails.
"""

# ruff: noqa: F811  (the S3 fixtures of test_storage are imported, then named as arguments)
from __future__ import annotations

import gc
import hashlib
import logging
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import close_all_sessions

import matchmaker.jobs  # noqa: F401  (registers the job handlers)
from matchmaker import create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db
from matchmaker.models import Job, JobStatus, Need
from matchmaker.services import matching
from matchmaker.services.platform import jobs, storage
from tests.factories import make_user, publish_need, publish_result
from tests.services.test_storage import CREDENTIALS, bucket, on_s3, s3, s3_endpoint  # noqa: F401

NAME = re.compile(r"index-(\d{6})-([0-9a-f]{12})\.mmr")


@pytest.fixture
def corpus(db, fields):
    """A need and the one result that matches it, published."""
    uni, firm, admin = make_user("university"), make_user("enterprise"), make_user("admin")
    db.session.commit()
    need = publish_need(
        firm,
        admin,
        fields,
        "碳纤维复合材料成型",
        "需要碳纤维复合材料的热压成型工艺，用于汽车轻量化零部件批量生产。",
    )
    fibre = publish_result(
        uni, admin, fields, "碳纤维热压成型工艺", "碳纤维复合材料热压成型新工艺，成本降低30%。"
    )
    return need, fibre


def _rebuild() -> str:
    state = matching.rebuild_index()
    db.session.commit()
    assert state.artifact is not None
    return state.artifact


def _flip_bytes(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 8] = bytes(b ^ 0xFF for b in data[middle : middle + 8])
    path.write_bytes(bytes(data))


def _queued_rebuilds() -> int:
    """Rebuilds that will run whatever the index's freshness (not the automatic kind)."""
    db.session.expire_all()
    queued = db.session.scalars(
        sa.select(Job).where(Job.name == matching.REBUILD_JOB, Job.status == JobStatus.QUEUED)
    )
    return sum(1 for job in queued if not (job.args or {}).get("auto"))


def _served(need: Need) -> list[int]:
    return [r.publication.result_id for r in matching.recommend_for(need)]


def test_a_rebuild_publishes_the_artifact_and_its_checksum(app, corpus):
    name = _rebuild()
    found = NAME.fullmatch(name)
    assert found and found.group(1) == "000001"
    store = storage.get()
    published = store.read(f"recommender/{name}")
    checksum = hashlib.sha256(published).hexdigest()
    assert store.read(f"recommender/{name}.sha256").decode().strip() == checksum
    assert found.group(2) == checksum[:12]  # a name is never reused for other bytes
    assert (matching.artifact_dir() / name).read_bytes() == published


def test_old_generations_are_pruned_from_the_storage(app, corpus, on_s3):
    names = [_rebuild() for _ in range(4)]
    published = set(on_s3.keys("recommender/"))
    assert published == {f"recommender/{n}{s}" for n in names[-2:] for s in ("", ".sha256")}
    cached = {p.name for p in matching.artifact_dir().iterdir() if p.name in names}
    assert cached == set(names[-2:])


def test_a_second_host_with_its_own_cache_loads_the_same_generation(
    app,
    corpus,
    on_s3,
    s3_endpoint,
    tmp_path,
):
    need, fibre = corpus
    first = _rebuild()
    other = create_app(
        TestConfig,
        instance_path=str(tmp_path / "host2"),
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        STORAGE_URL=f"s3://{on_s3.bucket}/{on_s3.prefix}",
        S3_ENDPOINT_URL=s3_endpoint,
        S3_REGION="us-east-1",
        S3_ACCESS_KEY_ID=CREDENTIALS["access_key_id"],
        S3_SECRET_ACCESS_KEY=CREDENTIALS["secret_access_key"],
        RECOMMENDER_CACHE_DIR=str(tmp_path / "host2-cache"),
    )
    try:
        with other.app_context():
            assert _served(db.session.get(Need, need.id)) == [fibre.id]
            assert other.extensions["matchmaker_engine"].generation == 1
            cached = tmp_path / "host2-cache" / first
            assert cached.read_bytes() == on_s3.read(f"recommender/{first}")
            db.session.remove()
        second = _rebuild()  # the first host publishes generation 2
        with other.app_context():
            assert _served(db.session.get(Need, need.id)) == [fibre.id]
            assert other.extensions["matchmaker_engine"].generation == 2
            assert (tmp_path / "host2-cache" / second).is_file()
            assert not list((tmp_path / "host2-cache").glob(".*.tmp"))  # downloads are atomic
            db.session.remove()
        assert _queued_rebuilds() == 0
    finally:
        close_all_sessions()
        with other.app_context():
            for engine in db.engines.values():
                engine.dispose()
        del other
        gc.collect()


def test_a_corrupted_artifact_keeps_the_previous_generation_serving(app, client, corpus, caplog):
    need, fibre = corpus
    _rebuild()
    response = client.get(f"/needs/{need.id}")
    assert response.status_code == 200
    holder = app.extensions["matchmaker_engine"]
    good = holder.model
    assert holder.generation == 1
    _flip_bytes(matching.artifact_dir() / _rebuild())  # generation 2 is damaged
    caplog.set_level(logging.ERROR, logger="matchmaker.matching")
    for _ in range(2):
        response = client.get(f"/needs/{need.id}")
        assert response.status_code == 200  # never a 500
        assert "碳纤维热压成型工艺" in response.get_data(as_text=True)
    assert holder.model is good  # generation 1 still serves
    health = client.get("/healthz").json
    assert health["status"] == "degraded"  # the host says so, and still answers 200
    assert health["index"]["unusable_artifact"] is not None
    assert health["index"]["generation"] == 2
    assert [r.message for r in caplog.records].count("recommender.artifact_unusable") == 1
    assert _queued_rebuilds() == 1  # one rebuild, not one per request
    assert jobs.run_pending(names=[matching.REBUILD_JOB]) >= 1
    assert _queued_rebuilds() == 0
    assert _served(need) == [fibre.id]
    assert holder.generation == 3 and holder.model is not good  # the rebuilt index is in use
    health = client.get("/healthz").json
    assert health["status"] == "ok"
    assert health["index"]["unusable_artifact"] is None
    assert health["index"]["loaded_generation"] == 3


def test_a_corrupted_artifact_without_a_previous_one_fits_from_the_database(app, corpus):
    need, fibre = corpus
    _flip_bytes(matching.artifact_dir() / _rebuild())
    app.extensions.pop("matchmaker_engine", None)  # a worker starting up
    assert _served(need) == [fibre.id]
    assert _queued_rebuilds() == 1


def test_a_damaged_cache_copy_is_fetched_again_and_a_damaged_object_refused(
    app: Flask,
    corpus,
    on_s3,
    tmp_path,
    monkeypatch,
):
    need, fibre = corpus
    first = _rebuild()
    # This process now acts as a host with its own, empty cache folder.
    monkeypatch.setitem(app.config, "RECOMMENDER_CACHE_DIR", str(tmp_path / "cache"))
    app.extensions.pop("matchmaker_engine", None)
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / first).write_bytes(b"half a download from a crashed host")
    assert _served(need) == [fibre.id]
    holder = app.extensions["matchmaker_engine"]
    assert holder.generation == 1 and _queued_rebuilds() == 0  # fetched again: no rebuild
    assert (tmp_path / "cache" / first).read_bytes() == on_s3.read(f"recommender/{first}")
    good = holder.model
    # Generation 2's object is damaged in the store (its sidecar says what it should be).
    monkeypatch.setitem(app.config, "RECOMMENDER_CACHE_DIR", str(tmp_path / "builder"))
    second = _rebuild()
    monkeypatch.setitem(app.config, "RECOMMENDER_CACHE_DIR", str(tmp_path / "cache"))
    damaged = tmp_path / "damaged.mmr"
    damaged.write_bytes(on_s3.read(f"recommender/{second}"))
    _flip_bytes(damaged)
    on_s3.put(f"recommender/{second}", damaged)
    assert _served(need) == [fibre.id]
    assert holder.model is good and _queued_rebuilds() == 1
    assert not (tmp_path / "cache" / second).exists()  # the bad copy is not kept


def test_a_missing_object_is_handled_like_a_corrupted_one(
    app,
    corpus,
    on_s3,
    tmp_path,
    monkeypatch,
):
    need, fibre = corpus
    name = _rebuild()
    on_s3.delete(f"recommender/{name}")
    monkeypatch.setitem(app.config, "RECOMMENDER_CACHE_DIR", str(tmp_path / "cache"))
    app.extensions.pop("matchmaker_engine", None)
    assert _served(need) == [fibre.id]  # fitted from the database
    assert _queued_rebuilds() == 1
