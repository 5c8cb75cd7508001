"""Recommendations: feedback and the index admin page."""
