"""`matchmaker translate`: the Babel catalogs (needs no app)."""

from __future__ import annotations

import click

from matchmaker import ROOT


@click.group("translate")
def translate_group() -> None:
    """Translation catalogs (Babel)."""


def _pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    status = CommandLineInterface().run(["pybabel", "-q", *args])
    if status:
        raise click.ClickException(f"pybabel {args[0]} failed")


TRANSLATIONS = ROOT / "matchmaker" / "translations"
POT = ROOT / "messages.pot"


@translate_group.command("extract")
def translate_extract() -> None:
    """Collect the marked strings into messages.pot."""
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        # Babel skips folders starting with "_" by default; templates/_partials must be read.
        "--ignore-dirs",
        ".* __pycache__",
        "-o",
        str(POT),
        str(ROOT / "matchmaker"),
        str(ROOT / "templates"),
    )


@translate_group.command("update")
def translate_update() -> None:
    """Extract, then merge new strings into every catalog."""
    translate_extract.callback()  # type: ignore[misc]
    _pybabel(
        "update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching", "--width", "100"
    )


@translate_group.command("compile")
def translate_compile() -> None:
    """Compile the catalogs (.po → .mo)."""
    _pybabel("compile", "-d", str(TRANSLATIONS), "--statistics")
