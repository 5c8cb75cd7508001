"""My account settings: which notification e-mails I receive."""

from matchmaker.web.account import mfa_views  # noqa: F401, E402  (adds 两步验证 to bp)
