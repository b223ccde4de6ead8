"""The per-channel predictor (codegen/reference/predictor.py) -> C99 sources, and the
learned codec's frame API around it.

    src = generate(pred)     # CSources: spk_net.{h,c} (MiddleOut: spk_lat + spk_head), spk_pred.{h,c},
                             # spk_codec.{h,c}

The network is emitted by :func:`codegen.emit.cgen.generate` (prefix ``spk_net``; a
MiddleOut model's as its two halves ``spk_lat`` (u -> latent) and ``spk_head`` ((latent,
peer_mean) -> out), cut at the latent by codegen.reference.predictor); the features, the
input quantisation and the output rule are emitted here from the Jinja templates
``predictor.h.j2`` / ``predictor_api.h.j2`` / ``predictor.c.j2``, and the frame API
(spk_codec: the predictor driving the runtime's coders) from ``codec.{h,c}.j2``. Same
predictor -> byte-identical files. API (one state per channel):

    void spk_pred_reset(spk_pred_state_t *s, int32_t first_code);
    void spk_pred_step(spk_pred_state_t *s, int32_t code, int32_t *L, int32_t *log2s_q8);
    int32_t spk_pred_input(spk_pred_state_t *s, int32_t code, int16_t *u);   /* step's first half: sh */
    #define SPK_PRED_MIDDLEOUT 0 or 1
    /* MiddleOut only (SPK_PRED_LATENT = the latent's width): */
    void spk_pred_latent(spk_pred_state_t *s, const int16_t *u, int16_t *z);
    void spk_pred_head(spk_pred_state_t *s, int32_t code, int32_t sh, const int16_t *z,
                       const int16_t *peer_mean, int32_t *L, int32_t *log2s_q8);

step = input + the network + the output rule; for MiddleOut models input + latent + head
with peer_mean = 0 (the output rule is one static function of spk_pred.c).
"""
from __future__ import annotations

from spikey import features as ft
from spikey import fixed

from ..errors import RangeError, UnsupportedError
from ..reference.predictor import LATENT, LOG2S_MAX_Q8, Predictor
from . import cgen
from .cformat import c_array, ident
from .env import render

PREFIX = "spk_pred"
NET_PREFIX = "spk_net"
LAT_PREFIX, HEAD_PREFIX = "spk_lat", "spk_head"     # a MiddleOut network's two halves
PEER_MEAN = "peer_mean"
CODEC = "spk_codec"                                 # the frame API


def _check_ranges(pred: Predictor) -> None:
    """The output rule's products must fit int32 for every int16 network output."""
    if pred.f_out < max(ft.SH_MAX, ft.Q_EMA) - 15:   # |out| * 2^(sh - f_out) < 2^30
        raise RangeError("out", f"output frac {pred.f_out} too small: mu * 2^(sh - frac) may overflow int32")


def _middleout_nets(pred: Predictor, kernel: str) -> tuple[cgen.CSources, cgen.CSources]:
    """The projector (u -> latent) and the head ((latent, peer_mean) -> out) as C: the two
    halves of the network, cut at the latent (codegen.reference.predictor: latent_qg, head_qg)."""
    lat_qg, head_qg = pred.latent_qg, pred.head_qg
    z, m = lat_qg.tensors[LATENT], head_qg.tensors[PEER_MEAN]
    if (z.size, z.frac) != (m.size, m.frac) or head_qg.tensors[LATENT].frac != z.frac:
        raise UnsupportedError(PEER_MEAN, "format", f"peer_mean ({m.size} x q*2^-{m.frac}) must have the latent's "
                               f"format ({z.size} x q*2^-{z.frac}) to average peers' latents without rescaling")
    return cgen.generate(lat_qg, LAT_PREFIX, kernel), cgen.generate(head_qg, HEAD_PREFIX, kernel)


