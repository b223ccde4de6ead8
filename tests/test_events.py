"""The event mode: parameters, filter design, the integer pipeline on hand-made signals,
the coder's round trip, refusals of corrupt streams, host C == Python reference, and the
command line (.npz schema, mismatched stream and output types)."""
import io

import numpy as np
import pytest

from spikey import container
from spikey.cli import main
from spikey.errors import CodecError
from spikey.events import coding, pipeline, stream
from spikey.events.design import design_taps, quantised_taps, target_response
from spikey.events.params import EventParams
from spikey.recordings import from_codes, from_samples

RATE = 19531
P = EventParams.for_rate(RATE)
H = pipeline.taps_for(P, RATE)
SHAPE = np.array([-0.2, -0.6, -1.0, -0.7, -0.2, 0.25, 0.35, 0.3, 0.2, 0.1, 0.05])


def spiky(n=30_000, times=range(3000, 29_000, 1300), amp=90.0, noise=3.0, seed=1):
    rng = np.random.default_rng(seed)
    x = 512 + rng.normal(0, noise, n)
    times = [t for t in times if t + len(SHAPE) <= n]
    for t in times:
        x[t:t + len(SHAPE)] += amp * SHAPE
    return np.clip(np.round(x), 0, 1023).astype(np.int64), np.array(times)


def test_defaults_and_their_bytes():
    assert (P.taps, P.lag, P.bin_samples, P.frame, P.threshold_q8) == (97, 48, 391, 16, 1708)
    raw = P.pack()
    assert raw[0] == 1 and len(raw) < 32 and EventParams.unpack(raw) == P


@pytest.mark.parametrize("raw, message", [(b"", "unknown layout"),
                                          (b"\x02" + EventParams().pack()[1:], "unknown layout"),
                                          (EventParams().pack()[:-1], "event parameters, expected"),
                                          (b"\x01\x80", "unknown layout")])
def test_corrupt_parameters_are_refused(raw, message):
    with pytest.raises(CodecError, match=message):
        EventParams.unpack(raw)


def test_parameters_out_of_range_are_refused():
    with pytest.raises(CodecError, match="taps = 96 must be odd"):
        EventParams(taps=96).check()
    with pytest.raises(CodecError, match="frame = 33 outside"):
        EventParams(frame=33).check()


def test_filter_matches_the_reference_response():
    scipy_signal = pytest.importorskip("scipy.signal")
    sos = scipy_signal.butter(4, [300, 6000], btype="band", fs=RATE, output="sos")
    f, h = scipy_signal.sosfreqz(sos, worN=512, fs=RATE)
    assert np.abs(np.abs(h) ** 4 - target_response(f, RATE)).max() < 1e-9
    taps = design_taps(97, RATE)
    assert np.allclose(taps, taps[::-1])
    q = quantised_taps(97, RATE, 15)
    assert np.array_equal(q, q[::-1]) and q.max() == 17328 and int(np.abs(q).sum()) == 83752 and q.sum() == 0


def test_pipeline_finds_hand_made_spikes_at_their_time():
    x, times = spiky()
    ev = pipeline.run(x, H, P)
    # the lag is compensated: every spike is reported within 2 samples of its crossing (t + 1 or t + 2)
    assert len(ev.spikes) == len(times)
    assert np.all((ev.spikes - times >= 0) & (ev.spikes - times <= 3))
    assert len(ev.sbp) == (len(x) - P.lag) // P.bin_samples
    assert len(ev.y) == len(x) - P.lag


def test_refractory_and_warmup():
    x, _ = spiky(times=[5000, 5010, 9000])         # the second spike 10 samples after the first
    ev = pipeline.run(x, H, P)
    assert len(ev.spikes) == 2 and ev.spikes[1] - ev.spikes[0] > 3000
    flat = pipeline.run(np.full(5000, 300), H, P)  # a constant: nothing to find, SBP 0
    assert len(flat.spikes) == 0 and not flat.sbp.any()


