"""Figures of the Spikey models on held-out files -> docs/models.md and docs/models-ladder.png.

Every figure is measured here, on the validation files of the split (sorted names,
[0::5]: 30 of the 150 dev recordings, never seen in training), from the trained runs:

    python bench/model_figures.py [--data ../shared/data/neuralink-dev] [--runs .cache/model-runs]
                                  [--train-missing]

A run is OUT of ``spikey train --config spikey_train/configs/NAME.yaml --out RUNS/NAME``;
``--train-missing`` trains the runs that are not there yet (about 1-3 minutes each on 2
cores; the LSTM ablation longer). Each model is re-evaluated from its weights
(``model.pt``), and the shipped default model is evaluated a second time from its two
exported files alone (ONNX by onnx.reference.ReferenceEvaluator + JSON).

Bits/sample count every sample of every validation file (the first one 10 bits raw);
ratio = 16 / bits-per-sample (original bytes / ideal coded bytes, headers excluded).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from codegen.reference.loss import float_bits  # noqa: E402
from spikey.model.files import BUNDLED, DEFAULT, read_meta  # noqa: E402
from spikey.topology import activity_distance  # noqa: E402
from spikey_train import train as tr  # noqa: E402
from spikey_train.model import (SpikeyNet, count_macs, count_weights, initial_log_widths,  # noqa: E402
                                linearisation_table)

CONFIGS = REPO / "spikey_train" / "configs"
SHIPPED = BUNDLED / DEFAULT
LADDER = ["ladder-xxs", "ladder-xs", "default", "ladder-m", "ladder-l", "ladder-xl"]
BASE = "ladder-m"   # the previous default: the ablations and the joint models are its variants
ABLATIONS = [("ablation-no-wavelet", "no wavelet features (window + running stats only)"),
             ("ablation-no-running-stats", "no running statistics, no scale normalisation"),
             ("ablation-uniform-bins", "coder bins at k +- 1/2 (no learned ADC code edges)"),
             ("ablation-laplace", "discretised Laplace instead of logistic"),
             ("ablation-linearised", "features on ADC-linearised codes"),
             ("ablation-lstm", "LSTM projector instead of FC")]
JOINT = [("joint-middleout", "MiddleOut, 4 nearest peers, peers' latents at t"),
         ("joint-middleout-zerolag", "MiddleOut, 4 nearest earlier peers + their sample at t+1")]


def load_run(run: Path, name: str):
    cfg_path = run / "config.yaml" if (run / "config.yaml").exists() else CONFIGS / f"{name}.yaml"
    cfg = tr.config_from_dict(yaml.safe_load(cfg_path.read_text()), default_name=name)
    net = SpikeyNet(cfg.features.n_inputs, cfg.model)
    net.load_state_dict(torch.load(run / "model.pt"))
    metrics = json.loads((run / "metrics.json").read_text())
    return cfg, net.eval(), metrics


def evaluate_run(run: Path, name: str, codes, names, train_idx, val_idx) -> dict:
    cfg, net, metrics = load_run(run, name)
    rows_needed = list(range(len(codes))) if cfg.model.middleout else val_idx
    # features: the same linearisation table as in training (from the training files)
    lin = linearisation_table(initial_log_widths([codes[i] for i in train_idx])) if cfg.features.linearise else None
    built = tr.build_rows([codes[i] for i in rows_needed], cfg.features, lin)
    rows = {i: r for i, r in zip(rows_needed, built)}
    n = sum(len(codes[i]) for i in val_idx)
    t0 = time.time()
    per_file = {i: tr.evaluate_file(net, rows[i]) for i in val_idx}
    res = {"name": name, "per_file": tr.summarise(sum(per_file.values()), n),
           "file_bits": {names[i]: per_file[i] for i in val_idx},
           "macs": count_macs(cfg.features.n_inputs, cfg.model, cfg.features),
           "weights": count_weights(net), "train_seconds": metrics["train_seconds"],
           "steps": metrics["steps"] if metrics["steps"] >= int(cfg.train["steps"])
           else f"{metrics['steps']} of {cfg.train['steps']} (max_minutes)",
           "eval_seconds": None}
    if cfg.model.middleout:
        meta = json.loads((run / "model.json").read_text())
        joint = tr.evaluate_joint(net, [rows[i] for i in range(len(codes))], val_idx, meta["topology"])
        res["joint"] = tr.summarise(sum(joint.values()), n)
        res["joint_file_bits"] = {names[i]: joint[i] for i in val_idx}
    res["eval_seconds"] = time.time() - t0
    return res


def quantised_weights(run: Path, codes, val_idx) -> dict:
    """Default model with its weights rounded to int16 / int8 (symmetric, one scale per
    output row of a matrix, per tensor for a bias): what weight quantisation alone costs."""
    cfg, net, _ = load_run(run, "default")
    rows = tr.build_rows([codes[i] for i in val_idx], cfg.features)
    n = sum(len(codes[i]) for i in val_idx)
    out = {}
    for b in (16, 8):
        q = {}
        for k, v in net.state_dict().items():
            if k.startswith("edges.") or not v.is_floating_point():
                q[k] = v
                continue
            s = (v.abs().amax(1, keepdim=True) if v.dim() == 2 else v.abs().max()) / (2 ** (b - 1) - 1)
            q[k] = torch.round(v / s) * s
        m = SpikeyNet(cfg.features.n_inputs, cfg.model)
        m.load_state_dict(q)
        out[f"int{b}"] = tr.summarise(sum(tr.evaluate_file(m.eval(), r) for r in rows), n)
    return out


def floor(codes, val_idx) -> dict:
    return tr.first_difference_floor(codes, val_idx)


def shipped_from_export(codes, names, val_idx) -> dict | None:
    if not (SHIPPED / "model.json").exists():
        return None
    meta = read_meta(SHIPPED)
    if [names[i] for i in val_idx] != meta["split"]["validation"]:
        raise SystemExit("the shipped model's validation split differs from this data's split")
    total = sum(float_bits(SHIPPED, meta, codes[i]) for i in val_idx)
    return {**tr.summarise(total, sum(len(codes[i]) for i in val_idx)), "name": meta["name"],
            "sha256": meta["onnx"]["sha256"]}


def best_peer_r(codes, val_idx) -> dict[int, float]:
    """Best zero-lag |r| of first differences with any other file, over the common length."""
    n = min(len(c) for c in codes)
    dist = activity_distance(np.stack([c[:n] for c in codes]))
    np.fill_diagonal(dist, np.inf)
    return {i: 1.0 - float(dist[i].min()) for i in val_idx}


def _row(label, r, ref=None, extra=""):
    d = "" if ref is None else f"{r['bits_per_sample'] - ref:+.4f}"
    return f"| {label} | {r['bits_per_sample']:.4f} | {r['ratio']:.4f} | {d} |{extra}"


def plot_ladder(ladder: list[dict], fl: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    x = [r["macs"]["total"] for r in ladder]
    y = [r["per_file"]["bits_per_sample"] for r in ladder]
    ax.plot(x, y, "o-", color="C0", label="Spikey ladder (per-file)")
    for r, xi, yi in zip(ladder, x, y):
        ax.annotate(r["name"], (xi, yi), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.axhline(fl["bits_per_sample"], color="C3", ls="--", label="first difference + ideal coder")
    ax.axhline(16 / 3.50, color="C2", ls=":", label="ratio 3.50")
    ax.axvline(1500, color="grey", ls=":", label="firmware budget (1,500 MACs)")
    ax.set_xscale("log")
    ax.set_xlabel("multiply-accumulates per sample per channel")
    ax.set_ylabel("bits/sample (validation files)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write_markdown(path: Path, fl, res: dict, shipped, peer_r, names, val_idx, args) -> None:
    d = res["default"]
    ref = d["per_file"]["bits_per_sample"]
    L = []
    L.append("# Spikey models: figures")
    L.append("")
    try:
        runs_shown = Path(args.runs).resolve().relative_to(REPO)
    except ValueError:
        runs_shown = args.runs
    L.append("Generated by `python bench/model_figures.py` from the trained runs in "
             f"`{runs_shown}`; do not edit by hand. All figures are on the **{len(val_idx)} validation files** "
             "(sorted names `[0::5]` of the 150 dev recordings), which no model saw in training. "
             "Bits/sample include every sample (the first sample of a file: 10 bits raw); "
             "ratio = 16 / bits-per-sample = original bytes / ideal coded bytes (ideal coder: "
             "-log2 of the model's probability, no coder overhead, headers excluded).")
    L.append("")
    L.append("## Headline")
    L.append("")
    L.append("| system | bits/sample | ratio | vs default |")
    L.append("| --- | --- | --- | --- |")
    L.append(_row("first difference + ideal static coder per file (the floor; its table is not charged)", fl, ref))
    L.append(_row("**default model, per file** (MiddleOut off)", d["per_file"], ref))
    if shipped:
        L.append(_row("default model, per file, from the shipped `model.onnx` + `model.json` "
                      "(ReferenceEvaluator)", shipped, ref))
    for name, label in JOINT:
        if name in res:
            L.append(_row(f"{name}: joint mode ({label})", res[name]["joint"], ref))
    for b, r in res["_quant"].items():
        L.append(_row(f"default model, per file, weights rounded to {b} (one scale per row)", r, ref))
    L.append("")
    ok = "beats" if d["per_file"]["ratio"] > 3.50 else "does NOT beat"
    L.append(f"The per-file default {ok} the 3.50 target: ratio {d['per_file']['ratio']:.4f} "
             f"({ref:.4f} bits/sample), {fl['bits_per_sample'] - ref:.4f} bits/sample below the floor. "
             f"Size: {d['weights']} weights ({2 * d['weights']} bytes as int16), "
             f"{d['macs']['total']} MACs/sample/channel; trained in {d['train_seconds'] / 60:.1f} min "
             f"({d['steps']} steps) on this machine's 2 cores.")
    L.append("")
    L.append(f"The shipped model (`{SHIPPED.relative_to(REPO).as_posix()}/`: `model.onnx`, `model.json`, `config.yaml`) "
             "was trained with this config:")
    L.append("")
    L.append("```yaml")
    L.append((CONFIGS / "default.yaml").read_text().rstrip())
    L.append("```")
    L.append("")
    b = res[BASE]
    bref = b["per_file"]["bits_per_sample"]
    L.append(f"## What each part buys (ablations of {BASE}, per file)")
    L.append("")
    L.append(f"Each row is {BASE} (the default model's architecture until 2026-11-22: `spikey_train/configs/"
             f"{BASE}.yaml`) with one part changed, trained the same way (same seed, data, steps, unless noted); "
             f"the last column is bits/sample relative to {BASE} (positive = worse).")
    L.append("")
    L.append(f"| model | change | steps | MACs | bits/sample | ratio | vs {BASE} |")
    L.append("| --- | --- | --- | --- | --- | --- | --- |")
    L.append(f"| {BASE} | - | {b['steps']} | {b['macs']['total']} | {bref:.4f} | {b['per_file']['ratio']:.4f} | |")
    L.append(f"| (floor) | first difference + ideal static coder per file | - | 0 | {fl['bits_per_sample']:.4f} | "
             f"{fl['ratio']:.4f} | {fl['bits_per_sample'] - bref:+.4f} |")
    for name, label in ABLATIONS:
        if name in res:
            r = res[name]
            L.append(f"| {name} | {label} | {r['steps']} | {r['macs']['total']} | {r['per_file']['bits_per_sample']:.4f} | "
                     f"{r['per_file']['ratio']:.4f} | {r['per_file']['bits_per_sample'] - bref:+.4f} |")
    L.append("")
    L.append("## Ladder (per file)")
    L.append("")
    L.append("![bits/sample vs MACs](models-ladder.png)")
    L.append("")
    L.append("| model | window | levels | projector | latent | predictor | MACs | weights | int16 KB | bits/sample | ratio | train min |")
    L.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in LADDER:
        if name not in res:
            continue
        r = res[name]
        c = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
        L.append(f"| {name} | {c['features']['window']} | {c['features']['levels']} | "
                 f"{c['model']['projector']} {c['model']['hidden']} | {c['model']['latent']} | {c['model']['predictor']} | "
                 f"{r['macs']['total']} | {r['weights']} | {2 * r['weights'] / 1024:.1f} | "
                 f"{r['per_file']['bits_per_sample']:.4f} | {r['per_file']['ratio']:.4f} | {r['train_seconds'] / 60:.1f} |")
    L.append("")
    L.append("Train min: wall-clock minutes of the training loop, measured in each run on this shared 2-core "
             "machine (other jobs were running, so they vary with load, not only with size).")
    L.append("")
    L.append("## MiddleOut: joint mode")
    L.append("")
    L.append(f"The joint models are variants of {BASE}. "
             f"Joint mode codes all {len(names)} channels frame by frame (the first {res['_common']:,} steps, "
             "the common length; the rest of a longer file per file). Peers come from a thread topology computed once from the "
             "first second of every channel (distance 1 - |r| of first differences at zero lag). The same "
             "model is also evaluated with MiddleOut switched off (per file).")
    L.append("")
    L.append("| model | steps | MACs | same model, MiddleOut off | joint | joint - MiddleOut off | joint - default per file |")
    L.append("| --- | --- | --- | --- | --- | --- | --- |")
    for name, label in JOINT:
        if name in res:
            r = res[name]
            L.append(f"| {name} ({label}) | {r['steps']} | {r['macs']['total']} | {r['per_file']['bits_per_sample']:.4f} | "
                     f"{r['joint']['bits_per_sample']:.4f} | "
                     f"{r['joint']['bits_per_sample'] - r['per_file']['bits_per_sample']:+.4f} | "
                     f"{r['joint']['bits_per_sample'] - ref:+.4f} |")
    L.append("")
    strong = [i for i in val_idx if peer_r[i] >= 0.1]
    L.append(f"Most dev files are not simultaneous recordings: the best zero-lag |r| of first differences "
             f"with any other file has a median of {np.median(list(peer_r.values())):.3f} over the validation "
             f"files; {len(strong)} of {len(val_idx)} have a peer with |r| >= 0.1. On those files alone:")
    L.append("")
    L.append("| model | files | MiddleOut off | joint | gain (bits/sample) | default per file |")
    L.append("| --- | --- | --- | --- | --- | --- |")
    for name, _ in JOINT:
        if name in res and strong:
            r = res[name]
            ns = [names[i] for i in strong]
            samples = sum(res["_lengths"][nm] for nm in ns)
            pf = sum(r["file_bits"][nm] for nm in ns) / samples
            jt = sum(r["joint_file_bits"][nm] for nm in ns) / samples
            dp = sum(d["file_bits"][nm] for nm in ns) / samples
            L.append(f"| {name} | {len(ns)} | {pf:.4f} | {jt:.4f} | {pf - jt:+.4f} | {dp:.4f} |")
    L.append("")
    L.append("## How the counts are made")
    L.append("")
    L.append("`spikey_train.model.count_macs` counts multiply-accumulates per sample per channel: the dmey "
             "a-trous bank costs 2 x taps per level (low- and high-pass, every level, undecimated); each EMA "
             "one shift-add (counted as one MAC); each linear layer in x out (biases are additions, not "
             "counted); an LSTM 4H(in+H) + 3H; MiddleOut L*L + message*L + k*message. Normalisation is shifts "
             "(0 MACs). Weights are the network's parameters (ONNX initialisers), each an int16 in firmware; the "
             "coder's code-edge table (1,025 int32) and the FIR taps live in the metadata, not in this count. "
             f"Default: {json.dumps(d['macs'])}.")
    L.append("")
    L.append("## Reproduce")
    L.append("")
    L.append("```")
    L.append("spikey train --data ../shared/data/neuralink-dev --config spikey_train/configs/default.yaml --out .cache/model-runs/default")
    L.append("python bench/model_figures.py --train-missing   # trains the other configs, then writes this file")
    L.append("```")
    L.append("")
    path.write_text("\n".join(L))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "neuralink-dev"))
    p.add_argument("--runs", default=str(REPO / ".cache" / "model-runs"))
    p.add_argument("--out", default=str(REPO / "docs" / "models.md"))
    p.add_argument("--train-missing", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(2)
    names, codes, _ = tr.load_codes(args.data)
    train_idx, val_idx = tr.split_files(names, 5, 0)
    runs = Path(args.runs)
    wanted = LADDER + [n for n, _ in ABLATIONS] + [n for n, _ in JOINT]
    res = {}
    for name in wanted:
        run = runs / name
        if not (run / "model.pt").exists() and args.train_missing:
            targs = argparse.Namespace(data=args.data, config=str(CONFIGS / f"{name}.yaml"), out=str(run),
                                       resume=False, max_minutes=None, quiet=True)
            tr.run(targs)
        if not (run / "model.pt").exists():
            print(f"skipping {name}: no run in {run}")
            continue
        res[name] = evaluate_run(run, name, codes, names, train_idx, val_idx)
        print(f"{name}: {res[name]['per_file']['bits_per_sample']:.4f} bits/sample"
              + (f", joint {res[name]['joint']['bits_per_sample']:.4f}" if "joint" in res[name] else ""), flush=True)
    for need in ("default", BASE):
        if need not in res:
            raise SystemExit(f"no {need} run: train it first (see --train-missing)")
    res["_lengths"] = {names[i]: len(codes[i]) for i in val_idx}
    res["_common"] = min(len(c) for c in codes) - 1
    res["_quant"] = quantised_weights(runs / "default", codes, val_idx)
    fl = floor(codes, val_idx)
    shipped = shipped_from_export(codes, names, val_idx)
    peer_r = best_peer_r(codes, val_idx)
    out = Path(args.out)
    ladder = [res[n] for n in LADDER if n in res]
    plot_ladder(ladder, fl, out.with_name("models-ladder.png"))
    write_markdown(out, fl, res, shipped, peer_r, names, val_idx, args)
    (runs / "figures.json").write_text(json.dumps({"floor": fl, "shipped": shipped, "quantised": res["_quant"],
                                                   **{k: v for k, v in res.items() if not k.startswith("_")}}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
