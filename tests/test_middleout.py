"""MiddleOut in joint streams, the Python reference side: the split network, the integer
peer mean, the container's peers, and time-major joint streams that round-trip."""
import struct
import zlib

import numpy as np
import pytest
from refs import predictor, reference, reference_decoder

from codegen.reference import run
from codegen.reference.predictor import peer_mean
from spikey import container
from spikey.codec import decode_channels, encode_joint, joint_peers
from spikey.errors import CodecError
from spikey.model import files
from spikey.recordings import from_samples, synth, to_codes

MIDDLEOUT = files.BUNDLED / files.MIDDLEOUT


@pytest.fixture(scope="module")
def pred():
    """The bundled MiddleOut model's integer predictor (the Python reference)."""
    return predictor(MIDDLEOUT)


def channels(lengths=(1500, 900, 1200), seed=5):
    x = to_codes(synth.generate(len(lengths), 0.1, seed=seed)).astype(np.int64)
    return [x[i][:n] for i, n in enumerate(lengths)]


def test_peer_mean_rounds_half_up_over_all_slots():
    # K = 4 slots: (S + 2) // 4, also for negative sums; no slots: 0
    assert peer_mean(np.array([0, 1, 2, 5, 6, -2, -3, 10]), 4).tolist() == [0, 0, 1, 1, 2, 0, -1, 3]
    assert peer_mean(np.array([7, -7]), 3).tolist() == [2, -2]        # 7/3 = 2.33, -7/3 = -2.33
    assert peer_mean(np.array([5]), 0).tolist() == [0]


def test_split_network_computes_what_the_whole_does(pred):
    p = pred
    assert p.middleout and p.qg.tensors["peer_mean"].frac == p.qg.tensors["latent"].frac
    rng = np.random.default_rng(0)
    u = rng.integers(-3000, 3000, (1, 200, p.qg.tensors["u"].size))
    lat = p.qg.tensors["latent"]
    m = rng.integers(lat.lo, lat.hi + 1, (1, 200, lat.size))
    whole, _ = run.run(p.qg, {"u": u, "peer_mean": m})
    z, _ = run.run(p.latent_qg, {"u": u})
    head, _ = run.run(p.head_qg, {"latent": z["latent"], "peer_mean": m})
    assert np.array_equal(head["out"], whole["out"])
    assert {n.name for n in p.latent_qg.nodes}.isdisjoint(n.name for n in p.head_qg.nodes)
    assert len(p.latent_qg.nodes) + len(p.head_qg.nodes) == len(p.qg.nodes)


def test_peers_change_the_predictions_and_empty_slots_do_not(pred):
    p, ch = pred, channels()
    alone = [p.predict(x) for x in ch]
    none = p.predict_joint(ch, np.full((3, 4), -1))
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(alone, none))
    joint = p.predict_joint(ch, np.array([[1, 2, -1, -1], [0, 2, -1, -1], [0, 1, -1, -1]]))
    changed = [float(np.mean(a[0] != b[0])) for a, b in zip(alone, joint)]
    assert min(changed) > 0.05, changed


def test_joint_stream_is_time_major_and_round_trips():
    ch = channels()
    peers = np.array([[1, 2, -1, -1], [0, 2, -1, -1], [0, 1, -1, -1]])
    ref = reference(MIDDLEOUT)
    payload = ref.encode_channels(ch, 64, peers)
    assert payload != ref.encode_channels(ch, 64, np.full((3, 4), -1))
    out = ref.decode_channels(payload, [len(x) for x in ch], 64, peers)
    assert all(np.array_equal(a, b) for a, b in zip(out, ch))


def test_time_major_order_without_middleout():
    """A model without MiddleOut: the joint payload codes x_c[t] time step by time step;
    one channel's stream then equals its per-file stream."""
    ref = reference()                      # the bundled default model
    x = channels((700,))[0]
    assert ref.encode_channels([x], 64) == ref.encode_channels([x], 0)
    a, b = channels((300, 200))
    joint = ref.encode_channels([a, b], 8)
    assert joint == ref.encode_channels([a, b], 64)          # the frame is only the packet size
    assert joint != ref.encode_channels([b, a], 8)


def test_container_carries_the_peers():
    x = synth.generate(3, 0.05, seed=2)
    recs = {f"ch{i}.wav": from_samples(x[i], 19531) for i in range(3)}
    stream = encode_joint(recs, reference(MIDDLEOUT), 64)
    s = container.unpack(stream)
    assert s.version == 3 and s.peers.shape == (3, 4)
    assert np.array_equal(s.peers, joint_peers([to_codes(x[i]) for i in range(3)], 4, 19531))
    assert set(s.peers[:, :2].reshape(-1).tolist()) <= {0, 1, 2} and (s.peers[:, 2:] == -1).all()
    decoded = dict(decode_channels(stream, model=MIDDLEOUT, learned=reference_decoder(MIDDLEOUT)))
    assert decoded == {n: r.to_bytes() for n, r in recs.items()}
    # a peer index past the last channel is refused (CRC fixed up so that the field is reached)
    bad = bytearray(stream[:-4])
    assert bad[16:19] == bytes([3, 64, 4])           # channels, frame, K after magic, version, codec, id, mode, params
    bad[19] = 9                                      # channel 0's first slot: peer 8 of 3
    with pytest.raises(CodecError, match="peer index past the last channel"):
        container.unpack(bytes(bad) + struct.pack("<I", zlib.crc32(bytes(bad))))


def test_joint_peers_from_the_channels():
    x = to_codes(synth.generate(5, 0.2, seed=3))
    p = joint_peers(list(x), 2, 19531)
    assert p.shape == (5, 2) and (p >= 0).all() and all(c not in p[c] for c in range(5))
    assert (joint_peers([x[0]], 2, 19531) == -1).all()
    assert (joint_peers([x[0][:1], x[1]], 2, 19531) == -1).all()
