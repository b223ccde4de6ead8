"""What each issue-5 entropy coder pays against the ideal -log2 P of the trained model.

For validation files of the default model's split: the float model outputs (mu, ls) from
model.onnx + model.json (the same pipeline as codegen.reference.loss.float_bits),
rounded into the coder contract's integers

    L        = clamp(x[t] + round(mu * 2**sh), 0, 1023)         (round half to even, as training)
    log2s_q8 = clamp(floor(max(ls + sh, min_log2_scale) * 256 + 1/2), -512, 2560)

then every coder's payload (Python reference; the C build is checked byte-equal on the
first file), decoded back, and bits/sample against two ideals: the float model's
-log2 P (what docs/models.md reports) and the same with log2s rounded to Q8.
Also: C decode time per sample on the host (range coder, galloping vs bisection search).

    python bench/coders_vs_ideal.py [--files 3] [--out bench/results/coders]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from onnx.reference import ReferenceEvaluator  # noqa: E402

from spikey import features as ft  # noqa: E402
from spikey.coders.ideal import log_mass  # noqa: E402
from spikey.coders.model_cdf import LOG2S_MAX, LOG2S_MIN, edges_from_meta  # noqa: E402
from spikey.coders.registry import coders_for_model, decode_all  # noqa: E402
from spikey.coders.rice_coders import residual_u  # noqa: E402
from spikey.model.files import describe, resolve  # noqa: E402
from spikey.recordings import read_wav, to_codes  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "neuralink-dev"   # the dev recordings beside the repository


def predictions(model_dir: Path, meta: dict, codes: np.ndarray):
    f = meta["features"]
    fcfg = ft.FeatureConfig.from_dict({k: f[k] for k in ("window", "levels", "taps", "ema_shifts", "ema2_shifts",
                                                           "norm_ema", "ema_init", "linearise", "normalise")})
    lin = None if f["lin_q4"] is None else np.asarray(f["lin_q4"], dtype=np.int32)
    ff = ft.file_features([np.asarray(codes)], fcfg, lin)[0]
    u = ft.normalise(ft.window_of_differences(ff.codes, fcfg.window, lin), ff.wavelet, ff.ema, ff.sh,
                     window_q=0 if lin is None else ft.Q_FEAT)[:-1]
    out = ReferenceEvaluator(str(model_dir / "model.onnx")).run(["out"], {"u": u})[0].astype(np.float64)
    x = ff.codes.astype(np.int64)
    sh = ff.sh[:-1].astype(np.float64)
    mu = np.round(out[:, 0] * np.exp2(sh))
    log2_s = np.maximum(out[:, 1] + sh, meta["output"]["min_log2_scale"])
    L = np.clip(x[:-1] + mu.astype(np.int64), 0, 1023)
    ls_q8 = np.clip(np.floor(log2_s * 256 + 0.5).astype(np.int64), LOG2S_MIN, LOG2S_MAX)
    return x, L, log2_s, ls_q8


def ideal_bits(meta, x, L, log2_s) -> float:
    e = np.asarray(meta["coder"]["edges"], dtype=np.float64) / (1 << meta["coder"]["edges_q"])
    k = x[1:]
    m = 0.5 * (e[L] + e[L + 1])
    inv_s = np.exp2(-log2_s)
    lm = log_mass((e[k + 1] - m) * inv_s, (e[k] - m) * inv_s, meta["coder"]["family"])
    return float(-lm.sum() / math.log(2.0)) + 10.0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None, help="a model directory or a bundled model's name (default: default)")
    ap.add_argument("--files", type=int, default=3, help="the model's first N validation files (default 3)")
    ap.add_argument("--data", type=Path, default=DATA, help=f"folder of the recordings (default {DATA})")
    ap.add_argument("--out", default=str(ROOT / "bench/results/coders"), help="where the JSON and Markdown go")
    args = ap.parse_args(argv)
    model_dir = resolve(args.model)
    meta = json.loads((model_dir / "model.json").read_text())
    coders = coders_for_model(meta)
    edges = edges_from_meta(meta)
    try:
        from codegen.host.coders import HostCoders
        hc = HostCoders()
    except Exception as e:  # noqa: BLE001
        print(f"(no host C build: {e})")
        hc = None
    rows = []
    for name in meta["split"]["validation"][:args.files]:
        codes = to_codes(read_wav(args.data / name).samples)
        x, L, log2_s, ls_q8 = predictions(model_dir, meta, codes)
        n = len(x)
        row = {"file": name, "samples": n,
               "ideal_float": ideal_bits(meta, x, L, log2_s) / n,
               "ideal_q8": ideal_bits(meta, x, L, ls_q8 / 256.0) / n}
        for cname, c in coders.items():
            t0 = time.perf_counter()
            p = c.encode(x, L, ls_q8)
            row[f"{cname}_encode_s"] = time.perf_counter() - t0
            row[cname] = 8 * len(p) / n
            t0 = time.perf_counter()
            ok = np.array_equal(decode_all(c, p, L, ls_q8, n), x)
            row[f"{cname}_py_decode_us"] = 1e6 * (time.perf_counter() - t0) / n
            if not ok:
                raise SystemExit(f"{cname} failed to round-trip {name}")
            if hc is not None:
                xa = np.concatenate([[0], L])
                la = np.concatenate([[0], ls_q8])
                par = (c.best_k(x, xa) if cname == "rice_fixed" else
                       c.best_param(residual_u(x[1:], L)) if cname == "huffman_prior" else 0)
                pc = hc.encode(cname, x, xa, la, param=par, edges=edges if cname == "range" else None)
                row[f"{cname}_c_equal"] = pc == p
                best = []
                for binary in ((False, True) if cname == "range" else (False,)):
                    ts = []
                    for _ in range(5):
                        xc, st, dt = hc.decode(cname, p, xa, la, edges=edges if cname == "range" else None,
                                               binary_search=binary, timing=True)
                        assert st == 0 and np.array_equal(xc, x)
                        ts.append(dt)
                    best.append(1e9 * min(ts) / n)
                row[f"{cname}_c_decode_ns"] = best[0]
                if cname == "range":
                    row["range_c_decode_ns_bisection"] = best[1]
        c = coders["range"].cdf
        c.evaluations = 0
        decode_all(coders["range"], coders["range"].encode(x, L, ls_q8), L, ls_q8, n)
        row["range_cdf_evals_per_sample_galloping"] = c.evaluations / (n - 1)
        rows.append(row)
        print(json.dumps(row))
    names = list(coders)
    tot = {k: sum(r[k] * r["samples"] for r in rows) / sum(r["samples"] for r in rows)
           for k in ["ideal_float", "ideal_q8", *names]}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "coders_vs_ideal.json").write_text(json.dumps({"model": describe(model_dir), "rows": rows, "total": tot},
                                                         indent=1))
    lines = ["# Entropy coders vs the ideal (default model, validation files)", "",
             "bits/sample (x[0] included); overhead relative to the float model's -log2 P.", "",
             "| file | samples | ideal (float) | ideal (Q8 scale) | " + " | ".join(names) + " |",
             "| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in names) + " |"]
    for r in rows + [dict(tot, file="**all**", samples=sum(r["samples"] for r in rows))]:
        cells = [f"{r[k]:.4f} ({100 * (r[k] / r['ideal_float'] - 1):+.2f} %)" for k in names]
        lines.append(f"| {r['file'][:8]} | {r['samples']} | {r['ideal_float']:.4f} | {r['ideal_q8']:.4f} | "
                     + " | ".join(cells) + " |")
    lines += ["", "Host C decode, ns/sample (best of 5, whole file, predictions given): "
              + ", ".join(f"{k[:-len('_c_decode_ns')]} {np.mean([r[k] for r in rows]):.0f}"
                          for k in rows[0] if k.endswith("_c_decode_ns"))
              + (f"; range with bisection search {np.mean([r['range_c_decode_ns_bisection'] for r in rows]):.0f}"
                 if "range_c_decode_ns_bisection" in rows[0] else ""),
              f"Range decoder CDF evaluations per sample (galloping from L): "
              f"{np.mean([r['range_cdf_evals_per_sample_galloping'] for r in rows]):.2f} (bisection: 10-11)",
              "C payload == Python payload: " + ", ".join(
                  f"{k[:-len('_c_equal')]} {all(r[k] for r in rows)}" for k in rows[0] if k.endswith("_c_equal"))]
    (out / "coders_vs_ideal.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
