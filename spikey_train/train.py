"""``spikey train --data DIR --config CONFIG --out DIR``: train, evaluate, export.

1. Read every ``*.wav`` in DIR (sorted by name) as 10-bit codes; split by file:
   validation = sorted files ``[offset::every]``, never seen in training (not even as
   MiddleOut peers).
2. Compute the integer features of every file once (``features.py``), from a cold start.
3. Train on what the coder pays (``model.bits``), Adam with cosine decay, fixed seeds:
   FC models on random (file, time) rows; LSTM models on random crops (a burn-in at the
   start of each crop is not scored); joint MiddleOut models on random time steps of all
   channels at once.
4. Evaluate whole validation files (bits/sample, the first sample costs 10 bits raw),
   export ONNX + metadata (``export.py``) and write ``metrics.json``.

Checkpoints go to ``OUT/checkpoint.pt`` every ``eval_every`` steps; ``--resume`` continues
from it bit for bit (same RNG states).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import yaml
from tqdm import tqdm

from spikey import features as ft
from spikey.recordings import RecordingError, read_wav, to_codes
from spikey.topology import thread_topology

from codegen.compile import compile_dir
from codegen.errors import CodegenError

from .export import export_model
from .model import ModelConfig, SpikeyNet, count_macs, count_weights, initial_log_widths, linearisation_table

FIRST_SAMPLE_BITS = 10  # the first code of a file is sent raw

# train options: seed; steps of Adam; batch = rows per step (FC; LSTM: batch // seq_len crops
# of seq_len, the first burn_in steps of each not scored; joint: `frames` time steps of all
# channels); lr (peak, cosine decay); eval_every = checkpoint every N steps; max_minutes =
# wall-clock limit of the loop (a run stopped by it is not reproducible); threads <= 2.
DEFAULT_TRAIN = {"seed": 0, "steps": 3000, "batch": 4096, "lr": 3e-3, "weight_decay": 0.0,
                 "seq_len": 512, "burn_in": 64, "eval_every": 500, "max_minutes": 14.0,
                 "threads": 2, "frames": 64}
DEFAULT_SPLIT = {"every": 5, "offset": 0}
DEFAULT_TOPOLOGY = {"calibration_seconds": 1.0}


# --- configuration -------------------------------------------------------------------------

@dataclass
class Config:
    name: str
    features: ft.FeatureConfig
    model: ModelConfig
    train: dict
    split: dict
    topology: dict
    raw: dict


def load_config(path: str | Path) -> Config:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"config file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise ValueError(f"config {path} is not valid YAML: {str(e).splitlines()[0]}") from None
    return config_from_dict(raw, default_name=path.stem)


def config_from_dict(raw: dict, default_name: str = "model") -> Config:
    if not isinstance(raw, dict):
        raise ValueError("config must be a mapping")
    unknown = set(raw) - {"name", "features", "model", "train", "split", "topology"}
    if unknown:
        raise ValueError(f"unknown config section(s): {', '.join(sorted(unknown))}")
    tr = {**DEFAULT_TRAIN, **(raw.get("train") or {})}
    bad = set(tr) - set(DEFAULT_TRAIN)
    if bad:
        raise ValueError(f"unknown train option(s): {', '.join(sorted(bad))}")
    split = {**DEFAULT_SPLIT, **(raw.get("split") or {})}
    if int(split["every"]) < 2:
        raise ValueError("split.every must be at least 2")
    return Config(name=str(raw.get("name", default_name)),
                  features=ft.FeatureConfig.from_dict(raw.get("features") or {}),
                  model=ModelConfig.from_dict(raw.get("model") or {}),
                  train=tr, split=split, topology={**DEFAULT_TOPOLOGY, **(raw.get("topology") or {})},
                  raw=raw)


# --- data ----------------------------------------------------------------------------------

def load_codes(data_dir: str | Path) -> tuple[list[str], list[np.ndarray], int]:
    """Sorted WAV names, their 10-bit codes and the common sample rate."""
    d = Path(data_dir)
    if not d.is_dir():
        raise RecordingError(f"data directory not found: {d}")
    paths = sorted(d.glob("*.wav"))
    if not paths:
        raise RecordingError(f"no .wav files in {d}")
    recs = [read_wav(p) for p in paths]
    rate = recs[0].sample_rate
    return [p.name for p in paths], [to_codes(r.samples) for r in recs], rate


def split_files(names: list[str], every: int, offset: int) -> tuple[list[int], list[int]]:
    """Indices (into the sorted names) of training and validation files."""
    val = list(range(offset % every, len(names), every))
    train = [i for i in range(len(names)) if i not in set(val)]
    if not train or not val:
        raise ValueError(f"split every={every} leaves no training or no validation files ({len(names)} files)")
    return train, val


@dataclass
class Rows:
    """Network inputs of one file: row t predicts x[t+1] (t = 0..n-2)."""
    u: np.ndarray        # float32 (n-1, n_in)
    target: np.ndarray   # int32 (n-1,) x[t+1] - x[t]
    sh: np.ndarray       # int32 (n-1,)
    code: np.ndarray     # int32 (n-1,) x[t]


def file_rows(ff: ft.FileFeatures, lin: np.ndarray | None = None) -> Rows:
    w = ft.window_of_differences(ff.codes, ff.cfg.window, lin)
    u = ft.normalise(w, ff.wavelet, ff.ema, ff.sh, window_q=0 if lin is None else ft.Q_FEAT)
    d = ft.first_differences(ff.codes)
    return Rows(u[:-1], d[1:].astype(np.int32), ff.sh[:-1], ff.codes[:-1].astype(np.int32))


def build_rows(codes: list[np.ndarray], fcfg: ft.FeatureConfig, lin: np.ndarray | None = None) -> list[Rows]:
    return [file_rows(ff, lin) for ff in ft.file_features(codes, fcfg, lin)]


def prepare(codes: list[np.ndarray], train_idx: list[int], fcfg: ft.FeatureConfig):
    """Rows of every file, the initial code-edge widths (from training files only) and,
    if the features are linearised, the Q4 table they were computed with."""
    log_w = initial_log_widths([codes[i] for i in train_idx])
    lin = linearisation_table(log_w) if fcfg.linearise else None
    return build_rows(codes, fcfg, lin), log_w, lin


# --- joint (MiddleOut) helpers ---------------------------------------------------------------

def peer_messages(z: torch.Tensor, peers: torch.Tensor, avail: torch.Tensor, cur: torch.Tensor | None,
                  order: torch.Tensor | None) -> torch.Tensor:
    """Mean of the peers' messages. z: (B, C, L) latents; peers: (C, k) (-1 = none);
    avail: (C,) bool channels that may speak; cur: (B, C) peers' current normalised
    difference (zero-lag variant) or None; order: (C,) coding order (zero-lag)."""
    C, k = peers.shape
    valid = (peers >= 0) & avail[peers.clamp(min=0)]
    idx = peers.clamp(min=0)
    msg = z[:, idx]                                      # (B, C, k, L)
    if cur is not None:
        earlier = (order[idx] < order[:, None]) & valid  # (C, k)
        c = cur[:, idx] * earlier                        # (B, C, k)
        msg = torch.cat([msg, c[..., None], earlier.to(z.dtype).expand_as(c)[..., None]], dim=-1)
    w = valid.to(z.dtype)
    return (msg * w[None, :, :, None]).sum(2) / k        # mean over k slots (empty slots count 0)


# --- evaluation ----------------------------------------------------------------------------

@torch.no_grad()
def evaluate_file(net: SpikeyNet, rows: Rows) -> float:
    """Total bits of one file coded on its own (MiddleOut off)."""
    u = torch.from_numpy(rows.u)
    if net.cfg.projector == "lstm":
        out, _, _ = net(u[None])
        out = out[0]
    else:
        out, _, _ = net(u)
    b = net.bits(out, torch.from_numpy(rows.target), torch.from_numpy(rows.sh), torch.from_numpy(rows.code))
    return float(b.double().sum()) + FIRST_SAMPLE_BITS


@torch.no_grad()
def evaluate_joint(net: SpikeyNet, rows: list[Rows], channels: list[int], topo: dict,
                   chunk: int = 4096) -> dict[int, float]:
    """Total bits of each listed channel when all channels are coded together, frame by
    frame (MiddleOut on). rows: all channels (same recording), cut to a common length."""
    n = min(len(r.target) for r in rows)
    peers = torch.tensor(topo["peers"])
    avail = torch.ones(len(rows), dtype=torch.bool)
    order = torch.tensor(topo["order"])
    total = {c: float(FIRST_SAMPLE_BITS) for c in channels}
    ch = torch.tensor(channels)
    for s in range(0, n, chunk):
        e = min(n, s + chunk)
        u = torch.from_numpy(np.stack([r.u[s:e] for r in rows], axis=1))       # (B, C, n_in)
        tgt = torch.from_numpy(np.stack([r.target[s:e] for r in rows], axis=1))
        sh = torch.from_numpy(np.stack([r.sh[s:e] for r in rows], axis=1))
        code = torch.from_numpy(np.stack([r.code[s:e] for r in rows], axis=1))
        z, _ = net.projector(u)
        cur = tgt * torch.exp2(-sh.float()) if net.cfg.zero_lag else None
        m = peer_messages(z, peers, avail, cur, order if net.cfg.zero_lag else None)
        b = net.bits(net.head(z[:, ch], m[:, ch]), tgt[:, ch], sh[:, ch], code[:, ch])
        for j, c in enumerate(channels):
            total[c] += float(b[:, j].double().sum())
    # samples beyond the common length are coded per file (MiddleOut off)
    for c in channels:
        r = rows[c]
        if len(r.target) > n:
            tail = Rows(r.u[n:], r.target[n:], r.sh[n:], r.code[n:])
            total[c] += evaluate_file(net, tail) - FIRST_SAMPLE_BITS
    return total


def summarise(total_bits: float, total_samples: int) -> dict:
    bps = total_bits / total_samples
    return {"bits_per_sample": bps, "ratio": 16.0 / bps, "samples": int(total_samples)}


# --- training ------------------------------------------------------------------------------

def _lr(step: int, steps: int, lr: float) -> float:
    warm = max(1, steps // 50)
    if step < warm:
        return lr * (step + 1) / warm
    return lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))


class Sampler:
    """Deterministic batches for the three training modes."""

    def __init__(self, rows: list[Rows], train_idx: list[int], cfg: Config, rng: np.random.Generator):
        self.rows, self.train_idx, self.cfg, self.rng = rows, train_idx, cfg, rng
        self.lengths = np.array([len(rows[i].target) for i in train_idx])
        if cfg.model.projector == "fc" and not cfg.model.middleout:
            self.u = np.concatenate([rows[i].u for i in train_idx])
            self.t = np.concatenate([rows[i].target for i in train_idx])
            self.s = np.concatenate([rows[i].sh for i in train_idx])
            self.c = np.concatenate([rows[i].code for i in train_idx])

    def flat(self, batch: int):
        i = self.rng.integers(0, len(self.t), batch)
        return tuple(torch.from_numpy(a[i]) for a in (self.u, self.t, self.s, self.c))

    def crops(self, batch: int, seq: int):
        f = self.rng.integers(0, len(self.train_idx), batch)
        starts = self.rng.integers(0, self.lengths[f] - seq)
        rs = [self.rows[self.train_idx[j]] for j in f]
        u = np.stack([r.u[s:s + seq] for r, s in zip(rs, starts)])
        t = np.stack([r.target[s:s + seq] for r, s in zip(rs, starts)])
        sh = np.stack([r.sh[s:s + seq] for r, s in zip(rs, starts)])
        c = np.stack([r.code[s:s + seq] for r, s in zip(rs, starts)])
        return torch.from_numpy(u), torch.from_numpy(t), torch.from_numpy(sh), torch.from_numpy(c)

    def frames(self, frames: int):
        n = min(len(r.target) for r in self.rows)
        ts = self.rng.integers(0, n, frames)
        u = np.stack([r.u[ts] for r in self.rows], axis=1)
        t = np.stack([r.target[ts] for r in self.rows], axis=1)
        sh = np.stack([r.sh[ts] for r in self.rows], axis=1)
        c = np.stack([r.code[ts] for r in self.rows], axis=1)
        return torch.from_numpy(u), torch.from_numpy(t), torch.from_numpy(sh), torch.from_numpy(c)


def train_model(cfg: Config, rows: list[Rows], train_idx: list[int], topo: dict | None,
                out_dir: Path | None = None, resume: bool = False, quiet: bool = False,
                max_minutes: float | None = None, log_widths: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[SpikeyNet, dict]:
    tr = cfg.train
    torch.manual_seed(int(tr["seed"]))
    rng = np.random.default_rng(int(tr["seed"]))
    n_in = cfg.features.n_inputs
    net = SpikeyNet(n_in, cfg.model)
    if net.edges is not None:
        if log_widths is None:
            log_widths = initial_log_widths([rows[i].code for i in train_idx])
        with torch.no_grad():
            net.edges.theta.copy_(torch.from_numpy(log_widths[0]))
            net.edges.learn.copy_(torch.from_numpy(log_widths[1]))
    opt = torch.optim.Adam(net.parameters(), lr=float(tr["lr"]), weight_decay=float(tr["weight_decay"]))
    sampler = Sampler(rows, train_idx, cfg, rng)
    steps, start = int(tr["steps"]), 0
    ckpt = out_dir / "checkpoint.pt" if out_dir else None
    history: list[dict] = []
    seconds_before = 0.0
    if resume and ckpt and ckpt.exists():
        st = torch.load(ckpt, weights_only=False)
        net.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        rng.bit_generator.state = st["rng"]
        torch.set_rng_state(st["torch_rng"])
        start, history, seconds_before = st["step"], st["history"], st["seconds"]
    mcfg = cfg.model
    if mcfg.middleout:
        is_train = torch.zeros(len(rows), dtype=torch.bool)
        is_train[train_idx] = True
        peers_t = torch.tensor(topo["peers"])
        order_t = torch.tensor(topo["order"])
    limit = (max_minutes if max_minutes is not None else float(tr["max_minutes"])) * 60.0
    t0 = time.time()
    run_b, run_n, done = 0.0, 0, start
    bar = tqdm(range(start, steps), initial=start, total=steps, disable=quiet, desc=cfg.name,
               dynamic_ncols=True)
    for step in bar:
        for g in opt.param_groups:
            g["lr"] = _lr(step, steps, float(tr["lr"]))
        if mcfg.middleout:
            u, tgt, sh, code = sampler.frames(int(tr["frames"]))
            z, _ = net.projector(u)
            cur = tgt * torch.exp2(-sh.float()) if mcfg.zero_lag else None
            m = peer_messages(z, peers_t, is_train, cur, order_t if mcfg.zero_lag else None)
            if mcfg.peer_dropout > 0:
                keep = torch.from_numpy(rng.random(m.shape[:2]) >= mcfg.peer_dropout).to(m.dtype)
                m = m * keep[..., None]
            zt, mt = z[:, is_train], m[:, is_train]
            b = net.bits(net.head(zt, mt), tgt[:, is_train], sh[:, is_train], code[:, is_train])
        elif mcfg.projector == "lstm":
            u, tgt, sh, code = sampler.crops(max(1, int(tr["batch"]) // int(tr["seq_len"])), int(tr["seq_len"]))
            out, _, _ = net(u)
            bi = int(tr["burn_in"])
            b = net.bits(out[:, bi:], tgt[:, bi:], sh[:, bi:], code[:, bi:])
        else:
            u, tgt, sh, code = sampler.flat(int(tr["batch"]))
            out, _, _ = net(u)
            b = net.bits(out, tgt, sh, code)
        loss = b.mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        run_b += float(loss.detach()) * b.numel()
        run_n += b.numel()
        done = step + 1
        if (step + 1) % 50 == 0:
            bar.set_postfix(bits_per_sample=f"{run_b / run_n:.4f}")
            history.append({"step": step + 1, "train_bits_per_sample": run_b / run_n,
                            "seconds": seconds_before + time.time() - t0})
            run_b, run_n = 0.0, 0
        if ckpt and (step + 1) % int(tr["eval_every"]) == 0:
            torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "rng": rng.bit_generator.state,
                        "torch_rng": torch.get_rng_state(), "step": step + 1, "history": history,
                        "seconds": seconds_before + time.time() - t0}, ckpt)
        if time.time() - t0 > limit:
            bar.write(f"stopping at step {step + 1}: max_minutes={limit / 60:.1f} reached")
            break
    bar.close()
    return net, {"history": history, "train_seconds": seconds_before + time.time() - t0, "steps_done": done}


def evaluate(net: SpikeyNet, rows: list[Rows], val_idx: list[int], topo: dict | None) -> dict:
    """Per-file figures, and joint figures if the model has MiddleOut."""
    n = sum(len(rows[i].target) + 1 for i in val_idx)
    per_file = {i: evaluate_file(net, rows[i]) for i in val_idx}
    res = {"per_file": summarise(sum(per_file.values()), n)}
    if net.cfg.middleout:
        joint = evaluate_joint(net, rows, val_idx, topo)
        res["joint"] = summarise(sum(joint.values()), n)
    return res


def first_difference_floor(codes: list[np.ndarray], val_idx: list[int]) -> dict:
    """First difference + ideal (order-0, per-file, static) coder: the floor to beat."""
    total, n = 0.0, 0
    for i in val_idx:
        d = np.diff(codes[i].astype(np.int32))
        _, c = np.unique(d, return_counts=True)
        total += float(-(c * np.log2(c / c.sum())).sum()) + FIRST_SAMPLE_BITS
        n += len(codes[i])
    return summarise(total, n)


# --- the subcommand ------------------------------------------------------------------------

CONFIGS = Path(__file__).resolve().parent / "configs"
DEFAULT_CONFIG = CONFIGS / "default.yaml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="directory of WAV recordings (simultaneous channels)")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG),
                        help="YAML training config (default: the bundled default model's, spikey_train/configs/"
                             "default.yaml; the others there are the ladder, ablation and joint models)")
    parser.add_argument("--out", required=True,
                        help="output directory: model.onnx, model.json, compiled/ (for spikey encode), metrics")
    parser.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    parser.add_argument("--max-minutes", type=float, default=None,
                        help="wall-clock limit for the training loop (overrides train.max_minutes)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    torch.set_num_threads(max(1, min(2, int(cfg.train["threads"]))))
    names, codes, rate = load_codes(args.data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(yaml.safe_dump(cfg.raw, sort_keys=False))
    train_idx, val_idx = split_files(names, int(cfg.split["every"]), int(cfg.split["offset"]))
    rows, log_w, lin = prepare(codes, train_idx, cfg.features)
    topo = None
    if cfg.model.middleout:
        n_cal = int(float(cfg.topology["calibration_seconds"]) * rate)
        n_min = min(len(c) for c in codes)
        cal = np.stack([c[: min(n_cal, n_min)] for c in codes])
        topo = thread_topology(cal, cfg.model.peers, earlier_only=cfg.model.zero_lag)
    net, info = train_model(cfg, rows, train_idx, topo, out, resume=args.resume, quiet=args.quiet,
                            max_minutes=args.max_minutes, log_widths=log_w)
    torch.save(net.state_dict(), out / "model.pt")
    res = evaluate(net, rows, val_idx, topo)
    metrics = {"name": cfg.name, "validation": res, "floor": first_difference_floor(codes, val_idx),
               "macs": count_macs(cfg.features.n_inputs, cfg.model, cfg.features),
               "weights": count_weights(net), "train_seconds": info["train_seconds"],
               "steps": info["steps_done"], "history": info["history"]}
    split = {"rule": f"sorted *.wav names; validation = [{cfg.split['offset']}::{cfg.split['every']}]",
             "train": [names[i] for i in train_idx], "validation": [names[i] for i in val_idx]}
    meta = export_model(net, cfg, out, split=split, topology=topo, metrics=metrics, sample_rate=rate,
                        check_rows=rows[val_idx[0]].u[:1024], lin=lin)
    if meta["check"]["max_abs_diff"] > 1e-4:
        raise ValueError(f"ONNX export does not match torch: max |diff| {meta['check']['max_abs_diff']:.3g}")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    compile_dir(out)    # compiled/: what spikey encode runs
    pf = res["per_file"]
    print(f"{cfg.name}: validation {pf['bits_per_sample']:.4f} bits/sample, ratio {pf['ratio']:.4f} (per file)"
          + (f"; joint {res['joint']['ratio']:.4f}" if "joint" in res else "")
          + f"; trained {info['train_seconds'] / 60:.1f} min; wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``spikey train ...`` (``python -m spikey_train ...``): 1 and one line on stderr for a
    bad config, data folder or output folder."""
    parser = argparse.ArgumentParser(prog="spikey train", description=__doc__.splitlines()[0], allow_abbrev=False)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (ValueError, OSError, RecordingError, CodegenError) as e:
        print(f"spikey train: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
