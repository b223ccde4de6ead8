"""Quantisation: the float IR + calibration data -> the integer IR, with the static range proof."""
