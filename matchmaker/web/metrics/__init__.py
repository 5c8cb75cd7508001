"""`/metrics` for Prometheus and the request timing behind it (services/platform/metrics.py)."""
