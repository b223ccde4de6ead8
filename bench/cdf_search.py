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
plus --cflags (default -O3 -march=native, as codegen/host_codec.py builds the learned codec).
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

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from codegen import cffi_module  # noqa: E402
from codegen.toolchain import FIRMWARE  # noqa: E402

DATA = Path("/work/shared/data/neuralink-dev")
FILES = ("model_cdf.c", "model_cdf.h", "model_cdf_tables.h", "range_coder.c", "range_coder.h")

CDEF = """
uint32_t spk_cb_encode(const int16_t *x, const int16_t *L, const int32_t *ls, uint32_t n,
                       const int32_t *edges, uint32_t family, uint8_t *out, uint32_t cap);
int spk_cb_targets(const uint8_t *buf, uint32_t n_bytes, const int16_t *L, const int32_t *ls, uint32_t n,
                   const int32_t *edges, uint32_t family, uint32_t *tg, int16_t *x);
uint32_t spk_cb_search(uint32_t which, uint32_t chained, const uint32_t *tg, const int16_t *L, const int32_t *ls,
                       uint32_t n, const int32_t *edges, uint32_t family, uint32_t *out);
int spk_cb_decode(uint32_t which, const uint8_t *buf, uint32_t n_bytes, const int16_t *L, const int32_t *ls,
                  uint32_t n, const int32_t *edges, uint32_t family, int16_t *x);
uint64_t spk_cb_evals(void);
"""

