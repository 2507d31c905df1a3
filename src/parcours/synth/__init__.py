"""The synthetic region and its ground truth: `generate(scale=..., seed=..., out=...)`."""

from parcours.synth.calendar import Period
from parcours.synth.generator import DEFAULT_PERIOD, SynthSummary, generate

__all__ = ["DEFAULT_PERIOD", "Period", "SynthSummary", "generate"]
