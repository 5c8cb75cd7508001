"""Accounts: registration, authentication, passwords, users and organisations."""
