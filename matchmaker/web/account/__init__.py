"""My account settings: which notification e-mails I receive."""
