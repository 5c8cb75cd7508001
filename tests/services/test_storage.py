"""Stored files behind one storage interface: a folder or an S3-compatible store (moto's server).

Each backend stores, streams, sizes, lists and deletes keys; files.py keeps its guarantee on
both (a file is permanent only with its row, gone when the transaction does not commit); an
attachment is uploaded and downloaded through the web with its bytes in the bucket; existing
files in the instance folder keep working with the default storage.
"""

from __future__ import annotations

import io
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import sqlalchemy as sa
from flask import Flask

from matchmaker import create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db
from matchmaker.models import Attachment
from matchmaker.services.market import attachments
from matchmaker.services.platform import files, storage, uow
from matchmaker.services.platform.storage import LocalStorage, S3Storage
from tests.conftest import log_in
from tests.services.test_attachments import PDF, PNG, add, draft  # noqa: F401  (a fixture)
from tests.web.test_listings_web import setup_listing, upload

CREDENTIALS = {"access_key_id": "testing", "secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 (a real HTTP endpoint, as MinIO would be)."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    """A fresh bucket for one test."""
    name = f"mm-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=name)
    return name


@pytest.fixture
def s3(s3_endpoint: str, bucket: str) -> S3Storage:
    return S3Storage(bucket, "site", endpoint_url=s3_endpoint, region="us-east-1", **CREDENTIALS)


@pytest.fixture
def on_s3(app: Flask, s3: S3Storage) -> Iterator[S3Storage]:
    """The test app stores its files in the bucket for one test."""
    before = app.extensions.pop("matchmaker_storage", None)
    app.extensions["matchmaker_storage"] = s3
    yield s3
    app.extensions.pop("matchmaker_storage", None)
    if before is not None:
        app.extensions["matchmaker_storage"] = before


def _objects(store: S3Storage) -> set[str]:
    return set(store.keys(files.PREFIX))


# --- the interface, on both backends ------------------------------------------------------------
@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> storage.Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    return request.getfixturevalue("s3")


def test_put_open_size_keys_delete(backend: storage.Storage, tmp_path: Path) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"from a path" * 1000)
    backend.put("attachments/a", b"bytes")
    backend.put("attachments/b", io.BytesIO(b"a stream"))
    backend.put("recommender/index-000001.mmr", source)
    assert backend.exists("attachments/a") and not backend.exists("attachments/zz")
    with backend.open("attachments/b") as stream:
        assert stream.read(2) == b"a " and stream.read() == b"stream"
    assert backend.read("attachments/a") == b"bytes"
    assert backend.size("recommender/index-000001.mmr") == 11000
    assert sorted(backend.keys("attachments/")) == ["attachments/a", "attachments/b"]
    assert len(list(backend.keys())) == 3
    backend.put("attachments/a", b"replaced")  # a key is written whole, replacing the old value
    assert backend.read("attachments/a") == b"replaced"
    target = tmp_path / "cache" / "copy.mmr"
    backend.download("recommender/index-000001.mmr", target)
    assert target.read_bytes() == source.read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["copy.mmr"]  # no temporary left
    backend.delete("attachments/a")
    backend.delete("attachments/a")  # deleting a missing key is not an error
    assert not backend.exists("attachments/a")
    with pytest.raises(FileNotFoundError):
        backend.open("attachments/a")
    with pytest.raises(FileNotFoundError):
        backend.size("attachments/a")
    with pytest.raises(FileNotFoundError):
        backend.download("attachments/a", tmp_path / "cache" / "missing")
    assert not (tmp_path / "cache" / "missing").exists()


@pytest.mark.parametrize("key", ["", "/etc/passwd", "a/../b", "a//b", "a\\b", "./a", "a/"])
def test_keys_cannot_escape(backend: storage.Storage, key: str) -> None:
    with pytest.raises(ValueError, match="invalid storage key"):
        backend.put(key, b"x")


def test_an_unreachable_store_is_a_storage_error(tmp_path: Path) -> None:
    store = S3Storage(
        "nowhere",
        endpoint_url=f"http://127.0.0.1:{_free_port()}",
        region="us-east-1",
        **CREDENTIALS,
    )
    store.client.meta.config.retries = {"max_attempts": 0}
    with pytest.raises(storage.StorageError):
        store.exists("attachments/a")


