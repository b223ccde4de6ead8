"""Spikey: predictive compression of neural-implant recordings (the codec runtime).

Layers, each importing only those below (docs/architecture.md): spikey (this package: the
codec, no torch) < codegen (the compiler) < spikey_train (training, torch).
"""
__version__ = "0.2.0"
