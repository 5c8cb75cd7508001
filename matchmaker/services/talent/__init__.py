"""Talent (人才): expert profiles of universities and institutes, their review and search."""
