"""Spikey: lossless predictive compression of neural-implant recordings."""
__version__ = "0.1.0"
