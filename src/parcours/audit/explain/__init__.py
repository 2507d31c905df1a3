"""Explanations: each consultation tested against the legitimate contexts of `explanations.yaml`."""
