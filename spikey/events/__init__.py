"""Event mode (container mode 2): spikes and spike-band power instead of samples.

design.py    the spike-band FIR, fitted offline to the reference's response, int16 taps
params.py    the build parameters and their bytes in the container's mode params
pipeline.py  the integer pipeline per channel (filter, noise tracker, detector, SBP)
coding.py    the adaptive binary range coding of spike offsets and SBP per frame
stream.py    recordings <-> event streams (per file and joint), the decoded arrays
"""
