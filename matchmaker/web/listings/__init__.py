"""Owners manage their results and needs."""