def generate(pred: Predictor, prefix: str = PREFIX, net_prefix: str = NET_PREFIX, kernel: str = "rows") -> cgen.CSources:
    """kernel: the network's Dense kernel (codegen.emit.cgen.generate): "rows" for Cortex-M,
    "columns" for the host (its vectors also quantise the inputs), "mve" for the Cortex-M55
    (Helium also quantises the inputs: spikey_mve.h). A MiddleOut model's network is emitted as its two halves
    (spk_lat, spk_head) instead of whole (net_prefix): step runs both, with peer_mean = 0."""
    _check_ranges(pred)
    mo = pred.middleout
    nets = list(_middleout_nets(pred, kernel)) if mo else [cgen.generate(pred.qg, net_prefix, kernel)]
    c = pred.fcfg
    identity = pred.identity()
    peers = [dict(name=n, c=f"{prefix}_zero_{ident(n)}", size=pred.qg.tensors[n].size,
                  frac=pred.qg.tensors[n].frac) for n in pred.qg.inputs if n != "u"]
    args = {q["name"]: q["c"] for q in peers}
    latent = pred.qg.tensors[LATENT] if mo else None
    emas = [dict(src="d", shift=s) for s in c.ema_shifts] + [dict(src="d - s->last_d", shift=s) for s in c.ema2_shifts]
    vector = kernel == "columns"
    u_groups, u_pre = _u_groups(pred) if vector else ([], [])

    def v_of(expr: str) -> str:
        return f"(int32_t){prefix}_lin_q4[{expr}]" if pred.lin is not None else f"({expr}) * 16"

    ctx = dict(p=prefix, P=prefix.upper(), guard=prefix.upper() + "_H", net=net_prefix, name=pred.name,
               digest=pred.qg.digest(), identity_hex=identity.hex(),
               identity_bytes=", ".join(f"0x{b:02x}" for b in identity),
               log2s_min=pred.log2s_min_q8, log2s_max=LOG2S_MAX_Q8,
               levels=pred.levels, fir=_fir_levels(pred), taps=c.taps,
               win_t=_win_type(pred),
               lo=", ".join(str(int(v)) for v in pred.lo_q15), hi=", ".join(str(int(v)) for v in pred.hi_q15),
               lin=None if pred.lin is None else c_array(pred.lin),
               n_ema=c.n_ema, emas=emas, ema_init=c.ema_init, window=c.window, window_k=pred.window_k,
               ema_off=c.window + c.n_wavelet, blocks=_blocks(pred), n_inputs=c.n_inputs, normalise=c.normalise, norm_ema=c.norm_ema,
               sh_max=ft.SH_MAX, f_in=pred.f_in, f_out=pred.f_out, peer_inputs=peers,
               net_args=["u" if n == "u" else args[n] for n in pred.qg.inputs], v_of=v_of,
               middleout=mo, lat=LAT_PREFIX, head=HEAD_PREFIX,
               latent=latent.size if mo else 0, latent_frac=latent.frac if mo else 0,
               lat_args=["u"], head_args=[{LATENT: "z", PEER_MEAN: "peer_mean"}[n] for n in pred.head_qg.inputs] if mo else [],
               zero_peer_mean=args.get(PEER_MEAN), vector=vector, mve=kernel == "mve",
               u_groups=u_groups, u_pre=u_pre,
               win_new=_win_new(pred, v_of),
               u_alloc=U_GROUP * len(u_groups) if vector else c.n_inputs)
    files = {}
    for net in nets:
        files.update(net.files)
    files[f"{prefix}.h"] = render("predictor.h.j2", **ctx)
    files[f"{prefix}.c"] = render("predictor.c.j2", **ctx)
    files[f"{CODEC}.h"] = render("codec.h.j2", **ctx)
    files[f"{CODEC}.c"] = render("codec.c.j2", **ctx)
    cdef = "".join(net.cdef for net in nets) + render("predictor_api.h.j2", **ctx)
    return cgen.CSources(prefix=prefix, files=files, cdef=cdef, header=f"{prefix}.h")


INT16_MIN, INT16_MAX, INT32_MAX = fixed.INT16_MIN, fixed.INT16_MAX, fixed.INT32_MAX


def _win_new(pred: Predictor, v_of) -> str:
    """C expression of the window's newest element from code and s->last_code."""
    return f"{v_of('code')} - {v_of('s->last_code')}" if pred.lin is not None else "code - s->last_code"


def _win_type(pred: Predictor) -> str:
    """The window ring's element type: int16_t when every difference fits (|d| <= 1023 for
    codes, max(lin) - min(lin) for lin[x] Q4), else int32_t."""
    bound = 1023 if pred.lin is None else int(pred.lin.max()) - int(pred.lin.min())
    return "int16_t" if bound <= INT16_MAX else "int32_t"


