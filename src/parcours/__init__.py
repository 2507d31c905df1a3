"""Parcours: LPE registration, misuse-of-purpose detection and alert management, barometer."""

__version__ = "0.1.0"
