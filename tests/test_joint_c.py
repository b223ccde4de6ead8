"""Joint streams in C: the generated split predictor API (spk_pred_input, and for MiddleOut
spk_pred_latent / spk_pred_head) and the time-major step driver of the generated frame API
spk_codec.c (codegen/emit/templates/codec.c.j2: spk_codec_encode_step / spk_codec_decode_step)
through the host build, against the Python reference (codegen.reference.predictor,
codegen.reference.codec). Synthetic data, deterministic."""
from pathlib import Path

import numpy as np
import pytest
from refs import compiled, predictor, reference, runtime

from codegen.emit import predictor as cp
from codegen.host.predictor import HostPredictor
from codegen.reference import predictor as pr
from codegen.reference import run
from spikey.learned import host_codec
from spikey.model import files
from spikey.model.host import HostCodec
from spikey.recordings import synth, to_codes

MIDDLEOUT = files.BUNDLED / files.MIDDLEOUT
RANGE, RICE_SCALED, RICE_FIXED, HUFFMAN_PRIOR = 4, 3, 2, 5


def channels(lengths, seed=21):
    x = to_codes(synth.generate(len(lengths), max(lengths) / 19531 + 0.01, seed=seed)).astype(np.int64)
    return [x[i][:n] for i, n in enumerate(lengths)]


@pytest.fixture(scope="module")
def plain():
    return predictor()                       # the default model's integer predictor: no MiddleOut


@pytest.fixture(scope="module")
def middle():
    return predictor(MIDDLEOUT)


def _host_predictor(pred):
    return HostPredictor(cp.generate(pred, kernel="columns"), sanitize=True)


# --- the generated split API ---------------------------------------------------------------------

def test_split_api_without_middleout_is_the_first_half_of_step(plain):
    p = plain
    src = cp.generate(p)
    h = src.files["spk_pred.h"]
    assert "#define SPK_PRED_MIDDLEOUT 0" in h and "spk_pred_input(" in h and "spk_pred_head(" not in h
    assert set(src.files) == {"spk_net.h", "spk_net.c", "spk_pred.h", "spk_pred.c", "spk_codec.h", "spk_codec.c"}
    assert src.files["spk_pred.c"].count("static void spk_pred_output(") == 1
    hp = _host_predictor(plain)
    x = channels([3000])[0]
    u, sh = hp.inputs(x, p.fcfg.n_inputs)
    values, ref_sh = pr.integer_features(x, p.fcfg, p.lin)
    assert np.array_equal(sh, ref_sh) and np.array_equal(u, p.quantize_inputs(values, ref_sh))
    # the network on those inputs + the output rule is step
    out = run.run(p.qg, p._feeds(u))[0]["out"][0]
    L, ls = p.outputs(x, out[:, 0], out[:, 1], sh)
    hL, hls = hp.predict(x)
    assert np.array_equal(hL, L) and np.array_equal(hls, ls)


def test_split_api_with_middleout_equals_step_and_the_reference(middle):
    p = middle
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
    rz = run.run(p.latent_qg, {"u": p.quantize_inputs(values, sh)[None]})[0]["latent"][0]
    assert np.array_equal(z, rz)
    # the head with a nonzero peer mean (any legal latent values) == the reference's head
    lat = p.qg.tensors["latent"]
    m = np.random.default_rng(4).integers(lat.lo, lat.hi + 1, (len(x), width))
    mL, mls, _ = hp.split(x, m)
    out = run.run(p.head_qg, {"latent": rz[None], "peer_mean": m[None]})[0]["out"][0]
    eL, els = p.outputs(x, out[:, 0], out[:, 1], sh)
    assert np.array_equal(mL, eL) and np.array_equal(mls, els)
    assert np.mean(mL != L) > 0.05


# --- the step driver: host C joint streams == the Python reference -----------------------------------

PEERS = np.array([[1, 2, 3, -1], [0, 3, -1, -1], [0, 1, 3, 2], [2, 1, 0, -1]])


