"""Usual days and hours per agent — for confidentiality risk only, never working-time measurement."""