# --- configuration ------------------------------------------------------------------------------
def test_the_default_storage_is_the_instance_folder(tmp_path: Path) -> None:
    store = storage.from_config({}, str(tmp_path))
    assert isinstance(store, LocalStorage)
    assert store.local_path("attachments/abc") == tmp_path / "attachments" / "abc"
    assert store.local_path("recommender/index-000001.mmr") == tmp_path / "recommender" / (
        "index-000001.mmr"
    )


def test_attachment_dir_still_holds_the_attachments(tmp_path: Path) -> None:
    config = {"STORAGE_URL": f"file://{tmp_path / 'shared'}", "ATTACHMENT_DIR": tmp_path / "att"}
    store = storage.from_config(config, str(tmp_path / "instance"))
    store.put("attachments/abc", b"x")
    store.put("recommender/index-000001.mmr", b"y")
    assert (tmp_path / "att" / "abc").read_bytes() == b"x"
    assert (tmp_path / "shared" / "recommender" / "index-000001.mmr").read_bytes() == b"y"
    assert sorted(store.keys()) == ["attachments/abc", "recommender/index-000001.mmr"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://host/x", "use file:///path or s3://bucket/prefix"),
        ("file://host/x", "a file URL names a local path"),
        ("s3:///prefix", "needs a bucket"),
    ],
)
def test_a_wrong_storage_url_is_named(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        storage.from_config({"STORAGE_URL": url}, str(tmp_path))


def test_an_app_configured_for_s3_stores_there(tmp_path: Path, s3_endpoint: str, bucket: str):
    other = create_app(
        TestConfig,
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        STORAGE_URL=f"s3://{bucket}/prod/files",
        S3_ENDPOINT_URL=s3_endpoint,
        S3_REGION="us-east-1",
        S3_ACCESS_KEY_ID="testing",
        S3_SECRET_ACCESS_KEY="testing",
    )
    with other.app_context():
        store = storage.get()
        assert storage.get() is store and isinstance(store, S3Storage)
        store.put("attachments/abc", b"x")
    raw = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    body = raw.get_object(Bucket=bucket, Key="prod/files/attachments/abc")["Body"].read()
    assert body == b"x"


# --- files.py on the default folder: existing installs keep their files -------------------------
def test_a_file_stored_before_the_storage_layer_is_still_served(app, client, fields):
    owner, _admin, listing = setup_listing("result", "draft", fields)
    name = uuid.uuid4().hex
    folder = Path(app.instance_path) / "attachments"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(PDF)  # where and how the code before the storage layer wrote it
    item = Attachment(
        result_id=listing.id,
        original_name="旧文件.pdf",
        stored_name=name,
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
        uploaded_by_id=owner.id,
    )
    db.session.add(item)
    db.session.commit()
    log_in(client, owner)
    response = client.get(f"/attachments/{item.id}")
    assert response.status_code == 200 and response.data == PDF
    response.close()


# --- files.py on S3 ---------------------------------------------------------------------------
def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) or 0


def _spool(app: Flask) -> list[Path]:
    folder = Path(app.instance_path) / "spool"
    return list(folder.iterdir()) if folder.is_dir() else []


def test_s3_upload_is_kept_with_its_row(app, on_s3, draft):  # noqa: F811
    owner, listing = draft
    item = add(owner, listing, PDF)
    key = files.key_of(item.stored_name)
    assert on_s3.exists(key)  # uploaded to its final key before the commit
    db.session.commit()
    assert on_s3.read(key) == PDF and _count() == 1
    assert _spool(app) == []  # the local copy used for the content check is gone
    assert list(files.orphaned_keys()) == []


def test_s3_upload_is_removed_when_the_transaction_rolls_back(app, on_s3, draft):  # noqa: F811
    owner, listing = draft
    before = _objects(on_s3)
    item = add(owner, listing, PNG, "图.png")
    assert files.key_of(item.stored_name) in _objects(on_s3)
    db.session.rollback()
    assert _objects(on_s3) == before and _count() == 0 and _spool(app) == []


def test_s3_refused_upload_leaves_nothing(app, on_s3, draft):  # noqa: F811
    owner, listing = draft
    before = _objects(on_s3)
    with pytest.raises(attachments.ValidationFailed):
        add(owner, listing, b"MZ\x90\x00 not a document", "a.exe")
    db.session.rollback()
    assert _objects(on_s3) == before and _spool(app) == []


