"""Where stored bytes live: one interface, a local (or shared) folder or an S3-compatible store.

Keys are relative, `/`-separated names: `attachments/<stored_name>` for uploads (files.py),
`recommender/index-000007-<sha>.mmr` and its `.sha256` sidecar for the recommender's index
(matching.py). The backend is chosen by `STORAGE_URL`:

- unset or `file:///srv/matchmaker`: `LocalStorage` on that folder (default: the instance
  folder, so existing installs keep their files where they are). A shared NFS folder mounted on
  every host is the same class with another root. `ATTACHMENT_DIR`, when set, still holds the
  `attachments/` keys.
- `s3://bucket/prefix`: `S3Storage` through boto3, with `S3_ENDPOINT_URL` (MinIO, Ceph, OSS…),
  `S3_REGION` and the credentials of the standard AWS chain (`AWS_ACCESS_KEY_ID`,
  `AWS_SECRET_ACCESS_KEY`, a profile or an instance role), or `S3_ACCESS_KEY_ID` and
  `S3_SECRET_ACCESS_KEY` when set.

Every backend writes a key whole or not at all (`put` is atomic): a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import unquote, urlparse

from flask import current_app

CHUNK = 1024 * 1024
_EXTENSION = "matchmaker_storage"

Source = bytes | BinaryIO | Path


class StorageError(RuntimeError):
    """The storage could not be reached or refused an operation."""


def check_key(key: str) -> str:
    """A key is relative, `/`-separated, without empty, `.` or `..` parts; else ValueError."""
    parts = key.split("/")
    if not key or "\\" in key or "\x00" in key or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class Storage(ABC):
    """The operations every backend offers (keys as described in the module docstring)."""

    #: A URL naming the place, for logs and `matchmaker` status output (no credentials).
    url: str

    @abstractmethod
    def put(self, key: str, data: Source) -> None:
        """Store `data` (bytes, a readable binary file or a local path) under `key`, atomically."""

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A stream of the stored bytes (close it); FileNotFoundError when the key is missing."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove `key` (nothing happens when it is missing)."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether `key` is stored."""

    @abstractmethod
    def size(self, key: str) -> int:
        """The stored size in bytes; FileNotFoundError when the key is missing."""

    @abstractmethod
    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every stored key starting with `prefix` (for backups and orphan sweeps)."""

    def local_path(self, key: str) -> Path | None:
        """The file holding `key` when the backend is a folder (it may not exist), else None."""
        return None

    def read(self, key: str) -> bytes:
        """The whole stored value (small keys only: a sidecar, a checksum)."""
        with self.open(key) as stream:
            return stream.read()

    def download(self, key: str, target: Path) -> None:
        """Copy `key` to the local file `target`, atomically (a temporary name, then rename)."""
        with self.open(key) as stream:
            write_atomically(target, lambda out: shutil.copyfileobj(stream, out, CHUNK))


def write_atomically(target: Path, fill: Callable[[BinaryIO], None]) -> None:
    """Write `target` whole or not at all: `fill` writes a temporary file beside it, which is
    synced and renamed over `target` (and removed if anything fails)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("wb") as out:
            fill(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


class LocalStorage(Storage):
    """Keys as files under `root` (a local or a shared folder); `mounts` put a key prefix elsewhere.

    `mounts={"attachments": "/data/files"}` keeps `attachments/<name>` in `/data/files/<name>`
    (the `ATTACHMENT_DIR` of installs that set one).
    """

    def __init__(self, root: str | Path, *, mounts: dict[str, str | Path] | None = None) -> None:
        self.root = Path(root)
        self.mounts = {prefix.strip("/"): Path(path) for prefix, path in (mounts or {}).items()}
        self.url = self.root.resolve().as_uri()

    def _path(self, key: str) -> Path:
        check_key(key)
        head, _, rest = key.partition("/")
        if rest and head in self.mounts:
            return self.mounts[head] / rest
        return self.root / key

    def local_path(self, key: str) -> Path:
        return self._path(key)

    def put(self, key: str, data: Source) -> None:
        path = self._path(key)
        if isinstance(data, Path) and data.resolve() == path.resolve():
            return

        def fill(out: BinaryIO) -> None:
            if isinstance(data, bytes | bytearray):
                out.write(data)
            elif isinstance(data, Path):
                with data.open("rb") as stream:
                    shutil.copyfileobj(stream, out, CHUNK)
            else:
                shutil.copyfileobj(data, out, CHUNK)

        write_atomically(path, fill)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def keys(self, prefix: str = "") -> Iterator[str]:
        if "/" in prefix:  # walk only the prefix's folder, not the whole root
            folder_key = prefix.rsplit("/", 1)[0]
            folder = self._path(f"{folder_key}/_").parent
            if folder.is_dir():
                for dirpath, _dirnames, filenames in os.walk(folder):
                    here = Path(dirpath)
                    for filename in sorted(filenames):
                        if filename.startswith(".") and filename.endswith(".tmp"):
                            continue  # a write in progress
                        key = f"{folder_key}/{(here / filename).relative_to(folder).as_posix()}"
                        if key.startswith(prefix):
                            yield key
            return
        places: list[tuple[str, Path]] = [("", self.root)]
        places += [(f"{name}/", path) for name, path in self.mounts.items()]
        mounted = {self.root / name for name in self.mounts}
        for key_prefix, folder in places:
            if not folder.is_dir():
                continue
            for dirpath, dirnames, filenames in os.walk(folder):
                here = Path(dirpath)
                if key_prefix == "":
                    dirnames[:] = [d for d in dirnames if here / d not in mounted]
                for filename in sorted(filenames):
                    if filename.startswith(".") and filename.endswith(".tmp"):
                        continue  # a write in progress
                    key = key_prefix + (here / filename).relative_to(folder).as_posix()
                    if key.startswith(prefix):
                        yield key

    def download(self, key: str, target: Path) -> None:
        path = self._path(key)
        if path.resolve() == target.resolve():  # the cache is the storage's own folder
            if not path.is_file():
                raise FileNotFoundError(key)
            return
        super().download(key, target)


class S3Storage(Storage):
    """Keys as objects `<prefix>/<key>` of one bucket of an S3-compatible store (boto3)."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        client: Any = None,
    ) -> None:
        import boto3  # type: ignore[import-untyped]  # only deployments on S3 pay for it
        from botocore.config import Config as BotoConfig  # type: ignore[import-untyped]

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.url = f"s3://{bucket}/{self.prefix}" + (f" ({endpoint_url})" if endpoint_url else "")
        self.client = client or boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region or None,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=BotoConfig(retries={"max_attempts": 5, "mode": "standard"}),
        )

    def _name(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    @contextlib.contextmanager
    def _errors(self, key: str) -> Iterator[None]:
        """A missing key as FileNotFoundError, any other failure of the store as StorageError."""
        from botocore.exceptions import (  # type: ignore[import-untyped]
            BotoCoreError,
            ClientError,
        )

        try:
            yield
        except ClientError as error:
            if self._missing(error):
                raise FileNotFoundError(key) from error
            raise StorageError(f"{self.url}: {key}: {error}") from error
        except BotoCoreError as error:
            raise StorageError(f"{self.url}: {key}: {error}") from error

    def _missing(self, error: Exception) -> bool:
        response = getattr(error, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def put(self, key: str, data: Source) -> None:
        name = self._name(key)
        with self._errors(key):
            if isinstance(data, Path):
                self.client.upload_file(str(data), self.bucket, name)
            elif isinstance(data, bytes | bytearray):
                self.client.put_object(Bucket=self.bucket, Key=name, Body=bytes(data))
            else:
                self.client.upload_fileobj(data, self.bucket, name)

    def open(self, key: str) -> BinaryIO:
        with self._errors(key):
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        return cast(BinaryIO, io.BufferedReader(_Body(answer["Body"]), CHUNK))

    def delete(self, key: str) -> None:
        with self._errors(key):
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            with self._errors(key):
                return cast(
                    dict[str, Any], self.client.head_object(Bucket=self.bucket, Key=self._name(key))
                )
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise FileNotFoundError(key)
        return int(head["ContentLength"])

    def keys(self, prefix: str = "") -> Iterator[str]:
        base = f"{self.prefix}/" if self.prefix else ""
        with self._errors(prefix or "/"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=base + prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][len(base) :]


class _Body(io.RawIOBase):
    """An S3 object's body as a closable binary stream (read in chunks, never whole)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._body.close()
        super().close()


def from_config(config: Any, instance_path: str) -> Storage:
    """The storage named by a configuration (`STORAGE_URL` and friends); ValueError if unknown."""
    url = (config.get("STORAGE_URL") or "").strip()
    attachments = config.get("ATTACHMENT_DIR")
    mounts: dict[str, str | Path] = {"attachments": attachments} if attachments else {}
    if not url:
        return LocalStorage(instance_path, mounts=mounts)
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise ValueError(f"STORAGE_URL {url!r}: a file URL names a local path (file:///…)")
        return LocalStorage(unquote(parsed.path), mounts=mounts)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ValueError(f"STORAGE_URL {url!r}: s3://bucket/prefix needs a bucket")
        return S3Storage(
            parsed.netloc,
            parsed.path,
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            region=config.get("S3_REGION"),
            access_key_id=config.get("S3_ACCESS_KEY_ID"),
            secret_access_key=config.get("S3_SECRET_ACCESS_KEY"),
        )
    raise ValueError(f"STORAGE_URL {url!r}: use file:///path or s3://bucket/prefix")


def get() -> Storage:
    """The application's storage (built once from its configuration)."""
    found = current_app.extensions.get(_EXTENSION)
    if found is None:
        found = from_config(current_app.config, current_app.instance_path)
        current_app.extensions[_EXTENSION] = found
    return cast(Storage, found)
