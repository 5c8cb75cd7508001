"""Deployment tests: real servers, one PostgreSQL database and Redis (`pytest -m deploy`)."""
