"""Joint streams in C: the generated split predictor API (spk_pred_input, and for MiddleOut
spk_pred_latent / spk_pred_head) and the time-major step driver of firmware/src/spikey_codec.c
(spk_codec_encode_step / spk_codec_decode_step) through the host build, against the Python
reference (codegen.predictor, spikey.learned). Synthetic data, deterministic."""
from pathlib import Path

import numpy as np
import pytest

import spikey_train
from codegen import cgen_predictor as cp
from codegen import predictor as pr
from codegen import reference
from codegen.host_codec import HostCodec
from spikey.learned import FAMILY_IDS, LearnedCodec, host_codec, load_model
from spikey_train.recordings import synth, to_codes

MIDDLEOUT = Path(spikey_train.__file__).parent / "models" / "joint-middleout"
RANGE, RICE_SCALED, RICE_FIXED, HUFFMAN_PRIOR = 4, 3, 2, 5


def channels(lengths, seed=21):
    x = to_codes(synth.generate(len(lengths), max(lengths) / 19531 + 0.01, seed=seed)).astype(np.int64)
    return [x[i][:n] for i, n in enumerate(lengths)]


@pytest.fixture(scope="module")
def plain():
    return load_model()                      # the default model: no MiddleOut


@pytest.fixture(scope="module")
def middle():
    return load_model(MIDDLEOUT)


def _host_predictor(model):
    return cp.HostPredictor(cp.generate(model.predictor, kernel="columns"), sanitize=True)


# --- the generated split API ---------------------------------------------------------------------

def test_split_api_without_middleout_is_the_first_half_of_step(plain):
    p = plain.predictor
    src = cp.generate(p)
    h = src.files["spk_pred.h"]
    assert "#define SPK_PRED_MIDDLEOUT 0" in h and "spk_pred_input(" in h and "spk_pred_head(" not in h
    assert set(src.files) == {"spk_net.h", "spk_net.c", "spk_pred.h", "spk_pred.c"}
    assert src.files["spk_pred.c"].count("static void spk_pred_output(") == 1
    hp = _host_predictor(plain)
    x = channels([3000])[0]
    u, sh = hp.inputs(x, p.fcfg.n_inputs)
    values, ref_sh = pr.integer_features(x, p.fcfg, p.lin)
    assert np.array_equal(sh, ref_sh) and np.array_equal(u, p.quantize_inputs(values, ref_sh))
    # the network on those inputs + the output rule is step
    out = reference.run(p.qg, p._feeds(u))[0]["out"][0]
    L, ls = p.outputs(x, out[:, 0], out[:, 1], sh)
    hL, hls = hp.predict(x)
    assert np.array_equal(hL, L) and np.array_equal(hls, ls)


def test_split_api_with_middleout_equals_step_and_the_reference(middle):
    p = middle.predictor
    src = cp.generate(p)
    h, c = src.files["spk_pred.h"], src.files["spk_pred.c"]
    width = p.qg.tensors["latent"].size
    assert "#define SPK_PRED_MIDDLEOUT 1" in h and f"#define SPK_PRED_LATENT {width}" in h
    assert {"spk_lat.c", "spk_head.c"} <= set(src.files) and "spk_net.c" not in src.files
    assert c.count("static void spk_pred_output(") == 1 and c.count("spk_pred_output(code, sh, out") == 1
    hp = _host_predictor(middle)
    x = channels([2500])[0]
    L, ls = hp.predict(x)                                  # spk_pred_step
    sL, sls, z = hp.split(x, np.zeros((len(x), width)))    # input + latent + head, peer_mean = 0
    rL, rls = p.predict(x)
    assert np.array_equal(sL, L) and np.array_equal(sls, ls)
    assert np.array_equal(L, rL) and np.array_equal(ls, rls)
    values, sh = pr.integer_features(x, p.fcfg, p.lin)
    rz = reference.run(p.latent_qg, {"u": p.quantize_inputs(values, sh)[None]})[0]["latent"][0]
    assert np.array_equal(z, rz)
    # the head with a nonzero peer mean (any legal latent values) == the reference's head
    lat = p.qg.tensors["latent"]
    m = np.random.default_rng(4).integers(lat.lo, lat.hi + 1, (len(x), width))
    mL, mls, _ = hp.split(x, m)
    out = reference.run(p.head_qg, {"latent": rz[None], "peer_mean": m[None]})[0]["out"][0]
    eL, els = p.outputs(x, out[:, 0], out[:, 1], sh)
    assert np.array_equal(mL, eL) and np.array_equal(mls, els)
    assert np.mean(mL != L) > 0.05


# --- the step driver: host C joint streams == the Python reference -----------------------------------

PEERS = np.array([[1, 2, 3, -1], [0, 3, -1, -1], [0, 1, 3, 2], [2, 1, 0, -1]])


