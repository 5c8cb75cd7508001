"""Flask extensions, created unbound; create_app() binds them."""

from typing import Any

import flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from matchmaker.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()


class _PerApp:
    """An attribute of the limiter kept per app (in `app.extensions`), not on the one object."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, limiter: Any, owner: type | None = None) -> Any:
        if limiter is None:
            return self
        state = _app_state(limiter)
        return state[self.name] if self.name in state else limiter.__dict__.get(self.name)

    def __set__(self, limiter: Any, value: Any) -> None:
        _app_state(limiter)[self.name] = value


def _app_state(limiter: Any) -> dict[str, Any]:
    app = limiter.__dict__.get("_binding") or (
        flask.current_app if flask.has_app_context() else None
    )
    if app is None:
        return limiter.__dict__
    return app.extensions.setdefault("matchmaker_limiter_state", {})


class PerAppLimiter(Limiter):
    """flask-limiter keeps its storage (and whether it fell back to memory) on the one module-level
    object, so every app in a process would count in the storage of the last app initialised;
    this keeps those per app (tests build apps with and without Redis side by side)."""

    _storage = _PerApp()
    _limiter = _PerApp()
    _storage_dead = _PerApp()
    _fallback_storage = _PerApp()
    _fallback_limiter = _PerApp()
    _in_memory_fallback_enabled = _PerApp()
    _swallow_errors = _PerApp()
    _storage_options = _PerApp()
    enabled = _PerApp()

    def init_app(self, app: flask.Flask) -> None:
        self.__dict__["_binding"] = app
        try:
            self._storage_options = dict(self.__dict__.get("_storage_options") or {})
            super().init_app(app)
        finally:
            self.__dict__["_binding"] = None


limiter = PerAppLimiter(key_func=get_remote_address)