def test_stream_round_trip_per_file_and_joint():
    a, _ = spiky(seed=2)
    b, _ = spiky(n=12_345, times=[4000, 8000], seed=3)
    recs = {"a.wav": from_samples(from_codes(a), RATE), "b.wav": from_samples(from_codes(b), RATE)}
    for joint, names in ((False, ["a.wav"]), (True, ["a.wav", "b.wav"])):
        data = stream.encode_recordings({n: recs[n] for n in names}, joint=joint)
        s = container.unpack(data)
        assert s.mode == container.EVENTS and s.codec == stream.CODEC_ID and s.mode_params == P.pack()
        assert s.frame == (P.frame if joint else 0)
        out = stream.decode_events(data)
        for (name, arrays), n, x in zip(out, names, (a, b)):
            ev = pipeline.run(x, H, P)
            assert name == (n if joint else "")
            assert np.array_equal(arrays["spike_times"], ev.spikes) and arrays["spike_times"].dtype == np.int64
            assert np.allclose(arrays["sbp"], ev.sbp * 2.0 ** (P.sbp_shift - P.y_frac))
            assert (arrays["sbp_bin_samples"], arrays["sample_rate"], arrays["n_samples"]) == (391, RATE, len(x))


def test_event_payload_is_small():
    x, _times = spiky()
    data = stream.encode_recordings({"a.wav": from_samples(from_codes(x), RATE)}, joint=False)
    seconds = len(x) / RATE
    assert 8 * len(data) / seconds < 976          # the per-channel budget of 1024 channels in 1 Mbit/s


def test_corrupt_event_streams_are_refused():
    x, _ = spiky(n=8000, times=[3000])
    data = stream.encode_recordings({"a.wav": from_samples(from_codes(x), RATE)}, joint=False)
    s = container.unpack(data)
    for bad, message in [(s.payload[:-2], "corrupt bitstream"), (s.payload + b"\0", "corrupt bitstream")]:
        broken = container.pack(container.Stream(s.codec, s.model_id, s.channels, bad, 0, None, s.mode, s.mode_params))
        with pytest.raises(CodecError, match=message):
            stream.decode_events(broken)
    other = container.pack(container.Stream(s.codec, b"\0" * 8, s.channels, s.payload, 0, None, s.mode, s.mode_params))
    with pytest.raises(CodecError, match="another filter design"):
        stream.decode_events(other)
    for samples, message in [(1 << 40, "a PCM16 WAV holds at most"),          # the container's field check
                             (1 << 30, "more samples than the event payload can hold")]:
        s.channels[0].samples = samples
        huge = container.pack(container.Stream(s.codec, s.model_id, s.channels, s.payload, 0, None, s.mode,
                                               s.mode_params))
        with pytest.raises(CodecError, match=message):
            stream.decode_events(huge)


def test_coder_round_trip_by_hand():
    w = coding.Writer()
    m = coding.ChannelModel(16)
    frames = [([], []), ([0, 15], [7]), ([3], []), ([], [0, 1 << 20]), ([], [-5])]
    for offs, sbps in frames:
        coding.encode_frame(w, m, offs, np.array(sbps, np.int64))
    r = coding.Reader(w.finish())
    m2 = coding.ChannelModel(16)
    for offs, sbps in frames:
        assert coding.decode_frame(r, m2, 16, len(sbps)) == (offs, sbps)
    r.finish()


def test_host_c_equals_the_reference():
    from codegen.build_events import host_check
    from codegen.host.events import HostEvents
    x, _ = spiky(n=9000, seed=5)
    res = host_check(HostEvents(P, RATE, sanitize=True), P, RATE, [x])
    assert res["equal"] and "square" in res["cases"]


# --- the command line -------------------------------------------------------------------------