@pytest.mark.parametrize("lengths", [(1200, 700, 64, 1000), (1, 300, 2, 299)], ids=["ragged", "tiny"])
def test_middleout_joint_streams_equal_the_reference_and_decode(middle, lengths):
    ch = channels(lengths)
    ref, host = LearnedCodec(model=middle, reference=True), LearnedCodec(model=middle)
    for peers in (PEERS, PEERS[:, :3], PEERS[:, :1]):     # K = 4 (a shift), 3 (a division), 1
        payload = ref.encode_channels(ch, 64, peers)
        assert host.encode_channels(ch, 64, peers) == payload
        assert host.encode_channels(ch, 16, peers) == payload     # the frame is only the packet size
        for out in (host.decode_channels(payload, list(lengths), 64, peers),
                    ref.decode_channels(payload, list(lengths), 64, peers) if max(lengths) < 400 else None):
            if out is not None:
                assert all(np.array_equal(a, b) for a, b in zip(out, ch))


def test_middleout_peer_mean_matters(middle):
    ch = channels((900, 800, 850, 600))
    host = LearnedCodec(model=middle)
    with_peers = host.encode_channels(ch, 64, PEERS)
    none = host.encode_channels(ch, 64, np.full((4, 4), -1))
    assert with_peers != none
    # empty slots count as zeros: all -1 is no message at all, i.e. per-file predictions
    assert none == host.encode_channels(ch, 64, None)
    L, _ = host_codec(middle).predict(ch[0])
    assert np.array_equal(L, middle.predictor.predict(ch[0])[0])
    back = host.decode_channels(with_peers, [len(x) for x in ch], 64, PEERS)
    assert all(np.array_equal(a, b) for a, b in zip(back, ch))
    # decoding with other peers than the encoder's does not restore the codes
    st, out = host_codec(middle).decode(RANGE, with_peers, [len(x) for x in ch], 64, middle.edges,
                                        FAMILY_IDS[middle.family], peers=np.full((4, 4), -1))
    assert st != 0 or not all(np.array_equal(a, b) for a, b in zip(out, ch))


def test_joint_streams_without_middleout_equal_the_reference(plain):
    ch = channels((800, 1300, 65))
    ref, host = LearnedCodec(model=plain, reference=True), LearnedCodec(model=plain)
    payload = ref.encode_channels(ch, 64)
    assert host.encode_channels(ch, 64) == payload
    assert host.encode_channels(ch, 64, np.array([[1], [0], [1]])) == payload   # peers mean nothing here
    back = host.decode_channels(payload, [len(x) for x in ch], 64)
    assert all(np.array_equal(a, b) for a, b in zip(back, ch))


@pytest.fixture(scope="module")
def middle_ubsan(middle):
    """The MiddleOut codec's host build under UBSan (any undefined behaviour aborts)."""
    return HostCodec(cp.generate(middle.predictor, kernel="columns"), sanitize=True)


def test_step_driver_under_ubsan_equals_the_reference(middle, middle_ubsan):
    ch = channels((600, 1, 450, 520), seed=3)
    peers = np.array([[1, 2, 3, 3, 2], [0, 2, -1, 3, 0], [3, 3, 3, 3, 3], [-1, -1, -1, -1, 2]])   # K = 5, repeats
    args = (middle.edges, FAMILY_IDS[middle.family])
    st, payload = middle_ubsan.encode(RANGE, ch, 64, [0] * 4, *args, peers=peers)
    assert st == 0 and payload == LearnedCodec(model=middle, reference=True).encode_channels(ch, 64, peers)
    st, out = middle_ubsan.decode(RANGE, payload, [len(x) for x in ch], 64, *args, peers=peers)
    assert st == 0 and all(np.array_equal(a, b) for a, b in zip(out, ch))


@pytest.mark.parametrize("coder", [RICE_SCALED, RICE_FIXED])
def test_step_driver_rice_joint_streams_round_trip(middle, middle_ubsan, coder):
    ch = channels((500, 700, 300))
    hc = middle_ubsan
    args = (middle.edges, FAMILY_IDS[middle.family])
    params = [3, 7, 0] if coder == RICE_FIXED else [0, 0, 0]
    st, payload = hc.encode(coder, ch, 64, params, *args, peers=PEERS[:3, :2] % 3)
    assert st == 0 and payload
    st, out = hc.decode(coder, payload, [len(x) for x in ch], 64, *args, peers=PEERS[:3, :2] % 3)
    assert st == 0 and all(np.array_equal(a, b) for a, b in zip(out, ch))


def test_step_driver_refuses_the_prior_huffman_coder_for_several_channels(plain):
    hc = host_codec(plain)
    st, _ = hc.encode(HUFFMAN_PRIOR, channels((100, 100)), 64, [0, 0], plain.edges, FAMILY_IDS[plain.family])
    assert st != 0


# --- the step driver's integer peer mean, alone (a stand-in predictor) ------------------------------