GLUE = r"""
#include "model_cdf.h"
#include "range_coder.h"

static uint64_t spk_cb_evals(void)
{
#ifdef SPK_CB_COUNTING
    return spk_cb_n_evals_ext;
#else
    return 0u;
#endif
}

static uint32_t spk_cb_encode(const int16_t *x, const int16_t *L, const int32_t *ls, uint32_t n,
                              const int32_t *edges, uint32_t family, uint8_t *out, uint32_t cap)
{
    spk_cdf_model_t m;
    spk_rc_enc_t e;
    uint32_t t;
    spk_cdf_init(&m, edges, family);
    spk_rc_enc_init(&e, out, cap);
    spk_rc_encode_first(&e, (uint32_t)x[0]);
    for (t = 1u; t < n; t++)
        spk_rc_encode_one(&e, &m, (uint32_t)x[t], (uint32_t)L[t], ls[t]);
    return (spk_rc_enc_finish(&e) == SPK_OK) ? e.pos : 0u;
}

/* The decoder's targets (bisection search: the reference). */
static int spk_cb_targets(const uint8_t *buf, uint32_t n_bytes, const int16_t *L, const int32_t *ls, uint32_t n,
                          const int32_t *edges, uint32_t family, uint32_t *tg, int16_t *x)
{
    spk_cdf_model_t m;
    spk_rc_dec_t d;
    uint32_t t;
    spk_cdf_init(&m, edges, family);
    spk_rc_dec_init(&d, buf, n_bytes);
    x[0] = (int16_t)spk_rc_decode_first(&d);
    tg[0] = 0u;
    for (t = 1u; t < n; t++) {
        uint32_t r, c_lo, c_hi;
        tg[t] = spk_rc_target(&d, &r);
        x[t] = (int16_t)spk_cdf_find_binary(&m, tg[t], (uint32_t)L[t], spk_cdf_clamp_log2s(ls[t]), &c_lo, &c_hi);
        spk_rc_consume(&d, r, c_lo, c_hi);
    }
    return (int)spk_rc_dec_finish(&d);
}

/* Searches over samples 1..n-1; out[3t..3t+2] = x, C(x), C(x+1). chained 1: the next target
 * depends on x and C(x); 2: the next L and log2s depend on x alone; 0: no dependency (dep is
 * always 0, which the compiler cannot know). One loop per mode. */
#define SPK_CB_LOOP(FIND, DEP_T, DEP_X)                                                          \
    for (t = 1u; t < n; t++) {                                                                   \
        uint32_t c_lo, c_hi;                                                                     \
        x = FIND(&m, tg[t] + dep, (uint32_t)L[t] + dep_x, spk_cdf_clamp_log2s(ls[t] + (int32_t)dep_x), \
                 &c_lo, &c_hi);                                                                  \
        dep = DEP_T;                                                                             \
        dep_x = DEP_X;                                                                           \
        if (out) {                                                                               \
            out[3u * t] = x;                                                                     \
            out[3u * t + 1u] = c_lo;                                                             \
            out[3u * t + 2u] = c_hi;                                                             \
        }                                                                                        \
        sum += x;                                                                                \
    }

static uint32_t spk_cb_search(uint32_t which, uint32_t chained, const uint32_t *tg, const int16_t *L,
                              const int32_t *ls, uint32_t n, const int32_t *edges, uint32_t family,
                              uint32_t *out)
{
    spk_cdf_model_t m;
    uint32_t t, x = 0u, sum = 0u, dep = 0u, dep_x = 0u;
    spk_cdf_init(&m, edges, family);
    if (which == 0u) {
        if (chained == 1u) {
            SPK_CB_LOOP(spk_cdf_find, (x + c_lo) >> 30, 0u)
        } else if (chained == 2u) {
            SPK_CB_LOOP(spk_cdf_find, 0u, x >> 11)
        } else {
            SPK_CB_LOOP(spk_cdf_find, 0u, 0u)
        }
    } else {
        if (chained == 1u) {
            SPK_CB_LOOP(spk_cdf_find_binary, (x + c_lo) >> 30, 0u)
        } else if (chained == 2u) {
            SPK_CB_LOOP(spk_cdf_find_binary, 0u, x >> 11)
        } else {
            SPK_CB_LOOP(spk_cdf_find_binary, 0u, 0u)
        }
    }
    return sum;
}

static int spk_cb_decode(uint32_t which, const uint8_t *buf, uint32_t n_bytes, const int16_t *L, const int32_t *ls,
                         uint32_t n, const int32_t *edges, uint32_t family, int16_t *x)
{
    spk_cdf_model_t m;
    spk_rc_dec_t d;
    uint32_t t;
    spk_cdf_init(&m, edges, family);
    spk_rc_dec_init(&d, buf, n_bytes);
    x[0] = (int16_t)spk_rc_decode_first(&d);
    if (which == 0u) {
        for (t = 1u; t < n; t++)
            x[t] = (int16_t)spk_rc_decode_one(&d, &m, (uint32_t)L[t], ls[t]);
    } else {
        for (t = 1u; t < n; t++) {
            uint32_t r, c_lo, c_hi;
            const uint32_t tgt = spk_rc_target(&d, &r);
            x[t] = (int16_t)spk_cdf_find_binary(&m, tgt, (uint32_t)L[t], spk_cdf_clamp_log2s(ls[t]), &c_lo, &c_hi);
            spk_rc_consume(&d, r, c_lo, c_hi);
        }
    }
    return (int)spk_rc_dec_finish(&d);
}
"""


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
    hook = ("\n#define SPK_CB_COUNTING 1\nextern unsigned long long spk_cb_n_evals_ext;\n"
            "static inline uint32_t spk_cdf_eval_counted(const spk_cdf_model_t *m, uint32_t k, uint32_t L, int32_t ls)\n"
            "{\n    spk_cb_n_evals_ext++;\n    return spk_cdf_eval_raw(m, k, L, ls);\n}\n")
    # rename the definition, then route every other use through the counter
    h = h.replace("static inline uint32_t spk_cdf_eval(", "static inline uint32_t spk_cdf_eval_raw(", 1)
    end = h.index("\n}\n", h.index("spk_cdf_eval_raw(")) + 3       # right after its definition
    h = h[:end] + hook + "#define spk_cdf_eval spk_cdf_eval_counted\n" + h[end:]
    files["model_cdf.h"] = h
    files["model_cdf.c"] = "unsigned long long spk_cb_n_evals_ext;\n" + files["model_cdf.c"]
    return files


EXTRA_CFLAGS = ("-O3", "-march=native")      # as codegen/host_codec.py builds the learned codec


def build(files: dict, count: bool = False, extra_cflags=EXTRA_CFLAGS):
    files = count_sources(files) if count else dict(files)
    files["spk_cb_glue.h"] = GLUE
    return cffi_module.build(files, CDEF, "spk_cb_glue.h", include_dirs=[FIRMWARE / "include"],
                             cflags=(*cffi_module.DEFAULT_CFLAGS, *extra_cflags))


