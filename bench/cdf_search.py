"""Micro-benchmark: the range decoder's symbol search (spk_cdf_find) on real predictions.

For a few validation files of the default model: the host C predictor's (L, log2s_q8) for
every sample, the range coder's payload, and the decoder's real targets (code / r) read back
from it. Then, in C (one cffi call per measurement, so Python costs nothing per symbol):

  search, chained   spk_cdf_find over the (target, L, ls) triples, each search's target made
                    to depend on the previous x and C(x) (the whole search's latency)
  search, decoder   each search's L and log2s made to depend on the previous x alone, as in
                    the learned codec's decoder: its next prediction needs x, while C(x) and
                    C(x+1) only update the range decoder, whose next target is ready long
                    before the predictor is done (so a right guess is all the latency)
  search, free      no dependency (throughput)
  decode            the whole range decode (spk_rc_decode_one: target, search, renormalise)
                    over the real payload, predictions given

each for spk_cdf_find and spk_cdf_find_binary, best of --reps runs, in ns/symbol; and the CDF
evaluations per symbol (counted in a separate build). Host flags: cffi_module.DEFAULT_CFLAGS
plus --cflags (default -O3 -march=native, as spikey/model/host.py builds the learned codec).
``--baseline REV`` also builds the firmware coder sources of git revision REV (a8fad84: the
galloping search from L) and times its spk_cdf_find, for a before/after comparison on the same
data; every search's (x, C(x), C(x+1)) is checked against spk_cdf_find_binary. ``--m4 N`` also
counts Cortex-M4 instructions per search (QEMU -icount, the loop's own cost subtracted) over N
samples spread over the files. Predictions are cached in --cache (delete it after a model change).

    python bench/cdf_search.py [--files 3] [--baseline a8fad84] [--reps 15] [--m4 4096]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import jinja2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from spikey import firmware  # noqa: E402
from spikey import native as cffi_module  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "neuralink-dev"   # the dev recordings beside the repository
FILES = ("model_cdf.c", "model_cdf.h", "model_cdf_tables.h", "range_coder.c", "range_coder.h")
FIRMWARE = firmware.root()

# The C: the glue (firmware/tests/cdf_search_bench_glue.c / .h), the evaluation counter
# (cdf_search_bench_count.h / .c) and the Cortex-M main's template (cdf_search_bench_m4_main.c.j2).
TESTS_C = FIRMWARE / "tests"


def _cdef(header: Path) -> str:
    """A header's declarations for cffi's cdef: its lines starting with '#' (include guard,
    includes) dropped; cffi strips the comments itself."""
    return "".join(ln for ln in header.read_text().splitlines(keepends=True) if not ln.lstrip().startswith("#"))


def _render(template: str, **ctx) -> str:
    """firmware/tests/<template> rendered with ctx."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TESTS_C)), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    return env.get_template(template).render(**ctx)


def sources(rev: str | None) -> dict:
    """The coder sources of the working tree, or of git revision ``rev``."""
    if rev is None:
        return {name: (FIRMWARE / "src" / name).read_text() for name in FILES}
    out = {}
    for name in FILES:
        out[name] = subprocess.run(["git", "show", f"{rev}:firmware/src/{name}"], cwd=ROOT, check=True,
                                   capture_output=True, text=True).stdout
    return out


def count_sources(files: dict) -> dict:
    """The same sources with every spk_cdf_eval call counted (the definition renamed, every
    later use routed through a counting wrapper)."""
    files = dict(files)
    h = files["model_cdf.h"]
    # rename the definition, then route every other use through the counter
    h = h.replace("static inline uint32_t spk_cdf_eval(", "static inline uint32_t spk_cdf_eval_raw(", 1)
    end = h.index("\n}\n", h.index("spk_cdf_eval_raw(")) + 3       # right after its definition
    files["model_cdf.h"] = h[:end] + (TESTS_C / "cdf_search_bench_count.h").read_text() + h[end:]
    files["cdf_search_bench_count.c"] = (TESTS_C / "cdf_search_bench_count.c").read_text()
    return files


EXTRA_CFLAGS = ("-O3", "-march=native")      # as spikey/model/host.py builds the learned codec


def build(files: dict, count: bool = False, extra_cflags=EXTRA_CFLAGS):
    files = count_sources(files) if count else dict(files)
    files.update({n: (TESTS_C / n).read_text() for n in ("cdf_search_bench_glue.h", "cdf_search_bench_glue.c")})
    return cffi_module.build(files, _cdef(TESTS_C / "cdf_search_bench_glue.h"), "cdf_search_bench_glue.h",
                             include_dirs=[FIRMWARE / "include"],
                             cflags=(*cffi_module.DEFAULT_CFLAGS, *extra_cflags))


def m4_elf(target: str, generated: dict, build_dir: Path, name: str) -> Path:
    """Cross-compile ``generated`` (file name -> text; its main is the program) with the
    target's start-up and semihosting into build_dir (codegen.target.elf.build_elf, no HIL
    program of the firmware)."""
    from codegen.target.elf import build_elf

    return build_elf(target, build_dir, hil=None, name=name, generated=generated).elf