def test_s3_delete_happens_only_after_the_commit(app, on_s3, draft):  # noqa: F811
    owner, listing = draft
    item = add(owner, listing, PDF)
    db.session.commit()
    key = files.key_of(item.stored_name)
    attachments.remove_attachment(actor=owner, attachment=item)
    db.session.rollback()  # the deletion did not happen: the file stays
    assert on_s3.exists(key)
    item = db.session.get(Attachment, item.id)
    attachments.remove_attachment(actor=owner, attachment=item)
    db.session.commit()
    assert not on_s3.exists(key)


def test_an_object_whose_commit_never_came_is_listed_as_an_orphan(app, on_s3, draft):  # noqa: F811
    owner, listing = draft
    kept = add(owner, listing, PDF)
    db.session.commit()
    on_s3.put(files.key_of("f" * 32), PDF)  # as after a crash between the upload and the commit
    assert list(files.orphaned_keys()) == [files.key_of("f" * 32)]
    assert files.key_of(kept.stored_name) not in list(files.orphaned_keys())


def test_storage_dir_is_refused_on_an_object_store(app, on_s3):
    with pytest.raises(RuntimeError, match="object store"):
        files.storage_dir()


# --- through the web, on S3 -------------------------------------------------------------------
def test_attachment_uploaded_and_downloaded_through_the_web_on_s3(app, client, fields, on_s3):
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    (Path(app.instance_path) / "attachments").mkdir(exist_ok=True)
    local = set((Path(app.instance_path) / "attachments").iterdir())
    response = upload(client, "result", listing.id, PDF, "检测报告.pdf")
    assert response.status_code == 302
    item = db.session.scalar(sa.select(Attachment).where(Attachment.result_id == listing.id))
    assert item is not None
    assert on_s3.read(files.key_of(item.stored_name)) == PDF
    assert set((Path(app.instance_path) / "attachments").iterdir()) == local  # nothing local
    download = client.get(f"/attachments/{item.id}")
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Length"] == str(len(PDF))
    assert download.headers["Content-Type"] == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    download.close()
    on_s3.delete(files.key_of(item.stored_name))  # the object is gone: a 404, never a 500
    assert client.get(f"/attachments/{item.id}").status_code == 404


def test_a_failing_request_leaves_no_object_on_s3(app, client, fields, on_s3, monkeypatch):
    owner, _admin, listing = setup_listing("result", "draft", fields)
    log_in(client, owner)
    before = _objects(on_s3)

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a later step of the request failed")

    monkeypatch.setattr(attachments, "record_audit", fail)
    response = upload(client, "result", listing.id, PDF, "报告.pdf")
    assert response.status_code == 500
    assert _objects(on_s3) == before and _count() == 0


def test_the_unit_of_work_scope_on_s3(app, on_s3, draft):  # noqa: F811
    owner, listing = draft
    before = _objects(on_s3)

    def job() -> None:
        with uow.scope():
            add(owner, listing, PDF)
            raise RuntimeError("the job failed")

    with pytest.raises(RuntimeError):
        job()
    assert _objects(on_s3) == before


def test_local_keys_under_a_folder_read_only_that_folder(tmp_path: Path, monkeypatch) -> None:
    """A prefix with a folder walks that folder alone (an upload's pruning must not walk every
    attachment), with the same answers as a walk of the whole root, mounts included."""
    store = LocalStorage(tmp_path / "root", mounts={"attachments": tmp_path / "files"})
    for key in ("imports/1/a.csv", "imports/1/b/c.csv", "imports/10/d.csv", "attachments/x"):
        store.put(key, b"x")
    (tmp_path / "root" / "imports" / "1" / ".e.csv.tmp").write_bytes(b"half")  # being written
    assert sorted(store.keys("imports/1/")) == ["imports/1/a.csv", "imports/1/b/c.csv"]
    assert sorted(store.keys("imports/1")) == [
        "imports/1/a.csv",
        "imports/1/b/c.csv",
        "imports/10/d.csv",
    ]
    assert list(store.keys("attachments/")) == ["attachments/x"]
    assert list(store.keys("imports/2/")) == []
    walked: list[str] = []
    real_walk = os.walk
    monkeypatch.setattr(os, "walk", lambda top: walked.append(str(top)) or real_walk(top))
    assert list(store.keys("imports/10/")) == ["imports/10/d.csv"]
    assert walked == [str(tmp_path / "root" / "imports" / "10")]
