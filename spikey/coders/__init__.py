"""Entropy coders: Python reference implementations, bit-exact with firmware/."""