def _fir_levels(pred: Predictor) -> list[dict]:
    """Each a-trous level as the C computes it (templates/predictor.c.j2).

    The delay line is a doubled ring (every value written at pos and pos + length), so the
    taps are at fixed offsets from the newest value. It holds ``a - c`` where ``c`` centres
    the proved input range [in_lo, in_hi]: int16 when that fits, else int32 with c = 0.
    Both filters are unrolled, equal taps at mirrored delays share one multiply, and each
    accumulator starts at ``c * sum(taps) + 2^14``, so ``acc >> 15`` is exactly
    ``rshr(sum(tap * a), 15)`` (the offset's contribution and the rounding offset folded in).
    The accumulator is int32 when |start| + sum |tap| * max|a - c| per term fits, else int64."""
    out = []
    lo_t, hi_t = [int(v) for v in pred.lo_q15.tolist()], [int(v) for v in pred.hi_q15.tolist()]
    n = len(lo_t)
    for j, lv in enumerate(pred.levels):
        c = (lv.in_lo + lv.in_hi + 1) // 2
        v_lo, v_hi = pred.levels[0].in_lo, pred.levels[0].in_hi   # reset fills every ring with v
        if lv.in_lo - c >= INT16_MIN and lv.in_hi - c <= INT16_MAX and lv.in_lo <= v_lo and v_hi <= lv.in_hi:
            elem = "int16_t"
        else:
            c, elem = 0, "int32_t"
        amax = max(abs(lv.in_lo - c), abs(lv.in_hi - c))
        filters = []
        for name, taps in (("hi", hi_t), ("lo", lo_t)):
            start = c * sum(taps) + fixed.round_offset(ft.Q15)   # the rounding offset, folded in
            terms = []
            for k in range((n + 1) // 2):
                m = n - 1 - k
                if m == k:
                    terms.append(dict(tap=taps[k], idx=[k]))
                elif taps[k] == taps[m]:
                    terms.append(dict(tap=taps[k], idx=[k, m]))
                else:
                    terms += [dict(tap=taps[k], idx=[k]), dict(tap=taps[m], idx=[m])]
            terms = [t for t in terms if t["tap"]]
            bound = abs(start) + sum(abs(t["tap"]) * len(t["idx"]) * amax for t in terms)
            if bound > (1 << 63) - 1:
                raise RangeError(f"fir level {j}", f"accumulator needs {bound}, more than int64")
            filters.append(dict(name=name, start=start, terms=terms, bound=bound,
                                bits=32 if bound <= INT32_MAX else 64))
        out.append(dict(j=j, spacing=lv.spacing, length=lv.length, in_lo=lv.in_lo, in_hi=lv.in_hi, c=c,
                        elem=elem, filters=filters, taps=n))
    return out


def _blocks(pred: Predictor) -> list[dict]:
    out, start = [], 0
    for name, count, k in pred.input_shifts():
        if count:
            out.append(dict(name=name, start=start, stop=start + count, k=k))
        start += count
    return out


U_GROUP = 16   # lanes of one spk_v8_quant16 (spikey_vec.h)


def _u_groups(pred: Predictor) -> tuple[list[dict], list[dict]]:
    """The host's input quantisation (kernel "columns"): u in groups of 16 lanes, each two
    spk_v8 vectors of values (C expressions) and, per lane, k and whether the shift adds sh
    (m = -1) or not (the last input, sh itself, at r = 2); lanes past the inputs are 0.

    A vector of 8 window lanes is read before the step writes the ring (``pre``: the window
    after the step is the ring's newer W - 1 values, then the new difference), so the load
    does not wait on the fresh 2-byte store it would overlap; the newest lane gets the new
    difference in a register (spk_v8_put). Other lanes are read after the step. Returns
    (groups, pre-step loads: each with ``put`` when it holds the newest lane)."""
    W = pred.fcfg.window
    load = "spk_v8_load16" if _win_type(pred) == "int16_t" else "spk_v8_load"
    src = {"window": "s->win[s->win_pos + {}]", "wavelet": "wav[{}]", "ema": "s->ema[{}]"}
    lanes = []
    for b in _blocks(pred):
        if b["start"] != len(lanes):
            raise AssertionError(f"input block {b['name']} does not follow the previous one")
        lanes += [dict(block=b["name"], j=j, k=b["k"], m=-1) for j in range(b["stop"] - b["start"])]
    lanes.append(dict(block="sh", j=0, k=2, m=0))          # u[n - 1] = sat16(rshr(sh * 2^f_in, 2))
    lanes += [dict(block="zero", j=0, k=0, m=0)] * (-len(lanes) % U_GROUP)
    pre = []

    def vec(part: list[dict]) -> str:
        j0 = part[0]["j"]
        if all(q["block"] == "window" and q["j"] == j0 + i for i, q in enumerate(part)):
            name = f"win{len(pre)}"
            pre.append(dict(c=name, expr=f"{load}(&s->win[s->win_pos + {j0 + 1}])", put=j0 + 8 >= W))
            return f"spk_v8_put({name}, {W - 1 - j0}, d)" if pre[-1]["put"] else name
        vals = {"sh": "sh", "zero": "0"}
        return "spk_v8_set(" + ", ".join(vals.get(q["block"]) or ("(int32_t)" if q["block"] == "window" else "")
                                         + src[q["block"]].format(q["j"]) for q in part) + ")"

    groups = [dict(a=vec(g[:8]), b=vec(g[8:]), k=", ".join(str(q["k"]) for q in g), m=", ".join(str(q["m"]) for q in g))
              for g in (lanes[i:i + U_GROUP] for i in range(0, len(lanes), U_GROUP))]
    return groups, pre
