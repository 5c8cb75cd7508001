"""The supply chain (SECURITY.md row 37, v5.0.0-15.1.2 and 15.2.1): `requirements.lock` pins the
exact runtime dependency set that `make audit` checks for known vulnerabilities (pip-audit) and
describes in a CycloneDX SBOM; a deployment installs within it
(`pip install -c requirements.lock .`, docs/deploy.md).

Regenerate the lock from the project's virtualenv after changing a dependency (DEVELOPERS.md):

    .venv/bin/python -m tests.test_supply_chain > requirements.lock

It is the closure of `[project] dependencies` (their extras and environment markers evaluated
for this interpreter) over the installed distributions' own requirements, each pinned to the
installed version: `pip freeze --exclude-editable` without the test, audit and benchmark tools.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
#: Tools of the `test`, `audit` and `bench` extras that must never be runtime dependencies.
NOT_RUNTIME = ("pytest", "ruff", "mypy", "playwright", "pip-audit", "bandit", "cyclonedx-bom")


def project_dependencies() -> list[Requirement]:
    """`[project] dependencies` of pyproject.toml."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    return [Requirement(text) for text in data["project"]["dependencies"]]


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    environment = dict(default_environment())
    return any(
        requirement.marker.evaluate({**environment, "extra": extra}) for extra in (extras or {""})
    )


def runtime_closure() -> dict[str, str]:
    """{canonical name: installed version} of every distribution the runtime needs here."""
    found: dict[str, str] = {}
    extras_seen: dict[str, set[str]] = {}
    pending = [(r, set(r.extras)) for r in project_dependencies()]
    while pending:
        requirement, extras = pending.pop()
        name = canonicalize_name(requirement.name)
        known = extras_seen.setdefault(name, set())
        if name in found and extras <= known:
            continue
        known |= extras
        distribution = metadata.distribution(name)
        found[name] = distribution.version
        for text in distribution.requires or []:
            child = Requirement(text)
            if _applies(child, known):
                pending.append((child, set(child.extras)))
    return dict(sorted(found.items()))


def lock_text() -> str:
    """The lock file for the current virtualenv."""
    lines = [
        "# The exact runtime dependency set (SECURITY.md row 37): `make audit` audits it,",
        "# deployments install within it (pip install -c requirements.lock .). Regenerate:",
        "#   .venv/bin/python -m tests.test_supply_chain > requirements.lock",
    ]
    lines += [f"{name}=={version}" for name, version in runtime_closure().items()]
    return "\n".join(lines) + "\n"


def read_lock(path: Path = LOCK) -> dict[str, str]:
    """{canonical name: pinned version}; every line must be `name==version`."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)", line)
        assert match, f"requirements.lock line {number} is not `name==version`: {raw!r}"
        name = canonicalize_name(match.group(1))
        assert name not in pins, f"requirements.lock pins {name} twice"
        pins[name] = match.group(2)
    return pins


def test_the_lock_pins_every_runtime_dependency_within_its_range():
    """SECURITY.md row 37 (v5.0.0-15.1.2): every `[project] dependency` is pinned exactly, to a
    version its range in pyproject.toml allows (an upgrade for a vulnerability stays in range)."""
    pins = read_lock()
    for requirement in project_dependencies():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is missing from requirements.lock: regenerate it"
        assert requirement.specifier.contains(Version(pins[name]), prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside {requirement.specifier}"
        )
    for extra_name in ("psycopg-binary",):  # psycopg[binary]: the extra's package too
        assert extra_name in pins


def test_the_lock_is_closed_over_what_it_pins():
    """SECURITY.md row 37 (v5.0.0-15.1.2): what each pinned distribution requires is pinned too
    (checked with the installed metadata of the versions installed at the pinned version)."""
    pins = read_lock()
    environment = dict(default_environment(), extra="")
    checked = 0
    for name, version in pins.items():
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if distribution.version != version:
            continue
        checked += 1
        for text in distribution.requires or []:
            child = Requirement(text)
            if child.marker is None or child.marker.evaluate(environment):
                assert canonicalize_name(child.name) in pins, (
                    f"{name} needs {child.name}, which requirements.lock does not pin"
                )
    assert checked >= len(project_dependencies())


def test_no_development_tool_is_a_runtime_dependency():
    """SECURITY.md row 37 (v5.0.0-15.2.1): the SBOM describes what runs, not the test tools."""
    pins = read_lock()
    assert not [name for name in NOT_RUNTIME if name in pins]


def test_make_audit_audits_the_lock_checks_the_code_and_writes_an_sbom():
    """SECURITY.md row 37: the CI step (`make audit`, .ci/run) audits requirements.lock with
    pip-audit (strict: a service that cannot be reached fails), runs bandit at medium severity
    and writes a CycloneDX SBOM into build/, which git ignores."""
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", "audit"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    plan = done.stdout.replace("\\\n", " ")  # continued lines as one
    assert re.search(r"pip-audit .*--strict.*-r requirements\.lock", plan), plan
    assert re.search(r"bandit .*-r matchmaker.* -ll", plan), plan
    assert re.search(r"cyclonedx-py requirements requirements\.lock .*-o build/", plan), plan
    assert "build/" in (ROOT / ".gitignore").read_text().splitlines()
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index('step "audit"') < ci.index('step "make test (SQLite)"')


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit(f"usage: {sys.argv[0]} > requirements.lock")
    sys.stdout.write(lock_text())
