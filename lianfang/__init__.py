"""Lianfang (联防): a district's epidemic prevention-and-control platform."""
