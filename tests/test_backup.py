"""`matchmaker backup create` / `restore`: a round trip into a fresh database and file store.

Runs on the suite's database kind (MATCHMAKER_TEST_DATABASE_URL): on SQLite with files in a
temporary folder, on PostgreSQL with scratch databases named after the test database
(`<db>_bk_src`, `<db>_bk_dst`), created and dropped here.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from matchmaker import create_app
from matchmaker.cli.backup import backup_group
from matchmaker.config import TestConfig
from matchmaker.extensions import db
from matchmaker.models import Attachment, Base
from matchmaker.services.platform import backup, files
from matchmaker.services.platform.storage import S3Storage
from tests.factories import PDF_BYTES, PNG_BYTES, make_user, publish_need, publish_result
from tests.services.test_storage import bucket, s3, s3_endpoint  # noqa: F401  (fixtures)

TEST_URL = os.environ.get("MATCHMAKER_TEST_DATABASE_URL")
PG = bool(TEST_URL and TEST_URL.startswith("postgresql"))


def _scratch(suffix: str) -> str:
    """A fresh, empty PostgreSQL database named after the test database."""
    assert TEST_URL
    url = sa.make_url(TEST_URL)
    name = f"{url.database}_bk_{suffix}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    parsed = sa.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def _app(folder: Path, suffix: str) -> Flask:
    url = _scratch(suffix) if PG else f"sqlite:///{folder / 'app.sqlite3'}"
    return create_app(
        TestConfig, instance_path=str(folder / "instance"), SQLALCHEMY_DATABASE_URI=url
    )


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        if PG:
            _drop(str(app.config["SQLALCHEMY_DATABASE_URI"]))


def _head() -> str:
    from alembic.script import ScriptDirectory

    from matchmaker import ROOT

    return ScriptDirectory(str(ROOT / "migrations")).get_heads()[0]


def _fill() -> dict[str, bytes]:
    """Organisations, users, a result with two attachments, a need: through the services."""
    from matchmaker.services.platform.taxonomy import active_fields, ensure_key_industries

    db.create_all()
    with db.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(sa.text("INSERT INTO alembic_version VALUES (:v)"), {"v": _head()})
    ensure_key_industries()
    db.session.commit()
    fields = {f.code: f for f in active_fields()}
    admin = make_user("admin")
    owner = make_user("university")
    buyer = make_user("enterprise")
    result = publish_result(owner, admin, fields, "高强铝合金板材制备技术", "一种新材料工艺。")
    publish_need(
        buyer,
        admin,
        fields,
        "寻找铝合金焊接方案",
        "需要一种可靠的铝合金焊接工艺方案，用于新能源汽车电池托盘的批量生产。",
    )
    contents = {}
    for name, content in (("检测报告.pdf", PDF_BYTES), ("样品照片.png", PNG_BYTES)):
        upload = files.store_upload(io.BytesIO(content))
        files.finalize_file(upload.stored_name)
        db.session.add(
            Attachment(result=result, **upload.columns(filename=name, uploaded_by_id=owner.id))
        )
        contents[upload.stored_name] = content
    db.session.commit()
    # Transient and pending files stay out of the archive.
    (files.storage_dir() / "abandoned.part").write_bytes(b"pending")
    return contents


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict[str, bytes]]]:
    app = _app(tmp_path_factory.mktemp("source"), "src")
    with app.app_context():
        contents = _fill()
        db.session.remove()
    yield app, contents
    _dispose(app)


@pytest.fixture(scope="module")
def archive(
    source: tuple[Flask, dict[str, bytes]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    app, _ = source
    out = tmp_path_factory.mktemp("archives")
    with app.app_context():  # the suite's app context is pushed: the command uses the current one
        result = app.test_cli_runner().invoke(backup_group, ["create", "--out", str(out)])
    assert result.exit_code == 0, result.output
    (path,) = out.glob("matchmaker-backup-*.tar.gz")
    return path


@pytest.fixture(scope="module")
def target_database() -> Iterator[str | None]:
    """On PostgreSQL one scratch database, emptied before each test (dropping one is slow)."""
    if not PG:
        yield None
        return
    url = _scratch("dst")
    yield url
    _drop(url)


@pytest.fixture
def target(target_database: str | None, tmp_path: Path) -> Iterator[Flask]:
    """A fresh, empty database and a fresh instance folder (so an empty file store)."""
    if target_database is None:
        url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    else:
        url = target_database
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public AUTHORIZATION pg_database_owner"))
        engine.dispose()
    app = create_app(
        TestConfig, instance_path=str(tmp_path / "instance"), SQLALCHEMY_DATABASE_URI=url
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _restore(app: Flask, path: Path, *args: str):  # noqa: ANN202
    with app.app_context():
        return app.test_cli_runner().invoke(backup_group, ["restore", str(path), *args])


def _rows(app: Flask, table: str) -> list[dict[str, object]]:
    with app.app_context(), db.engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY id"))  # noqa: S608
        ]


def _counts(app: Flask) -> dict[str, int]:
    with app.app_context(), db.engine.connect() as conn:
        return backup.count_rows(conn)


def _stored_files(app: Flask) -> dict[str, bytes]:
    with app.app_context():
        return {
            path.name: path.read_bytes() for path in files.storage_dir().iterdir() if path.is_file()
        }


def _assert_same(source: Flask, contents: dict[str, bytes], target: Flask) -> None:
    counts = _counts(source)
    assert counts["users"] == 3 and counts["attachments"] == 2 and counts["alembic_version"] == 1
    assert _counts(target) == counts
    for table in ("organisations", "users", "results", "needs", "attachments"):
        assert _rows(target, table) == _rows(source, table), table
    assert _stored_files(target) == contents
    with target.app_context():
        for row in db.session.scalars(sa.select(Attachment)):
            assert files.path_of(row).read_bytes() == contents[row.stored_name]


def _manifest(path: Path) -> dict:
    with tarfile.open(path, "r:gz") as tar:
        member = tar.extractfile(MANIFEST_NAME)
        assert member is not None
        return json.load(member)


MANIFEST_NAME = "manifest.json"


def _rewrite(path: Path, out: Path, change) -> Path:  # noqa: ANN001
    """Copy an archive, passing each member's (name, bytes) through `change`."""
    with tarfile.open(path, "r:gz") as tar, tarfile.open(out, "w:gz") as new:
        for member in tar:
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            data = change(member.name, data)
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    return out


