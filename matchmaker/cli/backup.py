"""`matchmaker backup`: back up and restore the database and the stored files (docs/deploy.md)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click
from flask.cli import with_appcontext


@click.group("backup")
def backup_group() -> None:
    """Back up and restore the database and the stored files."""


def _say(message: str) -> None:
    click.echo(message, err=True)


def _track(items: Iterable[Any], length: int, label: str) -> Iterator[Any]:
    if length == 0:
        return
    with click.progressbar(items, length=length, label=label, file=sys.stderr) as bar:
        yield from bar


def _progress():  # noqa: ANN202
    from matchmaker.services.platform.backup import Progress

    return Progress(say=_say, track=_track)


@backup_group.command("create")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="The archive to write, or a folder to write it into "
    "(default ./matchmaker-backup-<UTC time>.tar.gz).",
)
@click.option(
    "--keep",
    type=click.IntRange(min=1),
    help="Then delete all but the newest KEEP matchmaker-backup-*.tar.gz of that folder.",
)
@with_appcontext
def backup_create(out: Path | None, keep: int | None) -> None:
    """Write one .tar.gz: manifest, database dump and stored files. Safe while serving."""
    from matchmaker.services.platform.backup import (
        BackupError,
        archive_name,
        create_backup,
        prune_backups,
    )

    if out is None:
        out = Path(archive_name())
    elif out.is_dir():
        out = out / archive_name()
    try:
        manifest = create_backup(out, progress=_progress())
        pruned = prune_backups(out.parent, keep=keep) if keep else []
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    size = sum(entry["size"] for entry in manifest["files"])
    click.echo(
        f"{out}: {manifest['dialect']} at {', '.join(manifest['alembic_revision']) or '-'}, "
        f"{sum(manifest['tables'].values())} rows in {len(manifest['tables'])} tables, "
        f"{len(manifest['files'])} files ({size} bytes), {out.stat().st_size} bytes archived"
    )
    for name in manifest["missing_files"]:
        click.echo(f"warning: stored file {name} is referenced but missing", err=True)
    for path in pruned:
        click.echo(f"deleted old backup {path}")


@backup_group.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace everything in a non-empty target database.")
@with_appcontext
def backup_restore(archive: Path, force: bool) -> None:
    """Restore ARCHIVE into the configured (empty) database and file store.

    Stop the app and its workers first. Every checksum is verified before anything is written.
    """
    from matchmaker.services.platform.backup import BackupError, restore_backup

    try:
        summary = restore_backup(archive, force=force, progress=_progress())
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {archive}:")
    for table, count in summary.rows.items():
        click.echo(f"  {table:<40} {count:>10}")
    click.echo(f"  {sum(summary.rows.values())} rows in {len(summary.rows)} tables")
    click.echo(f"  {summary.files} files ({summary.file_bytes} bytes)")
    for note in summary.notes:
        click.echo(f"note: {note}", err=True)
    if summary.needs_upgrade:
        click.echo(
            f"The archive is at migration {', '.join(summary.revision)}, older than this code: "
            "run `matchmaker db upgrade` now."
        )
