"""The org blueprint."""
