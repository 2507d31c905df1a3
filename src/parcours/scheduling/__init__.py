"""Calendars, slots and the DPA appointment book."""
