"""TOTP seeds are stored sealed (services/platform/sealing.py, docs/security.md §4.11,
SECURITY.md row 7): the database holds `fernet:…`, the second factor still checks codes; keys
rotate; a seed no key opens fails closed; the migration seals the seeds stored before."""

from __future__ import annotations

import time

import pyotp
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade

from matchmaker import create_app
from matchmaker.config import TestConfig
from matchmaker.extensions import db as _db
from matchmaker.models import User
from matchmaker.services.accounts import mfa
from matchmaker.services.platform.sealing import PREFIX, UNREADABLE, derived_key, open_sealed, seal
from tests.factories import make_user
from tests.test_migrations import MIGRATIONS, empty_database_url  # noqa: F401 - a fixture


def stored(user_id: int) -> str | None:
    """The column as the database holds it."""
    return _db.session.execute(
        sa.text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user_id}
    ).scalar_one()


def enrol(role: str = "bank") -> tuple[User, str, list[str]]:
    """A user with the factor on, enrolled with the code of the step before now."""
    user = make_user(role)
    secret = mfa.new_secret()
    codes = mfa.confirm_enrolment(
        user=user, secret=secret, code=pyotp.TOTP(secret).at(time.time() - 30), now=time.time()
    )
    _db.session.commit()
    return user, secret, codes


@pytest.fixture
def keys(app):
    """Set SEALING_KEYS for a test (restored after it)."""
    before = app.config.get("SEALING_KEYS")

    def use(*given: bytes) -> None:
        app.config["SEALING_KEYS"] = ",".join(k.decode() for k in given) if given else None
        _db.session.expire_all()

    yield use
    app.config["SEALING_KEYS"] = before


def test_the_database_holds_the_seed_sealed_and_the_app_reads_it(db):
    user, secret, _codes = enrol()
    raw = stored(user.id)
    assert raw is not None and raw.startswith(PREFIX)
    assert secret not in raw
    _db.session.expire_all()
    again = _db.session.get(User, user.id)
    assert mfa.secret_of(again) == secret
    assert mfa.verify_second_factor(user=again, code=pyotp.TOTP(secret).now()) == "totp"


def test_a_rotated_key_still_opens_and_reseal_moves_every_seed_to_the_new_one(db, keys, runner):
    old, new = Fernet.generate_key(), Fernet.generate_key()
    keys(old)
    user, secret, _codes = enrol()
    keys(new, old)  # the new key first: it seals, both open
    assert mfa.secret_of(_db.session.get(User, user.id)) == secret
    result = runner.invoke(args=["users", "reseal-two-step"])
    assert result.exit_code == 0, result.output
    assert "Resealed 1 " in result.output
    keys(new)  # the old key retired
    assert mfa.secret_of(_db.session.get(User, user.id)) == secret
    assert open_sealed(stored(user.id), {"SEALING_KEYS": old.decode()}) == UNREADABLE


def test_a_seed_no_key_opens_fails_closed_but_recovery_codes_work(db, keys):
    """Losing the key must not turn the factor off (a new enrolment for whoever has the
    password): every code is refused; a recovery code still logs in; an admin can reset."""
    keys(Fernet.generate_key())
    user, secret, codes = enrol("admin")
    keys(Fernet.generate_key())
    user = _db.session.get(User, user.id)
    assert mfa.secret_of(user) == UNREADABLE
    assert user.has_totp and not mfa.must_enrol(user)
    assert mfa.verify_second_factor(user=user, code=pyotp.TOTP(secret).now()) is None
    assert mfa.verify_second_factor(user=user, code=codes[0]) == "recovery_code"


def test_changing_the_secret_key_the_flask_way_keeps_seeds_readable(app, db, keys):
    """Without SEALING_KEYS the key is derived from SECRET_KEY, and SECRET_KEY_FALLBACKS
    (Flask's rotation setting) still opens what the previous secret key sealed."""
    keys()
    user, secret, _codes = enrol()
    before = app.config["SECRET_KEY"], app.config.get("SECRET_KEY_FALLBACKS")
    try:
        app.config["SECRET_KEY_FALLBACKS"] = [before[0]]
        app.config["SECRET_KEY"] = "a-new-secret-key-for-this-test-0123456789"
        _db.session.expire_all()
        assert mfa.secret_of(_db.session.get(User, user.id)) == secret
        app.config["SECRET_KEY_FALLBACKS"] = []
        _db.session.expire_all()
        assert mfa.secret_of(_db.session.get(User, user.id)) == UNREADABLE
    finally:
        app.config["SECRET_KEY"], app.config["SECRET_KEY_FALLBACKS"] = before


def test_sealing_uses_the_configured_key_not_the_derived_one():
    key = Fernet.generate_key()
    sealed = seal("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", {"SEALING_KEYS": key.decode()})
    assert open_sealed(sealed, {"SEALING_KEYS": key.decode()}) == "JBSWY3DPEHPK3PXP" * 2
    derived = {"SECRET_KEY": "some-secret-key", "SEALING_KEYS": None}
    assert open_sealed(sealed, derived) == UNREADABLE
    assert derived_key("some-secret-key") != key
    with pytest.raises(ValueError, match="Fernet key"):
        seal("x", {"SEALING_KEYS": "not-a-fernet-key"})


def test_the_migration_seals_the_seeds_stored_before_it_and_downgrade_opens_them(
    empty_database_url,  # noqa: F811 - the fixture
    tmp_path,
):
    app = create_app(
        TestConfig, instance_path=str(tmp_path), SQLALCHEMY_DATABASE_URI=empty_database_url
    )
    plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        user_id = make_user("admin").id
        _db.session.commit()
        downgrade(directory=MIGRATIONS, revision="b17a0f0a1003")
        _db.session.execute(sa.text("UPDATE users SET totp_secret = :s"), {"s": plain})
        _db.session.commit()
        upgrade(directory=MIGRATIONS)
        raw = stored(user_id)
        assert raw is not None and raw.startswith(PREFIX) and plain not in raw
        assert mfa.secret_of(_db.session.get(User, user_id)) == plain
        _db.session.commit()
        downgrade(directory=MIGRATIONS, revision="b17a0f0a1003")
        assert stored(user_id) == plain
        _db.session.remove()
        downgrade(directory=MIGRATIONS, revision="base")
        _db.engine.dispose()
