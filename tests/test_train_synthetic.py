"""A short training run on synthetic recordings, end to end through ``train.run``."""
import argparse
import json

import numpy as np
import pytest
import yaml

from codegen.reference.compile import load_model
from codegen.reference.loss import float_bits
from spikey.recordings import RecordingError, synth
from spikey_train import train

CONFIG = {
    "name": "synthetic-test",
    "features": {"window": 8, "levels": 2, "taps": 7},
    "model": {"hidden": [16], "latent": 8, "predictor": [8]},
    "split": {"every": 5, "offset": 0},
    "train": {"seed": 1, "steps": 240, "batch": 2048, "lr": 0.01, "eval_every": 160, "threads": 1},
}


def _args(data, config, out, resume=False):
    p = argparse.ArgumentParser()
    train.add_arguments(p)
    argv = ["--data", str(data), "--config", str(config), "--out", str(out), "--quiet"]
    return p.parse_args(argv + (["--resume"] if resume else []))


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth")
    synth.write_dir(d, channels=10, seconds=2.0, seed=11)
    return d


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    p = tmp_path_factory.mktemp("cfg") / "tiny.yaml"
    p.write_text(yaml.safe_dump(CONFIG))
    return p


@pytest.fixture(scope="module")
def trained(data_dir, config, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert train.run(_args(data_dir, config, out)) == 0
    return out


def test_training_beats_the_first_difference_floor(trained):
    m = json.loads((trained / "metrics.json").read_text())
    pf, floor = m["validation"]["per_file"], m["floor"]
    assert pf["samples"] == 2 * round(2.0 * synth.SAMPLE_RATE)          # ch000 and ch005 held out
    assert pf["bits_per_sample"] < floor["bits_per_sample"] - 0.02   # measured: 4.679 vs 4.713
    hist = m["history"]
    assert hist[-1]["train_bits_per_sample"] < hist[0]["train_bits_per_sample"]


def test_exported_files_are_consistent(trained):
    model, meta = load_model(trained)
    assert meta["split"]["validation"] == ["ch000.wav", "ch005.wav"]
    assert meta["check"]["max_abs_diff"] < 1e-5
    assert meta["features"]["window"] == 8 and len(meta["features"]["fir"]["lo_q15"]) == 7


def test_bits_from_export_agree_with_metrics(trained, data_dir):
    from spikey.recordings import read_wav, to_codes
    _, meta = load_model(trained)
    total, n = 0.0, 0
    for name in meta["split"]["validation"]:
        c = to_codes(read_wav(data_dir / name).samples)
        total += float_bits(trained, meta, c)
        n += len(c)
    assert total / n == pytest.approx(meta["metrics"]["validation"]["per_file"]["bits_per_sample"], rel=1e-4)


def test_training_is_deterministic_and_resumable(trained, data_dir, config, tmp_path):
    # the checkpoint of the first run is at step 160 (eval_every); resuming from it must
    # reproduce the uninterrupted run exactly
    again = tmp_path / "again"
    assert train.run(_args(data_dir, config, again)) == 0
    assert (again / "model.onnx").read_bytes() == (trained / "model.onnx").read_bytes()
    resumed = tmp_path / "resumed"
    resumed.mkdir()
    (resumed / "checkpoint.pt").write_bytes((trained / "checkpoint.pt").read_bytes())
    assert train.run(_args(data_dir, config, resumed, resume=True)) == 0
    assert (resumed / "model.onnx").read_bytes() == (trained / "model.onnx").read_bytes()


def test_joint_middleout_training_runs(data_dir, config, tmp_path):
    cfg = dict(CONFIG, name="synthetic-joint", model=dict(CONFIG["model"], middleout=True, peers=2, zero_lag=True),
               train=dict(CONFIG["train"], steps=60, frames=64))
    p = tmp_path / "joint.yaml"
    p.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "joint"
    assert train.run(_args(data_dir, p, out)) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert set(m["validation"]) == {"per_file", "joint"}
    _, meta = load_model(out)
    peers = np.array(meta["topology"]["peers"])
    assert peers.shape == (10, 2)
    assert all(p < i for i, row in enumerate(peers) for p in row if p >= 0)      # earlier channels only
    assert peers[0].tolist() == [-1, -1]


def test_bad_inputs_give_one_line_errors(tmp_path, data_dir, config):
    with pytest.raises(RecordingError, match="not found"):
        train.run(_args(tmp_path / "nope", config, tmp_path / "o"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: {projector: gru}\n")
    with pytest.raises(ValueError, match="projector"):
        train.run(_args(data_dir, bad, tmp_path / "o"))
    bad.write_text("trian: {}\n")
    with pytest.raises(ValueError, match="unknown config section"):
        train.run(_args(data_dir, bad, tmp_path / "o"))
    with pytest.raises(ValueError, match="not found"):
        train.run(_args(data_dir, tmp_path / "missing.yaml", tmp_path / "o"))


def test_a_trained_model_is_compiled_for_the_codec(trained, data_dir, tmp_path):
    """Training ends with codegen compile: spikey encode/decode take the output folder as
    --model, and its identity is the reference compiler's."""
    from codegen.reference.compile import compile_model
    from spikey.cli import main
    from spikey.learned import LearnedCodec

    assert (trained / "compiled" / "compiled.json").is_file()
    assert LearnedCodec(str(trained)).MODEL_ID == compile_model(trained).identity()
    src = data_dir / "ch000.wav"
    assert main(["encode", "--model", str(trained), str(src), str(tmp_path / "a.spk")]) == 0
    assert main(["decode", "--model", str(trained), str(tmp_path / "a.spk"), str(tmp_path / "a.wav")]) == 0
    assert (tmp_path / "a.wav").read_bytes() == src.read_bytes()


def test_spikey_train_is_the_training_program(tmp_path):
    """``spikey train`` runs ``python -m spikey_train`` in its place: its help, and a bad
    data folder as one line with exit status 1."""
    import subprocess
    import sys
    run = [sys.executable, "-m", "spikey.cli", "train"]
    help_ = subprocess.run(run + ["--help"], capture_output=True, text=True)
    assert help_.returncode == 0 and "--data" in help_.stdout and "default.yaml" in help_.stdout
    bad = subprocess.run(run + ["--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o")],
                         capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "not found" in bad.stderr