def m4_search_insns(files: dict, edges, family: int, tg, L, ls, target: str = "cortex-m4") -> dict:
    """Instructions per search on the Cortex-M (QEMU -icount, firmware/hil/hil_common.h's
    timer arithmetic) for spk_cdf_find and spk_cdf_find_binary of these coder sources, the
    loop's own cost subtracted. The sources are renamed so that either revision's header wins."""
    import re
    import tempfile

    from codegen.hil.qemu import run_qemu
    from codegen.target.elf import ICOUNT_SHIFT

    ren = {"model_cdf.h": "spk_cdfb_model_cdf.h", "model_cdf_tables.h": "spk_cdfb_model_cdf_tables.h"}

    def rename(text):
        for a, b in ren.items():
            text = text.replace(f'#include "{a}"', f'#include "{b}"')
        return text

    def arr(vals):
        return {"size": len(vals), "init": ",".join(str(int(v)) for v in vals)}

    main = _render("cdf_search_bench_m4_main.c.j2", header=ren["model_cdf.h"],
                   hil_common=str(FIRMWARE / "hil" / "hil_common.h"), n=len(tg), family=family,
                   edges=arr(edges), targets=arr(tg), L=arr(L), ls=arr(ls))
    gen = {ren["model_cdf.h"]: rename(files["model_cdf.h"]),
           ren["model_cdf_tables.h"]: rename(files["model_cdf_tables.h"]),
           "spk_cdfb_cdf.c": rename(files["model_cdf.c"]),
           "spk_cdfb_main.c": main}
    with tempfile.TemporaryDirectory(prefix="spikey-cdfb-") as tmp:
        elf = m4_elf(target, gen, Path(tmp) / "build", "cdf_search")
        res = run_qemu(elf, Path(tmp) / "run", timeout=300, icount_shift=ICOUNT_SHIFT, target=target)
    m = re.search(r"SPIKEY cdfb n=(\d+) find=(\d+) binary=(\d+) loop=(\d+)", res.text)
    if res.status != "ok" or not m:
        raise SystemExit(f"QEMU run failed: {res.describe()}")
    n, find, binary, loop = (int(v) for v in m.groups())
    return {"m4_samples": n, "m4_find_insns": (find - loop) / n, "m4_binary_insns": (binary - loop) / n}


def load_data(n_files: int, cache: Path | None):
    """[(name, x, L, ls)] with L, ls aligned to x (entry t predicts x[t]; entry 0 unused)."""
    if cache is not None and cache.is_file():
        z = np.load(cache, allow_pickle=False)
        names = [str(s) for s in z["names"]]
        if len(names) >= n_files:
            return [(names[i], z[f"x{i}"], z[f"L{i}"], z[f"ls{i}"]) for i in range(n_files)]
    from spikey import learned
    from spikey.recordings import read_wav, to_codes
    model = learned.load_model()
    hc = learned.host_codec(model)
    out = []
    for name in model.meta["split"]["validation"][:n_files]:
        codes = np.asarray(to_codes(read_wav(DATA / name).samples), dtype=np.int64)
        L, ls = hc.predict(codes)
        out.append((name, codes, np.concatenate([[0], L[:-1]]), np.concatenate([[0], ls[:-1]])))
    if cache is not None:
        arrays = {"names": np.array([o[0] for o in out])}
        for i, (_, x, L, ls) in enumerate(out):
            arrays.update({f"x{i}": x, f"L{i}": L, f"ls{i}": ls})
        np.savez(cache, **arrays)
    return out


