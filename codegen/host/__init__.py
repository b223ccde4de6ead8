"""Host builds of generated C and of the runtime (cffi), for the checks of the C against the Python reference."""
