"""A submitted form and the service behind it: the service's refusal goes next to the fields.

    if form.validate_on_submit():
        with form_errors(form) as outcome:
            listing = listings.create_listing(actor=current_user, data=form.to_data())
        if outcome.ok:
            flash(...)
            return redirect(...)
    return render_template(..., form=form)

A `ValidationFailed` raised inside the block discards the unit of work (nothing of the step is
stored), puts each message on its field (or flashes it when no field has that name) and lets
the view render the form again. Every other domain error goes on to the one error mapping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import flash
from flask_wtf import FlaskForm

from matchmaker.services.errors import ValidationFailed
from matchmaker.services.platform import uow


def apply_errors(form: FlaskForm | None, error: ValidationFailed) -> None:
    """Show a service's validation errors next to the form's fields."""
    for name, messages in error.errors.items():
        field = getattr(form, name, None) if form is not None else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, *messages]
        else:
            for message in messages:
                flash(message, "danger")


@dataclass
class Outcome:
    """Whether the block ran through; the error when it did not."""

    ok: bool = True
    error: ValidationFailed | None = None


@contextmanager
def form_errors(form: FlaskForm | None) -> Iterator[Outcome]:
    """Run a service call for a submitted form; see the module docstring."""
    outcome = Outcome()
    try:
        yield outcome
    except ValidationFailed as error:
        uow.discard()
        apply_errors(form, error)
        outcome.ok, outcome.error = False, error
