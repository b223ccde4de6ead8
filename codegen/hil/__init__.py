"""Hardware in the loop: the firmware run in QEMU (one runner, one run type) and the drivers of the HIL programs."""