@pytest.mark.parametrize("lengths", [(1200, 700, 64, 1000), (1, 300, 2, 299)], ids=["ragged", "tiny"])
def test_middleout_joint_streams_equal_the_reference_and_decode(lengths):
    ch = channels(lengths)
    ref, host = reference(MIDDLEOUT), runtime(MIDDLEOUT)
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
    host = runtime(MIDDLEOUT)
    with_peers = host.encode_channels(ch, 64, PEERS)
    none = host.encode_channels(ch, 64, np.full((4, 4), -1))
    assert with_peers != none
    # empty slots count as zeros: all -1 is no message at all, i.e. per-file predictions
    assert none == host.encode_channels(ch, 64, None)
    L, _ = host_codec(compiled(MIDDLEOUT)).predict(ch[0])
    assert np.array_equal(L, middle.predict(ch[0])[0])
    back = host.decode_channels(with_peers, [len(x) for x in ch], 64, PEERS)
    assert all(np.array_equal(a, b) for a, b in zip(back, ch))
    # decoding with other peers than the encoder's does not restore the codes
    st, out = host_codec(compiled(MIDDLEOUT)).decode(RANGE, with_peers, [len(x) for x in ch], 64,
                                                     peers=np.full((4, 4), -1))
    assert st != 0 or not all(np.array_equal(a, b) for a, b in zip(out, ch))


def test_joint_streams_without_middleout_equal_the_reference():
    ch = channels((800, 1300, 65))
    ref, host = reference(), runtime()
    payload = ref.encode_channels(ch, 64)
    assert host.encode_channels(ch, 64) == payload
    assert host.encode_channels(ch, 64, np.array([[1], [0], [1]])) == payload   # peers mean nothing here
    back = host.decode_channels(payload, [len(x) for x in ch], 64)
    assert all(np.array_equal(a, b) for a, b in zip(back, ch))


@pytest.fixture(scope="module")
def middle_ubsan():
    """The MiddleOut codec's host build under UBSan (any undefined behaviour aborts)."""
    return HostCodec(compiled(MIDDLEOUT), sanitize=True)


def test_step_driver_under_ubsan_equals_the_reference(middle_ubsan):
    ch = channels((600, 1, 450, 520), seed=3)
    peers = np.array([[1, 2, 3, 3, 2], [0, 2, -1, 3, 0], [3, 3, 3, 3, 3], [-1, -1, -1, -1, 2]])   # K = 5, repeats
    st, payload = middle_ubsan.encode(RANGE, ch, 64, [0] * 4, peers=peers)
    assert st == 0 and payload == reference(MIDDLEOUT).encode_channels(ch, 64, peers)
    st, out = middle_ubsan.decode(RANGE, payload, [len(x) for x in ch], 64, peers=peers)
    assert st == 0 and all(np.array_equal(a, b) for a, b in zip(out, ch))


@pytest.mark.parametrize("coder", [RICE_SCALED, RICE_FIXED])
def test_step_driver_rice_joint_streams_round_trip(middle_ubsan, coder):
    ch = channels((500, 700, 300))
    hc = middle_ubsan
    params = [3, 7, 0] if coder == RICE_FIXED else [0, 0, 0]
    st, payload = hc.encode(coder, ch, 64, params, peers=PEERS[:3, :2] % 3)
    assert st == 0 and payload
    st, out = hc.decode(coder, payload, [len(x) for x in ch], 64, peers=PEERS[:3, :2] % 3)
    assert st == 0 and all(np.array_equal(a, b) for a, b in zip(out, ch))


def test_step_driver_refuses_the_prior_huffman_coder_for_several_channels():
    hc = host_codec(compiled())
    st, _ = hc.encode(HUFFMAN_PRIOR, channels((100, 100)), 64, [0, 0])
    assert st != 0


# --- the step driver's integer peer mean, alone (a stand-in predictor) ------------------------------

# The stand-in predictor (firmware/tests/joint_c_fake_pred.h, built as spk_pred.h), the frame
# API rendered from its templates (codegen/emit/templates/codec.{h,c}.j2, as spk_codec.h / .c)
# and the glue that runs one joint step (joint_c_fake_glue.c / .h).
TESTS_C = Path(__file__).resolve().parents[1] / "firmware" / "tests"


@pytest.fixture(scope="module")
def fake_step():
    from codegen.emit.env import render
    from codegen.emit.predictor import CODEC
    from spikey import firmware, native
    srcs = {p.name: p.read_text() for p in firmware.sources("runtime.coders")}
    ctx = {"name": "joint_c_fake", "identity_hex": "00" * 8}     # the templates' only variables
    srcs.update({f"{CODEC}.h": render("codec.h.j2", **ctx), f"{CODEC}.c": render("codec.c.j2", **ctx)})
    srcs["spk_pred.h"] = (TESTS_C / "joint_c_fake_pred.h").read_text()
    srcs.update({n: (TESTS_C / n).read_text() for n in ("joint_c_fake_glue.h", "joint_c_fake_glue.c")})
    return native.build(srcs, native.cdef_of(TESTS_C / "joint_c_fake_glue.h"), "joint_c_fake_glue.h",
                        include_dirs=firmware.include_dirs(), sanitize=True)


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