def test_manifest_describes_the_backup(
    source: tuple[Flask, dict[str, bytes]], archive: Path
) -> None:
    app, contents = source
    manifest = _manifest(archive)
    assert archive.stat().st_mode & 0o777 == 0o600  # password hashes, personal data
    assert manifest["dialect"] == ("postgresql" if PG else "sqlite")
    assert manifest["alembic_revision"] == [_head()]
    assert manifest["tables"] == _counts(app)
    assert sorted(f["key"] for f in manifest["files"]) == sorted(map(files.key_of, contents))
    # The factories' organisations carry licence-scan rows without files: reported, not fatal.
    assert len(manifest["missing_files"]) == 2
    assert all(key.startswith("attachments/factory-") for key in manifest["missing_files"])
    for entry in manifest["files"]:
        assert entry["size"] == len(contents[entry["key"].removeprefix(files.PREFIX)])


def test_restore_into_a_fresh_database(
    source: tuple[Flask, dict[str, bytes]], archive: Path, target: Flask
) -> None:
    app, contents = source
    result = _restore(target, archive)
    assert result.exit_code == 0, result.output
    assert "2 files" in result.output
    assert "db upgrade" not in result.output
    _assert_same(app, contents, target)


def test_a_non_empty_database_needs_force(
    source: tuple[Flask, dict[str, bytes]], archive: Path, target: Flask
) -> None:
    app, contents = source
    with target.app_context():
        db.create_all()
        make_user("admin")
        db.session.commit()
        db.session.remove()
    refused = _restore(target, archive)
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "--force" in refused.output
    assert _counts(target)["users"] == 1

    result = _restore(target, archive, "--force")
    assert result.exit_code == 0, result.output
    _assert_same(app, contents, target)