M4_MAIN = r"""
#include <stdint.h>
#include "@HEADER@"
#include "@HIL_COMMON@"
#include "spk_cdfb_data.h"

int main(void)
{
    spk_cdf_model_t m;
    uint32_t i, w, t0, t1, ov, sum = 0u, insns[3];
    ov = hil_calibrate(0u);
    spk_cdf_init(&m, spk_cdfb_edges, SPK_CDFB_FAMILY);
    for (w = 0u; w < 3u; w++) {
        SPK_COMPILER_BARRIER();
        t0 = spk_timer_read();
        SPK_COMPILER_BARRIER();
        for (i = 0u; i < SPK_CDFB_N; i++) {
            uint32_t lo = 0u, hi = 0u, x;
            if (w == 0u) {
                x = spk_cdf_find(&m, spk_cdfb_t[i], spk_cdfb_L[i], spk_cdfb_ls[i], &lo, &hi);
            } else if (w == 1u) {
                x = spk_cdf_find_binary(&m, spk_cdfb_t[i], spk_cdfb_L[i], spk_cdfb_ls[i], &lo, &hi);
            } else {
                x = spk_cdfb_t[i] + spk_cdfb_L[i] + (uint32_t)spk_cdfb_ls[i];   /* the loop alone */
            }
            sum += x + lo + hi;
        }
        SPK_COMPILER_BARRIER();
        t1 = spk_timer_read();
        SPK_COMPILER_BARRIER();
        insns[w] = ticks_to_insns(t0 - t1) - ov;
    }
    spk_semi_write0("SPIKEY cdfb");
    put_kv("n", SPK_CDFB_N);
    put_kv("find", insns[0]);
    put_kv("binary", insns[1]);
    put_kv("loop", insns[2]);
    put_kv("sum", sum);
    spk_semi_write0("\n");
    return SPK_EXIT_OK;
}
"""


def m4_search_insns(files: dict, edges, family: int, tg, L, ls, target: str = "cortex-m4") -> dict:
    """Instructions per search on the Cortex-M (QEMU -icount, firmware/hil/hil_common.h's
    timer arithmetic) for spk_cdf_find and spk_cdf_find_binary of these coder sources, the
    loop's own cost subtracted. The sources are renamed so that either revision's header wins."""
    import re
    import tempfile
    from codegen import cortex_m

    ren = {"model_cdf.h": "spk_cdfb_model_cdf.h", "model_cdf_tables.h": "spk_cdfb_model_cdf_tables.h"}

    def rename(text):
        for a, b in ren.items():
            text = text.replace(f'#include "{a}"', f'#include "{b}"')
        return text

    def arr(ctype, name, vals):
        body = ",".join(str(int(v)) for v in vals)
        return f"static const {ctype} {name}[{len(vals)}] = {{{body}}};\n"

    data = (f"#define SPK_CDFB_N {len(tg)}u\n#define SPK_CDFB_FAMILY {family}u\n"
            + arr("int32_t", "spk_cdfb_edges", edges) + arr("uint32_t", "spk_cdfb_t", tg)
            + arr("uint16_t", "spk_cdfb_L", L) + arr("int16_t", "spk_cdfb_ls", ls))
    gen = {ren["model_cdf.h"]: rename(files["model_cdf.h"]),
           ren["model_cdf_tables.h"]: rename(files["model_cdf_tables.h"]),
           "spk_cdfb_cdf.c": rename(files["model_cdf.c"]),
           "spk_cdfb_data.h": data,
           "spk_cdfb_main.c": M4_MAIN.replace("@HEADER@", ren["model_cdf.h"])
                                     .replace("@HIL_COMMON@", str(FIRMWARE / "hil" / "hil_common.h"))}
    elf = cortex_m.build_elf(target, name="cdf_search", hil_sources=(), generated=gen)
    with tempfile.TemporaryDirectory() as tmp:
        res = cortex_m.run_qemu(elf, tmp, timeout=300)
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
    from spikey_train.recordings.adc import to_codes
    from spikey_train.recordings.wav import read_wav
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
    ap.add_argument("--files", type=int, default=3)
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--baseline", default=None, help="also time the coder sources of this git revision")
    ap.add_argument("--cache", default="/tmp/spikey_cdf_search_data.npz",
                    help="predictions cache (.npz; '' to disable)")
    ap.add_argument("--cflags", default=" ".join(EXTRA_CFLAGS),
                    help="host flags after cffi_module.DEFAULT_CFLAGS (default: the learned codec's, %(default)s)")
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--m4", type=int, default=0, metavar="N",
                    help="also count Cortex-M4 instructions per search in QEMU over N samples spread over the files")
    args = ap.parse_args(argv)

    from spikey.coders.model_cdf import edges_from_meta
    meta = json.loads((ROOT / "spikey_train/models/default/model.json").read_text())
    family = {"logistic": 0, "laplace": 1}[meta["coder"]["family"]]
    edges = np.ascontiguousarray(edges_from_meta(meta), dtype=np.int32)

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
