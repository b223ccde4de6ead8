"""Issue 13: packetised streams (spikey.packets): every packet coded afresh, so that
``decode --salvage`` loses only a damaged packet's span; without --salvage any damage is
still refused."""
import json
import zlib

import numpy as np
import pytest

from spikey import baseline, container, packets
from spikey.cli import main
from spikey.codec import decode_channels, decode_stream, encode_joint, encode_recording, salvage_channels
from spikey.errors import CodecError
from spikey.learned import LearnedCodec
from spikey.recordings import from_codes, from_samples, parse_wav


def walk(n, seed=0):
    codes = np.clip(512 + np.cumsum(np.random.default_rng(seed).integers(-4, 5, n)), 0, 1023)
    return from_samples(from_codes(codes), 19531)


@pytest.fixture(scope="module")
def rng():
    return LearnedCodec(None, "range")


@pytest.fixture(scope="module")
def recs():
    return {f"ch{i}.wav": walk(2000 + 150 * i, i) for i in range(3)}


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("resync", [50, 333, 2000, 10**6])
def test_packetised_joint_streams_round_trip(rng, recs, resync):
    data = encode_joint(recs, rng, 64, resync)
    s = container.unpack(data)
    assert packets.resync_of(s.mode_params) == resync
    assert dict(decode_channels(data)) == {n: r.to_bytes() for n, r in recs.items()}
    n_packets = -(-2300 // resync)
    key = zlib.crc32(container.header_bytes(s))
    assert len(packets.read_strict(s.payload[4:], packets.spans(2300, resync), key)) == n_packets


@pytest.mark.parametrize("coder", ["baseline", "range", "rice_fixed", "rice_scaled", "huffman_prior"])
def test_packetised_per_file_streams_round_trip(coder):
    codec = baseline if coder == "baseline" else LearnedCodec(None, coder)
    rec = walk(1777, 5)
    data = encode_recording(rec, codec, resync=500)
    assert packets.resync_of(container.unpack(data).mode_params) == 500
    assert decode_stream(data) == rec.to_bytes()


def test_packets_cost_little_and_the_interval_is_their_span(rng, recs):
    whole = encode_joint(recs, rng, 64)
    sizes = [len(encode_joint(recs, rng, 64, r)) for r in (100, 1000)]
    assert len(whole) < sizes[1] < sizes[0]              # more packets, more restarts


def _flip_middle(data: bytes) -> bytes:
    bad = bytearray(data)
    bad[len(bad) // 2] ^= 0x40
    return bytes(bad)


def test_one_flipped_byte_costs_one_packet(rng, recs):
    data = encode_joint(recs, rng, 64, 500)
    with pytest.raises(CodecError, match="CRC mismatch"):
        decode_channels(_flip_middle(data))
    channels, report = salvage_channels(_flip_middle(data))
    assert report["damaged"] and len(report["lost_packets"]) == 1
    lost = report["lost_packets"][0]
    assert lost["span"] == 500 and lost["t0"] == 500 * lost["seq"]
    for name, wav in channels:
        got, want = parse_wav(wav).samples, recs[name].samples
        outside = np.ones(len(want), bool)
        outside[lost["t0"]:lost["t0"] + lost["span"]] = False
        assert np.array_equal(got[outside], want[outside])            # every other sample exact
        held = want[lost["t0"] - 1] if lost["t0"] else 0
        assert (got[~outside] == held).all()                          # the fill rule: hold
    assert report["restored_fraction"] == pytest.approx(1 - 3 * 500 / sum(len(r.samples) for r in recs.values()))


def test_salvage_finds_packets_after_bytes_lost_or_inserted(rng, recs):
    data = encode_joint(recs, rng, 64, 400)
    mid = len(data) // 2
    for damaged in (data[:mid] + data[mid + 37:], data[:mid] + b"\xa5\x5a junk" + data[mid:]):
        _, report = salvage_channels(damaged)
        assert 1 <= len(report["lost_packets"]) <= 2
        assert report["restored_fraction"] > 0.75


def test_salvage_of_an_intact_stream_is_a_decode(rng, recs):
    data = encode_joint(recs, rng, 64, 500)
    channels, report = salvage_channels(data)
    assert not report["damaged"] and dict(channels) == dict(decode_channels(data))


@pytest.mark.parametrize("data", [b"SPKY", b"SPKY\x03", b"SPKY" + bytes(15)])
def test_salvage_refuses_a_stub(data):
    """Found by bench/fuzz.py: a 4-byte stream made salvage raise IndexError."""
    with pytest.raises(CodecError, match="truncated"):
        salvage_channels(data)


def test_salvage_refuses_what_it_cannot_trust(rng, recs):
    with pytest.raises(CodecError, match="not packetised"):
        salvage_channels(_flip_middle(encode_joint(recs, rng, 64)))
    data = encode_joint(recs, rng, 64, 500)
    s = container.unpack(data)
    at = data.index(s.channels[0].name.encode())
    bad = bytearray(data)
    bad[at] ^= 0x01                                    # a channel name: header damage
    with pytest.raises(CodecError, match="header's CRC"):
        salvage_channels(bytes(bad))


def test_cli_salvage_exit_status_summary_and_sidecar(tmp_path, capsys, recs):
    src = tmp_path / "in"
    src.mkdir()
    for n, r in recs.items():
        (src / n).write_bytes(r.to_bytes())
    assert run(capsys, "encode", "--joint", "--resync", 500, src, tmp_path / "j.spk") == (0, "")
    (tmp_path / "bad.spk").write_bytes(_flip_middle((tmp_path / "j.spk").read_bytes()))
    code, err = run(capsys, "decode", "--joint", tmp_path / "bad.spk", tmp_path / "out")
    assert code == 1 and not (tmp_path / "out").exists()
    code, err = run(capsys, "decode", "--joint", "--salvage", tmp_path / "bad.spk", tmp_path / "out")
    assert code == 4 and err.startswith("spikey: salvaged: 1 of 5 packets lost") and err.count("\n") == 1
    report = json.loads((tmp_path / "out.salvage.json").read_text())
    assert len(report["lost_packets"]) == 1 and sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(recs)
    code, err = run(capsys, "decode", "--joint", "--salvage", tmp_path / "j.spk", tmp_path / "ok")
    assert (code, err) == (0, "") and not (tmp_path / "ok.salvage.json").exists()


def test_per_file_cli_salvage(tmp_path, capsys):
    rec = walk(3000, 9)
    (tmp_path / "a.wav").write_bytes(rec.to_bytes())
    assert run(capsys, "encode", "--resync", 1000, tmp_path / "a.wav", tmp_path / "a.spk") == (0, "")
    (tmp_path / "bad.spk").write_bytes(_flip_middle((tmp_path / "a.spk").read_bytes()))
    code, err = run(capsys, "decode", "--salvage", tmp_path / "bad.spk", tmp_path / "b.wav")
    assert code == 4 and "1 of 3 packets lost" in err
    got = parse_wav((tmp_path / "b.wav").read_bytes()).samples
    assert int((got == rec.samples).sum()) >= 2000


def test_bad_resync_and_mode_params_are_refused(rng, recs, tmp_path, capsys):
    with pytest.raises(CodecError, match="--resync must be"):
        encode_joint(recs, rng, 64, -5)
    data = encode_joint(recs, rng, 64, 500)
    s = container.unpack(data)
    for params in (b"\x00", b"\x80", b"\xff\xff\xff\xff\xff\x7f", b"\x05\x00"):
        s.mode_params = params
        with pytest.raises(CodecError, match="bad lossless mode parameters"):
            decode_channels(container.pack(s))


def test_hold_fill():
    x = np.array([5, 6, 7, 8, 9, 10], np.int16)
    keep = np.array([False, True, False, False, True, False])
    assert packets.hold_fill(x, keep).tolist() == [0, 6, 6, 6, 9, 9]


def test_a_packet_is_checked_by_its_crc_keyed_by_its_stream():
    p = packets.pack_packet(3, 30, 10, b"abc", key=1234)
    assert packets._at(p, 0, 1234).payload == b"abc"
    assert packets._at(p, 0, 1235) is None                 # another stream's packet
    body = bytearray(p)
    body[8] ^= 1
    assert packets._at(bytes(body), 0, 1234) is None
    assert zlib.crc32(p[2:-4], 1234) == int.from_bytes(p[-4:], "little")


def test_salvage_takes_no_packet_of_another_stream(rng, recs):
    a = encode_joint(recs, rng, 64, 500)
    other = {n: walk(len(r.samples), 50 + i) for i, (n, r) in enumerate(recs.items())}
    b = encode_joint(other, rng, 64, 500)
    spliced = a[:len(a) // 2] + b[len(b) // 2:]             # same layout, the second half of another stream
    channels, report = salvage_channels(spliced)
    assert report["lost_packets"]
    for name, wav in channels:
        got, want = parse_wav(wav).samples, recs[name].samples
        keep = np.ones(len(want), bool)
        for p in report["lost_packets"]:
            keep[p["t0"]:p["t0"] + p["span"]] = False
        assert np.array_equal(got[keep], want[keep])


def test_cli_joint_streams_are_packetised_by_default(tmp_path, capsys, recs):
    src = tmp_path / "in"
    src.mkdir()
    for n, r in recs.items():
        (src / n).write_bytes(r.to_bytes())
    assert run(capsys, "encode", "--joint", src, tmp_path / "j.spk") == (0, "")
    assert run(capsys, "encode", "--joint", "--resync", 0, src, tmp_path / "one.spk") == (0, "")
    assert packets.resync_of(container.unpack((tmp_path / "j.spk").read_bytes()).mode_params) == packets.JOINT_RESYNC
    assert container.unpack((tmp_path / "one.spk").read_bytes()).mode_params == b""