@pytest.mark.parametrize("damage", ["flipped", "truncated", "checksum", "unsafe path"])
def test_a_damaged_archive_restores_nothing(
    archive: Path, target: Flask, tmp_path: Path, damage: str
) -> None:
    bad = tmp_path / "bad.tar.gz"
    raw = archive.read_bytes()
    if damage == "flipped":
        middle = len(raw) // 2
        bad.write_bytes(raw[:middle] + bytes([raw[middle] ^ 0xFF]) + raw[middle + 1 :])
    elif damage == "truncated":
        bad.write_bytes(raw[: len(raw) * 2 // 3])
    elif damage == "checksum":  # a well-formed archive whose file differs from its manifest
        _rewrite(
            archive, bad, lambda name, data: data + b"!" if name.startswith("files/") else data
        )
    else:

        def escape(name: str, data: bytes) -> bytes:
            if name != MANIFEST_NAME:
                return data
            manifest = json.loads(data)
            manifest["files"][0]["key"] = "attachments/../../evil"
            return json.dumps(manifest).encode()

        _rewrite(archive, bad, escape)
    result = _restore(target, bad)
    assert result.exit_code == 1, result.output
    expected = "unsafe file path" if damage == "unsafe path" else "damaged"
    assert expected in result.output and "Traceback" not in result.output
    with target.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
    assert _stored_files(target) == {}


def _with_manifest(archive: Path, out: Path, **changes: object) -> Path:
    def change(name: str, data: bytes) -> bytes:
        if name != MANIFEST_NAME:
            return data
        return json.dumps({**json.loads(data), **changes}).encode()

    return _rewrite(archive, out, change)


def test_revisions_newer_than_the_code_are_refused(
    archive: Path, target: Flask, tmp_path: Path
) -> None:
    newer = _with_manifest(archive, tmp_path / "newer.tar.gz", alembic_revision=["ffffffffffff"])
    result = _restore(target, newer)
    assert result.exit_code == 1
    assert "does not know" in result.output

    other = "sqlite" if PG else "postgresql"
    crossed = _with_manifest(archive, tmp_path / "crossed.tar.gz", dialect=other)
    result = _restore(target, crossed)
    assert result.exit_code == 1
    assert "not supported" in result.output
    with target.app_context():
        assert sa.inspect(db.engine).get_table_names() == []


def test_an_older_revision_is_restored_with_a_hint_to_upgrade(
    archive: Path, target: Flask, tmp_path: Path
) -> None:
    from alembic.script import ScriptDirectory

    from matchmaker import ROOT

    previous = ScriptDirectory(str(ROOT / "migrations")).get_revision(_head()).down_revision
    older = _with_manifest(archive, tmp_path / "older.tar.gz", alembic_revision=[previous])
    result = _restore(target, older)
    assert result.exit_code == 0, result.output
    assert "matchmaker db upgrade" in result.output


def test_postgresql_tools_get_the_password_from_the_environment() -> None:
    env = backup._pg_env(
        sa.make_url("postgresql+psycopg://u:s3cret@db.example:6543/mm?sslmode=require")
    )
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"], env["PGDATABASE"]) == (
        "db.example",
        "6543",
        "u",
        "mm",
    )
    assert env["PGPASSWORD"] == "s3cret" and env["PGSSLMODE"] == "require"


def test_every_table_is_counted(source: tuple[Flask, dict[str, bytes]]) -> None:
    app, _ = source
    counts = _counts(app)
    assert {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"} == set(counts)


def test_files_go_to_and_come_from_an_s3_store(
    source: tuple[Flask, dict[str, bytes]],
    archive: Path,
    target: Flask,
    request: pytest.FixtureRequest,
) -> None:
    app, contents = source
    store: S3Storage = request.getfixturevalue("s3")  # moto's S3 server (test_storage.py)
    target.extensions["matchmaker_storage"] = store  # as STORAGE_URL=s3://bucket/site would
    result = _restore(target, archive)
    assert result.exit_code == 0, result.output
    assert _counts(target) == _counts(app)
    assert {key: store.read(key) for key in store.keys(files.PREFIX)} == {
        files.key_of(name): content for name, content in contents.items()
    }

    again = target.instance_path + "/again.tar.gz"
    with target.app_context():
        result = target.test_cli_runner().invoke(backup_group, ["create", "--out", again])
    assert result.exit_code == 0, result.output
    assert _manifest(Path(again))["files"] == _manifest(archive)["files"]


def test_keep_deletes_the_oldest_archives(
    source: tuple[Flask, dict[str, bytes]], tmp_path: Path
) -> None:
    app, _ = source
    for day in (1, 2, 3):
        (tmp_path / f"matchmaker-backup-202001{day:02d}T010000Z.tar.gz").write_bytes(b"old")
    (tmp_path / "unrelated.tar.gz").write_bytes(b"kept")
    with app.app_context():
        result = app.test_cli_runner().invoke(
            backup_group, ["create", "--out", str(tmp_path), "--keep", "2"]
        )
    assert result.exit_code == 0, result.output
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left[0] == "matchmaker-backup-20200103T010000Z.tar.gz"
    assert left[1].startswith("matchmaker-backup-") and left[1] > left[0]  # the new one
    assert left[2:] == ["unrelated.tar.gz"] and len(left) == 3
