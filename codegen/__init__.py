"""Spikey codegen: a trained model (ONNX + metadata) -> integer IR -> Python reference ->
generated C, built for the host (cffi) and for Cortex-M targets (run in QEMU), checked
three ways and measured for its build report. One stage a folder (docs/architecture.md).
Imports spikey, never torch or spikey_train."""