def best_time(fn, reps: int) -> float:
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=3, help="the default model's first N validation files (default 3)")
    ap.add_argument("--reps", type=int, default=15, help="timing repetitions; the best counts (default 15)")
    ap.add_argument("--baseline", default=None, help="also time the coder sources of this git revision")
    ap.add_argument("--cache", default="/tmp/spikey_cdf_search_data.npz",
                    help="predictions cache (.npz; '' to disable)")
    ap.add_argument("--cflags", default=" ".join(EXTRA_CFLAGS),
                    help="host flags after cffi_module.DEFAULT_CFLAGS (default: the learned codec's, %(default)s)")
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--m4", type=int, default=0, metavar="N",
                    help="also count Cortex-M4 instructions per search in QEMU over N samples spread over the files")
    args = ap.parse_args(argv)

    from spikey.learned import load_model
    model = load_model()                 # the bundled default
    family = model.family_id
    edges = np.ascontiguousarray(model.edges, dtype=np.int32)

    extra = tuple(args.cflags.split())
    builds = {"new": build(sources(None), extra_cflags=extra)}
    if args.baseline:
        builds["base"] = build(sources(args.baseline), extra_cflags=extra)
    counting = {k: build(sources(None if k == "new" else args.baseline), count=True, extra_cflags=extra)
                for k in builds}

    data = load_data(args.files, Path(args.cache) if args.cache else None)
    ref = builds["new"]
    ffi, lib = ref.ffi, ref.lib
    fb = ffi.from_buffer
    e_p = fb("int32_t[]", edges)
    rows, m4_parts = [], []
    for name, x, L, ls in data:
        n = len(x)
        x16 = np.ascontiguousarray(x, np.int16)
        L16 = np.ascontiguousarray(L, np.int16)
        ls32 = np.ascontiguousarray(ls, np.int32)
        cap = 4 * n + 64
        buf = np.zeros(cap, np.uint8)
        nb = lib.spk_cb_encode(fb("int16_t[]", x16), fb("int16_t[]", L16), fb("int32_t[]", ls32), n, e_p, family,
                               fb("uint8_t[]", buf), cap)
        assert nb > 0
        tg = np.zeros(n, np.uint32)
        xd = np.zeros(n, np.int16)
        st = lib.spk_cb_targets(fb("uint8_t[]", buf), nb, fb("int16_t[]", L16), fb("int32_t[]", ls32), n, e_p, family,
                                fb("uint32_t[]", tg), fb("int16_t[]", xd))
        assert st == 0 and np.array_equal(xd, x16), "reference decode failed"
        m4_parts.append((tg[1:], L[1:], np.clip(ls[1:], -512, 2560)))
        row = {"file": name, "samples": n, "bits_per_sample": 8.0 * nb / n,
               "mean_abs_x_minus_L": float(np.abs(x[1:] - L[1:]).mean()),
               "median_log2s_q8": float(np.median(np.clip(ls[1:], -512, 2560)))}
        want = np.zeros(3 * n, np.uint32)
        lib.spk_cb_search(1, 0, fb("uint32_t[]", tg), fb("int16_t[]", L16), fb("int32_t[]", ls32), n, e_p, family,
                          fb("uint32_t[]", want))
        for key, mod in builds.items():
            bl, bf = mod.lib, mod.ffi.from_buffer
            args_s = (bf("uint32_t[]", tg), bf("int16_t[]", L16), bf("int32_t[]", ls32), n, bf("int32_t[]", edges),
                      family)
            got = np.zeros(3 * n, np.uint32)
            bl.spk_cb_search(0, 0, *args_s, bf("uint32_t[]", got))
            if not np.array_equal(got, want):
                raise SystemExit(f"{key}: spk_cdf_find differs from spk_cdf_find_binary on {name}")
            for which, label in ((0, "find"), (1, "binary")):
                if which == 1 and key != "new":
                    continue
                for chained, mode in ((1, "chained"), (2, "decoder"), (0, "free")):
                    dt = best_time(lambda: bl.spk_cb_search(which, chained, *args_s, ffi.NULL), args.reps)
                    row[f"{key}_{label}_{mode}_ns"] = 1e9 * dt / (n - 1)
                xo = np.zeros(n, np.int16)
                dargs = (which, bf("uint8_t[]", buf), nb, bf("int16_t[]", L16), bf("int32_t[]", ls32), n,
                         bf("int32_t[]", edges), family, bf("int16_t[]", xo))
                dt = best_time(lambda: bl.spk_cb_decode(*dargs), args.reps)
                assert bl.spk_cb_decode(*dargs) == 0 and np.array_equal(xo, x16)
                row[f"{key}_{label}_decode_ns"] = 1e9 * dt / (n - 1)
            cm = counting[key]
            c0 = cm.lib.spk_cb_evals()
            cm.lib.spk_cb_search(0, 0, cm.ffi.from_buffer("uint32_t[]", tg), cm.ffi.from_buffer("int16_t[]", L16),
                                 cm.ffi.from_buffer("int32_t[]", ls32), n, cm.ffi.from_buffer("int32_t[]", edges),
                                 family, cm.ffi.NULL)
            row[f"{key}_find_evals"] = (cm.lib.spk_cb_evals() - c0) / (n - 1)
        rows.append(row)
        print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}))
    m4 = {}
    if args.m4:
        tg_all, L_all, ls_all = (np.concatenate(a) for a in zip(*m4_parts))
        pick = np.linspace(0, len(tg_all) - 1, args.m4).astype(np.int64)
        for key, rev in (("new", None), *((("base", args.baseline),) if args.baseline else ())):
            r = m4_search_insns(sources(rev), edges, family, tg_all[pick], L_all[pick], ls_all[pick])
            m4.update({f"{key}_{k}": v for k, v in r.items()})
            print(json.dumps({k: round(v, 2) for k, v in m4.items() if k.startswith(key)}))
    n_all = sum(r["samples"] for r in rows)
    keys = [k for k in rows[0] if k.endswith("_ns") or k.endswith("_evals")]
    tot = {k: sum(r[k] * r["samples"] for r in rows) / n_all for k in keys}
    print(f"\n{len(rows)} files, {n_all} samples, sample-weighted means:")
    for k in keys:
        print(f"  {k:32s} {tot[k]:8.2f}")
    for k, v in m4.items():
        print(f"  {k:32s} {v:8.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"rows": rows, "total": tot, "m4": m4}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
