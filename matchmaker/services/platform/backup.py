"""Backups: one `.tar.gz` holding the database and the stored files, and its restore.

The archive holds, in this order:

- `manifest.json`: format, app version, Alembic revision(s), dialect, creation time, the row
  count of every table, and the size and SHA-256 of the database dump and of every file;
- the database: `database.sqlite3` (a consistent copy made with SQLite's online backup API, safe
  while the app is serving) or `database.pgdump` (`pg_dump -Fc` of an exported snapshot, the
  same snapshot the row counts are read from);
- `files/<key>`: every permanent stored file (attachments, evidence, licence scans). Pending
  `.part` uploads, Excel import uploads waiting for their job and annotated import reports are
  transient and left out (an import job restored without its upload reports it as expired).

`restore_backup` reads the manifest, refuses what it cannot restore (another dialect, a newer
migration revision, a non-empty database without `force`), unpacks and checks every member's
checksum before it touches anything, then restores the database, then the files, and counts
the rows again against the manifest.

Stored files are reached through `file_store()` alone: the one place that knows where they live.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import sqlalchemy as sa
from flask import current_app

from matchmaker import __version__
from matchmaker.extensions import db
from matchmaker.services.platform import files, storage

FORMAT = 1
MANIFEST = "manifest.json"
PREFIX = "matchmaker-backup-"
DUMPS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FILES = "files/"
CHUNK = 1024 * 1024
#: Nothing in the archive may be larger than this (a corrupt header could claim anything).
MAX_MEMBER = 1 << 40


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why and what to do."""


def _ignore_say(message: str) -> None:
    return None


def _ignore_track(items: Iterable[Any], length: int, label: str) -> Iterable[Any]:
    return items


@dataclass(frozen=True)
class Progress:
    """How long work reports itself: `say` a step, `track` an iterable of files."""

    say: Callable[[str], None] = _ignore_say
    track: Callable[[Iterable[Any], int, str], Iterable[Any]] = _ignore_track


@dataclass
class RestoreSummary:
    """What a restore put back."""

    rows: dict[str, int]
    files: int
    file_bytes: int
    revision: list[str]
    needs_upgrade: bool
    notes: list[str] = field(default_factory=list)


# --- stored files: the one place that knows where they live ------------------------------------


def file_store() -> storage.Storage:
    """Where stored files live: the app's storage (a folder or S3, services/platform/storage.py)."""
    return storage.get()


def file_keys(store: storage.Storage) -> list[str]:
    """The keys a backup holds: every permanent stored file (`attachments/<name>`).

    Pending `.part` uploads are left out; so is the rest of the storage: the recommender's
    index (rebuilt from the database) and, on a folder storage, whatever else the instance
    folder holds (the SQLite file itself, Excel import uploads, annotated import reports).
    """
    return sorted(key for key in store.keys(files.PREFIX) if not key.endswith(".part"))


def _safe_key(key: object) -> str:
    """A key the archive may restore: a stored file's key, nothing outside `attachments/`."""
    try:
        if isinstance(key, str) and key.startswith(files.PREFIX):
            return storage.check_key(key)
    except ValueError:
        pass
    raise BackupError(f"the archive names an unsafe file path {key!r}; nothing was restored")


# --- the database ------------------------------------------------------------------------------


def _dialect() -> str:
    name = db.engine.dialect.name
    if name not in DUMPS:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _pg_env(url: sa.URL) -> dict[str, str]:
    """libpq's environment for the app's database: no password on any command line."""
    env = dict(os.environ)
    for var, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
        ("PGSSLMODE", url.query.get("sslmode")),
    ):
        if value is not None:
            env[var] = str(value)
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        # pg_dump / pg_restore with fixed options; the connection comes in `env`
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} not found: install the PostgreSQL client (postgresql-client)"
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip() or done.returncode}")


def count_rows(conn: sa.Connection) -> dict[str, int]:
    """Every table of the database (the default schema) and its number of rows."""
    names = sorted(sa.inspect(conn).get_table_names())
    return {
        name: int(conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) or 0)
        for name in names
    }


