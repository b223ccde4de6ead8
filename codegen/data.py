"""The recordings a build measures on: a folder of WAVs (``--data DIR``), or synthetic ones.

``--data`` defaults to ``../shared/data/neuralink-dev`` relative to the current directory
when that folder exists (the dev recordings beside a checkout), else no folder: then every
measurement runs on synthetic channels (spikey.recordings.synth) and says so. A model's
measurements take its validation files (model.json's split) from the folder, never the
files it trained on.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spikey.recordings import read_wav, synth, to_codes

DEV_DATA = Path("..") / "shared" / "data" / "neuralink-dev"
SYNTH_SECONDS, SYNTH_SEED = 5.0, 1


def default_data_dir() -> Path | None:
    """``../shared/data/neuralink-dev`` of the current directory when it exists, else None."""
    return DEV_DATA if DEV_DATA.is_dir() else None


@dataclass
class Recordings:
    names: list
    samples: list                  # int16 arrays, one per recording
    wav_bytes: list                # the size of each original WAV file
    description: str

    @property
    def codes(self) -> list:
        """The 10-bit codes of every recording (int16)."""
        return [to_codes(s).astype(np.int16) for s in self.samples]

    def rows(self) -> list:
        """[(name, codes, wav_bytes)], the form the HIL checks and the report take."""
        return list(zip(self.names, self.codes, self.wav_bytes))


def synthetic(n: int, why: str, seconds: float = SYNTH_SECONDS) -> Recordings:
    """``n`` synthetic channels (seed SYNTH_SEED), saying why they stand in."""
    x = synth.generate(n, seconds, seed=SYNTH_SEED)
    return Recordings([f"synth-seed{SYNTH_SEED}-ch{i}" for i in range(n)], list(x), [44 + 2 * x.shape[1]] * n,
                      f"{n} synthetic channels (spikey.recordings.synth.generate({n}, {seconds:g}, seed={SYNTH_SEED})): "
                      f"{why}")


def recordings(data_dir, files: int | None, meta: dict | None = None,
               synth_seconds: float = SYNTH_SECONDS) -> Recordings:
    """The first ``files`` (all: None) of the model's validation files found in ``data_dir``
    (without a model: of every WAV there, by name); synthetic channels (``files`` or 4, of
    ``synth_seconds``) where the folder or a file is absent."""
    if data_dir is None:
        return synthetic(files or 4, "no --data folder (../shared/data/neuralink-dev is not here)", synth_seconds)
    data_dir = Path(data_dir)
    if meta is not None:
        names = list((meta.get("split") or {}).get("validation") or [])[:files]
        what = f"the model's {'first ' if files else ''}{len(names)} validation files"
    else:
        names = sorted(p.name for p in data_dir.glob("*.wav"))[:files]
        what = f"{'the first ' if files else ''}{len(names)} recordings (by name)"
    if not names or not all((data_dir / n).is_file() for n in names):
        return synthetic(files or 4, f"the recordings were not found in {data_dir}", synth_seconds)
    recs = [read_wav(data_dir / n) for n in names]
    return Recordings(names, [np.asarray(r.samples, np.int16) for r in recs],
                      [(data_dir / n).stat().st_size for n in names], f"{what}, from {data_dir}")
