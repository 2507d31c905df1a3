"""The append-only consultation log: who opened which job seeker's file, when, where, to do what."""