def _revision(conn: sa.Connection, tables: Iterable[str]) -> list[str]:
    if "alembic_version" not in tables:
        return []
    return sorted(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))


def _dump_sqlite(target: Path) -> tuple[dict[str, int], list[str]]:
    """A consistent copy with the online backup API (readers and writers go on meanwhile)."""
    source = sqlite3.connect(_sqlite_path(db.engine.url))
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # all pages in one step: one consistent snapshot
    finally:
        copy.close()
        source.close()
    engine = sa.create_engine(f"sqlite:///{target}", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            counts = count_rows(conn)
            return counts, _revision(conn, counts)
    finally:
        engine.dispose()


def _dump_postgresql(target: Path) -> tuple[dict[str, int], list[str]]:
    """`pg_dump -Fc` of an exported snapshot, the one the row counts are read from."""
    with (
        db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
        conn.begin(),
    ):
        snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
        counts = count_rows(conn)
        revision = _revision(conn, counts)
        _run(
            ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
            _pg_env(db.engine.url),
        )
    return counts, revision


# --- archive members ---------------------------------------------------------------------------


def _sha256(stream: BinaryIO) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        digest.update(chunk)
    return size, digest.hexdigest()


class _Hashing:
    """A reader that hashes what passes through it (tarfile.addfile reads `size` bytes)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.stream.read(size)
        self.digest.update(chunk)
        return chunk


def _referenced_keys() -> set[str]:
    """The storage keys the database's file rows point at."""
    from matchmaker.models import Base
    from matchmaker.models.stored_file import StoredFile

    names: set[str] = set()
    with db.engine.connect() as conn:  # its own short read, outside any unit of work
        for mapper in Base.registry.mappers:
            if issubclass(mapper.class_, StoredFile):
                names.update(map(files.key_of, conn.scalars(sa.select(mapper.class_.stored_name))))
    return names


def _add_bytes(tar: tarfile.TarFile, name: str, content: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(mtime)
    info.mode = 0o600
    tar.addfile(info, _Reader(content))


class _Reader:
    def __init__(self, content: bytes) -> None:
        self.content = memoryview(content)
        self.at = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.content) if size < 0 else self.at + size
        chunk = bytes(self.content[self.at : end])
        self.at += len(chunk)
        return chunk


# --- create ------------------------------------------------------------------------------------


def create_backup(out: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Write a backup archive to `out` (atomically: `out` appears complete or not at all).

    Returns its manifest. The database is read as one consistent snapshot; files are listed
    after it, so a file deleted in between is reported in `missing_files`.
    """
    progress = progress or Progress()
    dialect = _dialect()
    store = file_store()
    now = datetime.now(UTC)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".backup-", dir=out.parent) as tmp:
        dump = Path(tmp) / DUMPS[dialect]
        progress.say(f"Dumping the {dialect} database…")
        counts, revision = (_dump_sqlite if dialect == "sqlite" else _dump_postgresql)(dump)
        with dump.open("rb") as stream:
            dump_size, dump_sha = _sha256(stream)
        progress.say(f"  {sum(counts.values())} rows in {len(counts)} tables, {dump_size} bytes")

        keys = file_keys(store)
        listed = []
        for key in progress.track(keys, len(keys), "Checksumming files"):
            with store.open(key) as stream:
                size, sha = _sha256(stream)
            listed.append({"key": key, "size": size, "sha256": sha})
        present = set(keys)
        missing = sorted(_referenced_keys() - present)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "app_version": __version__,
            "alembic_revision": revision,
            "dialect": dialect,
            "created_at": now.isoformat(timespec="seconds"),
            "tables": counts,
            "database": {"name": dump.name, "size": dump_size, "sha256": dump_sha},
            "files": listed,
            "missing_files": missing,
        }
        partial = out.with_name(f".{out.name}.part")
        progress.say(f"Writing {out.name}…")
        partial.unlink(missing_ok=True)
        partial.touch(mode=0o600)  # it holds password hashes and personal data
        try:
            with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
                body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
                _add_bytes(tar, MANIFEST, body, now.timestamp())
                tar.add(dump, arcname=dump.name, recursive=False)
                for entry in progress.track(listed, len(listed), "Archiving files"):
                    _archive_file(tar, store, entry, now.timestamp())
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _archive_file(
    tar: tarfile.TarFile, store: storage.Storage, entry: dict[str, Any], mtime: float
) -> None:
    info = tarfile.TarInfo(FILES + entry["key"])
    info.size = entry["size"]
    info.mtime = int(mtime)
    info.mode = 0o600
    with store.open(entry["key"]) as stream:
        reader = _Hashing(stream)
        try:
            tar.addfile(info, reader)
        except OSError as error:
            raise BackupError(
                f"stored file {entry['key']} changed while archiving: {error}"
            ) from None
    if reader.digest.hexdigest() != entry["sha256"]:
        raise BackupError(f"stored file {entry['key']} changed while archiving")


def prune_backups(folder: Path, *, keep: int) -> list[Path]:
    """Delete all but the newest `keep` `matchmaker-backup-<UTC time>.tar.gz` of a folder."""
    if keep < 1:
        raise BackupError("--keep must be 1 or more")
    archives = sorted(folder.glob(f"{PREFIX}*.tar.gz"), key=lambda path: path.name)
    old = archives[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def archive_name(now: datetime | None = None) -> str:
    """The default name of a new archive (names sort by time)."""
    return f"{PREFIX}{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}.tar.gz"


# --- restore -----------------------------------------------------------------------------------


def _damaged(archive: Path, error: BaseException | str) -> BackupError:
    return BackupError(
        f"{archive} is damaged or not a matchmaker backup ({error}); nothing was restored"
    )


def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of an archive (its first member), checked for shape."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST or not first.isfile():
                raise _damaged(archive, "no manifest.json first")
            extracted = tar.extractfile(first)
            assert extracted is not None
            manifest = json.loads(extracted.read(16 * 1024 * 1024))
    except (tarfile.TarError, EOFError, zlib.error, OSError, ValueError) as error:
        raise _damaged(archive, error) from None
    if not isinstance(manifest, dict):
        raise _damaged(archive, "manifest.json is not an object")
    if manifest.get("format") != FORMAT:
        raise _damaged(archive, f"unknown manifest format {manifest.get('format')!r}")
    for key in ("dialect", "tables", "database", "files", "alembic_revision"):
        if key not in manifest:
            raise _damaged(archive, f"manifest lacks {key!r}")
    return manifest


def _code_heads() -> tuple[Any, set[str]]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    return script, set(script.get_heads())


def check_revision(revision: list[str]) -> bool:
    """Whether the archive needs `matchmaker db upgrade` after restoring; raises if it is newer."""
    from alembic.util import CommandError

    script, heads = _code_heads()
    if not revision:
        raise BackupError(
            "the archive records no migration revision (its database was never migrated); "
            "it cannot be matched to this code"
        )
    if set(revision) == heads:
        return False
    for rev in revision:
        try:
            known = script.get_revision(rev)
        except CommandError:
            known = None
        if known is None:
            raise BackupError(
                f"the archive is at migration {', '.join(revision)}, which this code does not "
                f"know (its head is {', '.join(sorted(heads))}): restore it with the newer "
                "version of the application that made it"
            )
    return True


def _table_names() -> list[str]:
    with db.engine.connect() as conn:
        return sorted(sa.inspect(conn).get_table_names())


def _unpack(archive: Path, manifest: dict[str, Any], into: Path, progress: Progress) -> None:
    """Extract every member to `into` (files under numbered names), checking size and SHA-256."""
    expected: dict[str, tuple[int, str, Path]] = {}
    database = manifest["database"]
    expected[str(database["name"])] = (
        int(database["size"]),
        str(database["sha256"]),
        into / "database",
    )
    for number, entry in enumerate(manifest["files"]):
        key = _safe_key(entry["key"])
        expected[FILES + key] = (int(entry["size"]), str(entry["sha256"]), into / f"f{number}")
    seen: set[str] = set()
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = (m for m in tar if m.name != MANIFEST)
            for member in progress.track(members, len(expected), "Checking the archive"):
                if member.name not in expected or member.name in seen or not member.isfile():
                    raise _damaged(archive, f"unexpected member {member.name!r}")
                size, sha, target = expected[member.name]
                if member.size != size or member.size > MAX_MEMBER:
                    raise _damaged(archive, f"{member.name}: size differs from the manifest")
                source = tar.extractfile(member)
                assert source is not None
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != sha:
                    raise _damaged(archive, f"{member.name}: checksum mismatch")
                seen.add(member.name)
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise _damaged(archive, error) from None
    missing = sorted(set(expected) - seen)
    if missing:
        raise _damaged(archive, f"missing {len(missing)} member(s), e.g. {missing[0]}")


def _clear_database(dialect: str) -> None:
    if dialect == "postgresql":
        with db.engine.begin() as conn:
            schema = conn.scalar(sa.text("SELECT current_schema()"))
            quoted = conn.dialect.identifier_preparer.quote_identifier(schema)
            owner = " AUTHORIZATION pg_database_owner" if schema == "public" else ""
            conn.execute(sa.text(f"DROP SCHEMA {quoted} CASCADE"))
            conn.execute(sa.text(f"CREATE SCHEMA {quoted}{owner}"))
    # SQLite: the online backup replaces every page of the target.


def _restore_database(dialect: str, dump: Path) -> None:
    db.session.remove()
    db.engine.dispose()
    if dialect == "sqlite":
        target = _sqlite_path(db.engine.url)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(dump)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
    else:
        url = db.engine.url
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-acl",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={url.database}",
                str(dump),
            ],
            _pg_env(url),
        )
    db.engine.dispose()


def restore_backup(
    archive: Path, *, force: bool = False, progress: Progress | None = None
) -> RestoreSummary:
    """Restore an archive into the app's (empty, unless `force`) database and file store."""
    progress = progress or Progress()
    manifest = read_manifest(archive)
    dialect = _dialect()
    if manifest["dialect"] != dialect:
        raise BackupError(
            f"the archive holds a {manifest['dialect']} database and this app uses {dialect}: "
            "restoring across databases is not supported"
        )
    needs_upgrade = check_revision(list(manifest["alembic_revision"]))
    tables = _table_names()
    if tables and not force:
        raise BackupError(
            f"the target database is not empty ({len(tables)} tables, e.g. {tables[0]}): restore "
            "into an empty database, or pass --force to replace everything in it"
        )
    files_total = sum(int(entry["size"]) for entry in manifest["files"])
    progress.say(
        f"Archive of {manifest.get('created_at')}: {sum(manifest['tables'].values())} rows, "
        f"{len(manifest['files'])} files ({files_total} bytes)"
    )
    work = Path(tempfile.mkdtemp(prefix="matchmaker-restore-"))
    try:
        _unpack(archive, manifest, work, progress)
        progress.say("Restoring the database…")
        if tables:
            _clear_database(dialect)
        _restore_database(dialect, work / "database")
        store = file_store()
        for number, entry in enumerate(
            progress.track(manifest["files"], len(manifest["files"]), "Restoring files")
        ):
            with (work / f"f{number}").open("rb") as stream:
                store.put(entry["key"], stream)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with db.engine.connect() as conn:
        rows = count_rows(conn)
    notes = [
        f"table {name}: {rows.get(name)} rows restored, the archive has {count}"
        for name, count in manifest["tables"].items()
        if rows.get(name) != count
    ]
    if notes:
        raise BackupError("the restored database differs from the archive: " + "; ".join(notes))
    if manifest.get("missing_files"):
        notes.append(
            f"{len(manifest['missing_files'])} file(s) were already missing when the backup "
            "was made, e.g. " + manifest["missing_files"][0]
        )
    return RestoreSummary(
        rows=rows,
        files=len(manifest["files"]),
        file_bytes=files_total,
        revision=list(manifest["alembic_revision"]),
        needs_upgrade=needs_upgrade,
        notes=notes,
    )