@pytest.fixture
def wav(tmp_path):
    x, _ = spiky(n=20_000)
    path = tmp_path / "in.wav"
    path.write_bytes(from_samples(from_codes(x), RATE).to_bytes())
    return path, x


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def test_cli_events_to_npz(tmp_path, wav, capsys):
    path, x = wav
    assert _run(capsys, "encode", "--mode", "events", path, tmp_path / "e.spk") == (0, "")
    assert _run(capsys, "decode", tmp_path / "e.spk", tmp_path / "e.npz") == (0, "")
    z = np.load(tmp_path / "e.npz")
    assert sorted(z.files) == ["n_samples", "sample_rate", "sbp", "sbp_bin_samples", "spike_times"]
    ev = pipeline.run(x, H, P)
    assert np.array_equal(z["spike_times"], ev.spikes) and int(z["n_samples"]) == len(x)
    assert (tmp_path / "e.spk").stat().st_size < 1000


def test_cli_joint_events(tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(3):
        x, _ = spiky(n=6000 + 100 * i, times=[2000 + 500 * i], seed=i)
        (src / f"ch{i:03d}.wav").write_bytes(from_samples(from_codes(x), RATE).to_bytes())
    assert _run(capsys, "encode", "--mode", "events", "--joint", src, tmp_path / "j.spk") == (0, "")
    assert _run(capsys, "decode", "--joint", tmp_path / "j.spk", tmp_path / "out") == (0, "")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["ch000.npz", "ch001.npz", "ch002.npz"]
    assert int(np.load(tmp_path / "out" / "ch002.npz")["n_samples"]) == 6200


def test_cli_refuses_mismatched_outputs(tmp_path, wav, capsys):
    path, _ = wav
    main(["encode", "--mode", "events", str(path), str(tmp_path / "e.spk")])
    main(["encode", "--baseline", str(path), str(tmp_path / "l.spk")])
    for argv, message in [(["decode", tmp_path / "e.spk", tmp_path / "out.wav"], "event stream: it decodes to a .npz"),
                          (["decode", tmp_path / "l.spk", tmp_path / "out.npz"], "lossless: it decodes to a .wav"),
                          (["encode", "--mode", "events", "--model", "default", path, tmp_path / "x.spk"],
                           "--mode events takes no --model")]:
        code, err = _run(capsys, *argv)
        assert code == 1 and message in err and err.count("\n") == 1, err
    assert not (tmp_path / "out.wav").exists() and not (tmp_path / "out.npz").exists()


def test_cli_abbreviations_are_off(tmp_path, wav, capsys):
    path, _ = wav
    with pytest.raises(SystemExit) as e:
        main(["encode", "--mod", "events", str(path), str(tmp_path / "x.spk")])
    assert e.value.code == 2
    from codegen.cli import build_parser
    with pytest.raises(SystemExit):
        build_parser().parse_args(["build", "--targ", "host"])


def test_npz_bytes_round_trip():
    arrays = {"spike_times": np.array([3, 9], np.int64), "sbp": np.array([1.5]), "sbp_bin_samples": np.int64(391),
              "sample_rate": np.int64(RATE), "n_samples": np.int64(500)}
    z = np.load(io.BytesIO(stream.npz_bytes(arrays)))
    assert all(np.array_equal(z[k], v) for k, v in arrays.items())


def test_the_bitstream_document_states_the_reference_figures():
    from pathlib import Path

    from codegen.emit.events import check_bounds
    text = " ".join((Path(__file__).resolve().parents[1] / "docs" / "bitstream.md").read_text().split())
    b = check_bounds(P, H)
    assert f"512·Σ|h| + 2^11 = {b['acc_bound']:,} < 2^31" in text and f"|y| ≤ {b['y_max']:,} < 2^15" in text
    for name, value in (("taps", P.taps), ("threshold", P.threshold_q8), ("SBP bin", P.bin_samples),
                        ("frame", P.frame), ("warm-up", P.warmup), ("tracker shift", P.tracker_shift)):
        assert f"| {name} | {value} |" in text, name
    assert f"{stream.FRAMES_PER_BYTE:,} frames" in text


def test_a_rate_too_low_for_the_band_is_refused():
    x, _ = spiky(n=4000, times=[1000])
    with pytest.raises(CodecError, match="needs a sample rate above 12000 Hz, not 8000 Hz"):
        stream.encode_recordings({"a.wav": from_samples(from_codes(x), 8000)}, joint=False)
    data = stream.encode_recordings({"a.wav": from_samples(from_codes(x), 30000)}, joint=False)
    (_, arrays), = stream.decode_events(data)
    assert int(arrays["sbp_bin_samples"]) == 600 and int(arrays["sample_rate"]) == 30000


def test_the_event_report_prices_the_committed_measurements():
    import json
    from pathlib import Path

    from codegen.report import events as er
    from codegen.report import profiles
    m = json.loads((Path(__file__).resolve().parents[1] / "bench" / "results" / "build-report" / "events-cortex-m4"
                    / "measurements.json").read_text())
    r = er.make_report(m, *profiles.load_set("n1-asic"))
    F, v = r["figures"], {x["budget"]: x for x in r["verdicts"]}
    f = {k: m["figures"][k]["value"] for k in m["figures"]}
    link = (1024 * f["channel_bits_per_s"] + 19531 / f["frame_samples"] * f["joint_overhead_bits_per_frame"]) / 1e6
    assert F["link_mbps"]["value"] == pytest.approx(link) and v["link"]["pass"] is (link <= 1.0)
    cores = F["cores_needed"]["value"]
    lat = ((f["frame_samples"] - 1) / 19531 + (-(-1024 // cores) * (f["worst_sample_insns"] + f["worst_code_insns"])
                                                + f["finish_insns"]) * f["cpi"] / 200e6) * 1e3
    assert F["latency_ms"]["value"] == pytest.approx(lat) and v["latency"]["pass"] is (lat <= 1.0)
    assert "| link (joint event stream of all channels) | fits" in er.render_markdown(r)


def test_bench_events_on_hand_made_recordings(tmp_path, capsys):
    pytest.importorskip("scipy")
    src = tmp_path / "wavs"
    src.mkdir()
    for i in range(2):
        x, _ = spiky(n=25_000, seed=10 + i)
        (src / f"ch{i}.wav").write_bytes(from_samples(from_codes(x), RATE).to_bytes())
    assert main(["bench", "--mode", "events", str(src), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    import json
    rep = json.loads((tmp_path / "out" / "bench.json").read_text())
    t = rep["total"]
    assert t["files"] == 2 and t["clear"] == 2 * 17 and t["recall"] == 1.0 and t["f1"] > 0.95
    assert t["bits_per_s_per_channel"] < 976 and rep["joint"]["channels"] == 2
    assert "| spike F1, all spikes of all files |" in out and (tmp_path / "out" / "bench.png").is_file()


def test_cli_event_frame(tmp_path, wav, capsys):
    path, x = wav
    assert _run(capsys, "encode", "--mode", "events", "--frame", "8", path, tmp_path / "e.spk") == (0, "")
    s = container.unpack((tmp_path / "e.spk").read_bytes())
    assert EventParams.unpack(s.mode_params).frame == 8
    assert _run(capsys, "decode", tmp_path / "e.spk", tmp_path / "e.npz") == (0, "")
    assert np.array_equal(np.load(tmp_path / "e.npz")["spike_times"], pipeline.run(x, H, P).spikes)
    code, err = _run(capsys, "encode", "--mode", "events", "--frame", "40", path, tmp_path / "f.spk")
    assert code == 1 and "frame = 40 outside [1, 32]" in err and not (tmp_path / "f.spk").exists()


def test_cli_per_file_stream_with_joint_is_refused(tmp_path, wav, capsys):
    path, _ = wav
    main(["encode", "--mode", "events", str(path), str(tmp_path / "e.spk")])
    code, err = _run(capsys, "decode", "--joint", tmp_path / "e.spk", tmp_path / "out")
    assert code == 1 and "per-file event stream" in err and not (tmp_path / "out").exists()
