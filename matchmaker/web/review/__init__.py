"""The admin review queue."""
