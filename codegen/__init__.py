"""Spikey codegen: builds the firmware for the host (cffi) and for Cortex-M targets (QEMU)."""
