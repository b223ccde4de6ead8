"""Recordings: exact WAV I/O, the 10-bit ADC grid, and synthetic recordings."""
from .adc import GRID, from_codes, off_grid, to_codes
from .wav import Recording, RecordingError, canonical_prefix, from_samples, parse_wav, read_wav

__all__ = ["GRID", "Recording", "RecordingError", "canonical_prefix", "from_codes", "from_samples",
           "off_grid", "parse_wav", "read_wav", "to_codes"]
