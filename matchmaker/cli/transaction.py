"""The unit of work of a command: one transaction per command, as a request has."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask.cli import with_appcontext

P = ParamSpec("P")
R = TypeVar("R")


def transactional(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command in the app context as one unit of work: commit at its end, or roll back."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        from matchmaker.services.platform import uow

        with uow.scope():
            return command(*args, **kwargs)

    return with_appcontext(run)
