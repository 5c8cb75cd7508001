"""Business logic as plain functions; callers commit."""
