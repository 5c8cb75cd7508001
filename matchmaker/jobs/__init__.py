"""Background job handlers: thin wrappers over services, registered by name."""

from matchmaker.jobs import tasks  # noqa: F401 - registers the handlers
