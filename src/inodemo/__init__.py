"""Synthetic demo data: a seeded reconstruction of the published Indian InO cohort and its site extracts."""
