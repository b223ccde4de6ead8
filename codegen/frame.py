"""The frame length of a build: samples per encode call (per file) and time steps per joint
frame (the container's ``frame`` field), 1..FRAME_MAX. The range coder does not flush at a
frame boundary, so the payload is the same for every frame length; the frame sets the
buffering latency and the encode calls' granularity (bench/frames.py measures both)."""
from __future__ import annotations

from .errors import BuildError

FRAME_MAX = 256       # the HIL's input buffer (SPK_HIL_FRAME_MAX) and a sane bound on buffering


def check_frame(frame) -> int:
    if isinstance(frame, bool) or not isinstance(frame, int) or not 1 <= frame <= FRAME_MAX:
        raise BuildError(f"--frame {frame}: must be an integer from 1 to {FRAME_MAX} samples")
    return frame
