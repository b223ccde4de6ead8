"""Target builds: the cross toolchain, the table of Cortex-M targets, and the ELF build."""
