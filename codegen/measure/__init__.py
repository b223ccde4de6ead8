"""Measurement of a firmware build: memory, stack, instructions (QEMU -icount) and the cycle model."""
