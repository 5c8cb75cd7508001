"""The auth blueprint."""

from matchmaker.web.auth import mfa_views  # noqa: F401  (adds the second-step routes to bp)
