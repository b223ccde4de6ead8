"""The learned codec end to end: Python reference (codegen.reference.codec) == the runtime's
generated C (spikey.learned), every coder, both modes."""
import numpy as np
import pytest

from spikey import container
from spikey.cli import main
from spikey.codec import decode_channels, decode_stream, encode_joint, encode_recording
from spikey.errors import CodecError
from spikey.learned import LearnedCodec
from spikey.recordings import from_codes, from_samples, read_wav, synth

from refs import reference, reference_decoder

CODERS = ["range", "rice_scaled", "rice_fixed", "huffman_prior"]


def recordings():
    x = synth.generate(3, 0.25, seed=11)
    edge = np.concatenate([np.zeros(300, int), np.full(300, 1023), np.tile([0, 1023], 200), np.full(50, 512)])
    spikes = 512 + 400 * (np.arange(2000) % 97 == 0) - 300 * (np.arange(2000) % 97 == 1)
    return {"synth.wav": from_samples(x[0], 19531), "extremes.wav": from_samples(from_codes(edge), 19531),
            "spikes.wav": from_samples(from_codes(spikes), 19531), "one.wav": from_samples(x[1][:1], 19531),
            "empty.wav": from_samples(x[1][:0], 19531)}


@pytest.mark.parametrize("coder", CODERS)
def test_reference_and_c_streams_are_identical_and_decode(coder):
    ref, c = reference(coder=coder), LearnedCodec(coder=coder)
    for name, rec in recordings().items():
        stream = encode_recording(rec, ref)
        assert encode_recording(rec, c) == stream, name
        assert decode_stream(stream) == rec.to_bytes(), name
        assert decode_stream(stream, learned=reference_decoder()) == rec.to_bytes(), name


def test_joint_frames_reference_equals_c_with_unequal_lengths():
    x = synth.generate(3, 0.25, seed=12)
    recs = {f"ch{i}.wav": from_samples(x[i][: 2000 + 900 * i], 19531) for i in range(3)}
    ref, c = reference(), LearnedCodec()
    stream = encode_joint(recs, ref, 64)
    assert encode_joint(recs, c, 64) == stream
    other = container.unpack(encode_joint(recs, c, 16))   # time-major: the frame is only the packet size
    s = container.unpack(stream)
    assert (other.frame, other.payload) == (16, s.payload)
    assert (s.frame, [ch.name for ch in s.channels], s.peers.shape) == (64, sorted(recs), (3, 0))
    for learned in (None, reference_decoder()):
        assert dict(decode_channels(stream, learned=learned)) == {n: r.to_bytes() for n, r in recs.items()}


def test_joint_frames_need_the_range_coder():
    with pytest.raises(CodecError, match="joint frames need the range coder"):
        LearnedCodec(coder="rice_fixed").encode_channels([np.zeros(10, int)], 64)


@pytest.mark.slow
def test_learned_beats_the_baseline_on_validation_recordings(dev_files):
    # (not on synthetic data: the model's code edges carry the real ADC's uneven code widths)
    names = LearnedCodec().model.meta["split"]["validation"][:3]
    recs = [read_wav(f) for f in dev_files if f.name in names]
    learned = sum(len(encode_recording(r, LearnedCodec())) for r in recs)
    baseline = sum(len(encode_recording(r)) for r in recs)
    assert len(recs) == 3 and learned < 0.96 * baseline


def test_corrupt_truncated_and_foreign_streams_are_refused():
    rec = recordings()["synth.wav"]
    stream = encode_recording(rec, LearnedCodec())
    s = container.unpack(stream)
    s.payload = s.payload[:-3]
    with pytest.raises(CodecError, match="corrupt bitstream"):
        decode_stream(container.pack(s))
    with pytest.raises(CodecError, match="corrupt bitstream"):
        decode_stream(container.pack(s), learned=reference_decoder())
    s = container.unpack(stream)
    s.model_id = bytes(8)
    with pytest.raises(CodecError, match="made by model 0000000000000000"):
        decode_stream(container.pack(s))
    with pytest.raises(CodecError, match="no such model: /nonexistent"):
        decode_stream(stream, model="/nonexistent")


def test_cli_learned_is_the_default_and_baseline_is_a_flag(tmp_path, capsys):
    rec = recordings()["synth.wav"]
    (tmp_path / "in.wav").write_bytes(rec.to_bytes())
    assert main(["encode", str(tmp_path / "in.wav"), str(tmp_path / "l.spk")]) == 0
    assert main(["encode", "--baseline", str(tmp_path / "in.wav"), str(tmp_path / "b.spk")]) == 0
    assert container.unpack((tmp_path / "l.spk").read_bytes()).codec == 4
    assert container.unpack((tmp_path / "b.spk").read_bytes()).codec == 1
    for name in ("l", "b"):
        assert main(["decode", str(tmp_path / f"{name}.spk"), str(tmp_path / f"{name}.wav")]) == 0
        assert (tmp_path / f"{name}.wav").read_bytes() == rec.to_bytes()
    assert main(["encode", "--baseline", "--coder", "range", str(tmp_path / "in.wav"), str(tmp_path / "x")]) == 1
    assert "--baseline takes no" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_cli_joint_roundtrip(tmp_path, capsys):
    src = tmp_path / "src"
    synth.write_dir(src, 3, 0.2, seed=14)
    assert main(["encode", "--joint", str(src), str(tmp_path / "j.spk")]) == 0
    assert main(["decode", str(tmp_path / "j.spk"), str(tmp_path / "x.wav")]) == 1
    assert "decode it with --joint" in capsys.readouterr().err
    assert main(["decode", "--joint", str(tmp_path / "j.spk"), str(tmp_path / "out")]) == 0
    for f in src.iterdir():
        assert (tmp_path / "out" / f.name).read_bytes() == f.read_bytes()


@pytest.mark.slow
def test_dev_recording_reference_equals_c(dev_files):
    rec = read_wav(dev_files[5])
    part = from_samples(rec.samples[:20000], rec.sample_rate)
    stream = encode_recording(part, reference())
    assert encode_recording(part, LearnedCodec()) == stream
    assert decode_stream(stream, learned=reference_decoder()) == part.to_bytes()
    whole = encode_recording(rec, LearnedCodec())
    assert encode_recording(rec, reference()) == whole
    assert decode_stream(whole) == rec.to_bytes()


@pytest.mark.slow
def test_every_dev_recording_c_equals_reference_and_decodes(dev_files):
    """Range coder, per file: the C payload equals the Python reference's on every dev
    recording, and the C decoder restores every file exactly."""
    ref, c = reference(), LearnedCodec()
    for path in dev_files:
        rec = read_wav(path)
        stream = encode_recording(rec, c)
        assert encode_recording(rec, ref) == stream, path.name
        assert decode_stream(stream) == rec.to_bytes(), path.name