FAKE_PRED = r"""
/* A stand-in for the generated spk_pred.h: latent z = (8 (x - 512), -16 x + 7),
 * and the head returns the peer mean itself as (L, log2s_q8). */
#ifndef SPK_PRED_H
#define SPK_PRED_H
#include <stdint.h>
#define SPK_PRED_INPUTS 1
#define SPK_PRED_U_ALLOC 1
#define SPK_PRED_MIDDLEOUT 1
#define SPK_PRED_LATENT 2
#define SPK_PRED_LATENT_FRAC 0
typedef struct { int32_t unused; } spk_pred_state_t;
static inline void spk_pred_reset(spk_pred_state_t *s, int32_t x) { (void)s; (void)x; }
static inline int32_t spk_pred_input(spk_pred_state_t *s, int32_t x, int16_t *u) { (void)s; u[0] = (int16_t)x; return 0; }
static inline void spk_pred_latent(spk_pred_state_t *s, const int16_t *u, int16_t *z)
{ (void)s; z[0] = (int16_t)(8 * (u[0] - 512)); z[1] = (int16_t)(-16 * u[0] + 7); }
static inline void spk_pred_head(spk_pred_state_t *s, int32_t x, int32_t sh, const int16_t *z, const int16_t *m,
                                 int32_t *L, int32_t *ls)
{ (void)s; (void)x; (void)sh; (void)z; *L = m[0]; *ls = m[1]; }
static inline void spk_pred_step(spk_pred_state_t *s, int32_t x, int32_t *L, int32_t *ls)
{ (void)s; (void)x; *L = 0; *ls = 0; }
#endif
"""
FAKE_GLUE = r"""
#include "spikey_codec.h"
/* One joint step of n_chan channels' first samples; m[2c], m[2c+1] = channel c's peer mean. */
static void spk_fake_step(const int16_t *x, const uint8_t *active, uint32_t n_chan, const int16_t *peers,
                          uint32_t n_peers, int32_t *m)
{
    spk_codec_chan_t ch[8];
    spk_codec_t k;
    uint8_t out[64];
    uint32_t c;
    for (c = 0u; c < n_chan; c++)
        spk_codec_chan_init(&ch[c], 0u);
    spk_codec_enc_init(&k, SPK_CODER_RANGE, 0, 0, out, sizeof out);
    spk_codec_encode_step(&k, ch, n_chan, x, active, peers, n_peers);
    for (c = 0u; c < n_chan; c++) {
        m[2 * c] = ch[c].L;
        m[2 * c + 1] = ch[c].log2s_q8;
    }
}
"""


@pytest.fixture(scope="module")
def fake_step():
    from codegen import cffi_module
    from codegen.cgen import FIXED_H_DIR
    from codegen.host_codec import SOURCES
    from codegen.toolchain import FIRMWARE
    files = {name: (FIRMWARE / "src" / name).read_text() for name in SOURCES}
    files.update({"spk_pred.h": FAKE_PRED, "spk_fake.h": FAKE_GLUE})
    return cffi_module.build(files, "void spk_fake_step(const int16_t *x, const uint8_t *active, uint32_t n_chan, "
                             "const int16_t *peers, uint32_t n_peers, int32_t *m);", "spk_fake.h",
                             include_dirs=[FIXED_H_DIR, FIRMWARE / "src"], sanitize=True)


def test_step_driver_peer_mean_is_the_integer_rule(fake_step):
    """Negative and positive sums, K a power of two (a shift) or not (a division), empty
    slots, ended (inactive) and out-of-range peers, repeated peers."""
    ffi, lib = fake_step.ffi, fake_step.lib
    rng = np.random.default_rng(7)
    for trial in range(200):
        n, k = int(rng.integers(1, 9)), int(rng.integers(0, 7))
        x = rng.integers(0, 1024, n).astype(np.int16)
        x[0] = (0, 1023, x[0])[trial % 3]                           # the extremes of z
        active = (rng.random(n) < 0.8).astype(np.uint8)
        peers = rng.integers(-1, n + 1, (n, k)).astype(np.int16)    # n: outside [0, n) = none
        m = np.zeros(2 * n, np.int32)
        lib.spk_fake_step(ffi.from_buffer("int16_t[]", x), ffi.from_buffer("uint8_t[]", active), n,
                          ffi.from_buffer("int16_t[]", peers if peers.size else np.zeros(1, np.int16)), k,
                          ffi.from_buffer("int32_t[]", m))
        xi = x.astype(np.int64)
        z = np.stack([8 * (xi - 512), -16 * xi + 7], axis=1)
        for c in np.flatnonzero(active):
            live = [p for p in peers[c].tolist() if 0 <= p < n and active[p]]
            total = z[live].sum(axis=0) if live else np.zeros(2, np.int64)
            assert m[2 * c: 2 * c + 2].tolist() == pr.peer_mean(total, k).tolist(), (trial, c)
