"""The console script: demo data, admin creation, production guards."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from click.testing import CliRunner

from matchmaker.cli import cli
from matchmaker.extensions import db
from matchmaker.models import AuditLog, Organisation, OrgStatus, User
from matchmaker.permissions import Role
from matchmaker.services.accounts.accounts import authenticate


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_fresh_database_has_no_accounts(db):
    """SECURITY.md row 6 (v5.0.0-6.3.2)."""
    assert count(User) == 0


def test_seed_demo_loads_every_role_through_the_services(runner, caplog):
    caplog.set_level(logging.INFO)
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    # One summary, not the index's log lines (queued and rebuilt) in between.
    assert not [r for r in caplog.records if r.name == "matchmaker.matching"]
    assert "recommender index generation" in result.output
    roles = set(db.session.scalars(sa.select(User.role).distinct()))
    assert roles == set(Role)
    statuses = set(db.session.scalars(sa.select(Organisation.status).distinct()))
    assert statuses == set(OrgStatus)
    # Loaded through the services: registrations and verifications are audited.
    actions = set(db.session.scalars(sa.select(AuditLog.action).distinct()))
    assert {"organisation.register", "organisation.verify", "invitation.accept"} <= actions
    assert authenticate(email="enterprise@example.com", password="demo-password-2026") is not None


def test_seed_demo_is_deterministic_and_guarded(runner):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    first = sorted(db.session.scalars(sa.select(Organisation.credit_code)).all(), key=str)
    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code != 0 and "--reset" in again.output
    skipped = runner.invoke(args=["seed", "demo", "--if-empty"])
    assert skipped.exit_code == 0 and "not loaded" in skipped.output
    reset = runner.invoke(args=["seed", "demo", "--reset"])
    assert reset.exit_code == 0, reset.output
    assert sorted(db.session.scalars(sa.select(Organisation.credit_code)).all(), key=str) == first


def test_seed_demo_refused_in_production_without_force(app, runner):
    """SECURITY.md row 6 (v5.0.0-13.2.3)."""
    app.config["SEED_ALLOWED"] = False
    try:
        result = runner.invoke(args=["seed", "demo"])
    finally:
        app.config["SEED_ALLOWED"] = True
    assert result.exit_code != 0
    assert "production" in result.output
    assert count(Organisation) == 0


def test_create_admin_reads_password_from_environment(runner, monkeypatch):
    """SECURITY.md row 6 (v5.0.0-6.3.2)."""
    monkeypatch.setenv("MATCHMAKER_ADMIN_PASSWORD", "a long admin passphrase 42")
    result = runner.invoke(args=["users", "create-admin", "Boss@Example.com", "--name", "王主任"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "boss@example.com"))
    assert (
        user is not None and user.role == Role.ADMIN and user.password_hash.startswith("$argon2id$")
    )


def test_create_admin_prompts_and_refuses_a_weak_password(runner, monkeypatch):
    """SECURITY.md row 6 (v5.0.0-6.3.2)."""
    monkeypatch.delenv("MATCHMAKER_ADMIN_PASSWORD", raising=False)
    result = runner.invoke(
        args=["users", "create-admin", "a@example.com"], input="password1\npassword1\n"
    )
    assert result.exit_code != 0
    assert count(User) == 0
    ok = runner.invoke(
        args=["users", "create-admin", "a@example.com"],
        input="tall green giraffes dance\ntall green giraffes dance\n",
    )
    assert ok.exit_code == 0, ok.output
    assert count(User) == 1


def test_console_script_is_a_flask_group(tmp_path, monkeypatch):
    monkeypatch.setenv("MATCHMAKER_ENV", "testing")
    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path))
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    for name in ("db", "seed", "users", "translate", "recommender", "run", "routes"):
        assert f"  {name} " in result.output


def test_commands_without_an_app_run_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("MATCHMAKER_SECRET_KEY", raising=False)
    monkeypatch.setenv("MATCHMAKER_ENV", "production")
    result = CliRunner().invoke(cli, ["recommender", "--help"])
    assert result.exit_code == 0 and "evaluate" in result.output


def test_seed_demo_prints_a_summary_and_queues_no_mail(runner):
    from matchmaker.models import Job
    from matchmaker.services.platform import mail

    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Loaded "), result.output
    mails = db.session.scalar(
        sa.select(sa.func.count()).select_from(Job).where(Job.name == mail.JOB_NAME)
    )
    assert mails == 0  # the demo's made-up people get no e-mail
