"""`codegen plan`: verdicts on hand-made profiles and measurements, the best build, the closest
miss and what would have to change, a missing measurement shown as missing (codegen/plan)."""
import json

import pytest

from codegen.cli import main
from codegen.plan import collect as plan_collect
from codegen.plan.evaluate import evaluate
from codegen.plan.fidelity import event_fidelity
from codegen.plan.render import render_markdown, write_plan
from codegen.report import profiles
from spikey.model.files import BUNDLED

FS, CH = 19531, 1024


def meas(bits=4.0, frame=8, cycles=45.0, dp_counts=None, **over):
    f = {"flash_bytes": 4000, "codec_flash_bytes": 1600, "static_ram_bytes": 500, "stack_bytes": 60,
         "state_bytes_per_channel": 8, "insns_per_sample": cycles, "insns_worst_frame": cycles * frame,
         "frame_samples": frame, "cpi": 1.0, "cycles_per_sample": cycles, "cycles_worst_frame": cycles * frame,
         "bits_per_sample": bits, "compression_ratio": 16 / bits, "coder_lag_symbols": 1024}
    f.update(over)
    figs = {k: ({"value": v, "unit": "x", "how": "test"} if v is not None else
                {"value": None, "unit": "x", "missing": "not run in this test"}) for k, v in f.items()}
    return {"schema": "spikey-measurements/1", "build": {"name": "t", "target": "cortex-m4"}, "data": {},
            "figures": figs, "cycle_model": None, "datapath": {"total": dp_counts or {"mul16": 10}, "how": "test"}}


def entry(name, m, mode="lossless", frame=8):
    return {"dir": f"/x/{name}", "name": name, "missing": None if m else "not built", "measurements": m,
            "build": {"model": name.split("-")[0], "mode": mode, "frame": frame, "status": "done"}}


def write_profile(tmp_path, name, kind, figures, **extra):
    data = {"kind": kind, "name": name, "description": name, **extra,
            "figures": {k: {"value": v, "unit": profiles.SCHEMA[kind][k], "source": "test", "date": "2026"}
                        for k, v in figures.items()}}
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps(data))
    return profiles.load(p)


@pytest.fixture
def profs(tmp_path):
    core = write_profile(tmp_path, "core", "core", {
        "clock_min_mhz": 1, "clock_max_mhz": 100, "active_uw_per_mhz": 10, "static_uw": 50,
        "flash_bytes": 65536, "ram_bytes": 32768, "flash_wait_states": 0, "flash_wait_states_max": 0}, cpu="cortex-m4")
    radio = write_profile(tmp_path, "radio", "radio", {"energy_nj_per_bit": 2.0, "link_capacity_mbps": 1.0})
    budget = write_profile(tmp_path, "budget", "budget", {
        "channels": CH, "sample_rate_hz": FS, "power_mw": 10, "latency_ms": 1, "link_mbps": 1.0})
    return core, radio, budget


def test_verdicts_best_and_missing(profs, tmp_path):
    # A: 0.04 bit/sample = 0.800 Mbit/s (1.60 mW of radio); datapath 10 mul16 = 3.875 pJ/sample x 20.0 M/s
    # = 0.0775 mW: fits as a datapath; as a CPU it needs 45 x 20.0 M = 900 MHz on a 100 MHz core: fails.
    # B: 4 bit/sample = 80 Mbit/s: fails the link (80x). C: not built: missing, never a fit.
    plan = evaluate([entry("a-lossless-f8", meas(bits=0.04)), entry("b-lossless-f8", meas(bits=4.0)),
                     entry("c-lossless-f8", None)], *profs)
    a, b, c = plan["rows"]
    assert a["figures"]["power_datapath_mw"]["value"] == pytest.approx(CH * FS * 3.875e-9 + CH * FS * 0.04e-6 * 2)
    assert a["fits"] == {"cpu": False, "datapath": True}
    assert a["verdicts"]["one core"]["factor"] == pytest.approx(CH * FS * 45 / 100e6)
    assert a["verdicts"]["latency (datapath)"]["used"] == pytest.approx((8 + 1 + 1024 / CH) / FS * 1000)
    assert b["fits"] == {"cpu": False, "datapath": False}
    assert b["verdicts"]["link"]["factor"] == pytest.approx(CH * FS * 4.0 / 1e6)
    assert c["fits"] == {"cpu": None, "datapath": None} and c["missing"] == "not built"
    assert plan["best"] == {"name": "a-lossless-f8", "way": "datapath"}
    md = render_markdown(plan)
    assert "Best: a-lossless-f8 computed as datapath" in md
    assert "| c-lossless-f8 | lossless | 8 | exact (lossless) | missing (not built) |" in md
    written = write_plan(tmp_path / "out", plan)
    assert [p.name for p in written][:2] == ["plan.json", "plan.md"]
    assert json.loads((tmp_path / "out" / "plan.json").read_text())["best"]["name"] == "a-lossless-f8"


def test_nothing_fits_says_by_how_much_and_what_to_change(profs):
    plan = evaluate([entry("b-lossless-f8", meas(bits=4.0)), entry("d-lossless-f64", meas(bits=2.0, frame=64),
                                                                    frame=64)], *profs)
    assert plan["best"] is None and not plan["fits"]
    close = plan["closest"]["datapath"]
    # d: link 40x, latency (64 + 1 + 1) / 19531 s = 3.38 ms (3.38x), power 40 Mbit/s x 2 nJ/bit = 80 mW (8x)
    assert close["name"] == "d-lossless-f64"
    assert close["worst_factor"] == pytest.approx(CH * FS * 2.0 / 1e6)
    assert set(close["misses"]) == {"power (datapath)", "latency (datapath)", "link"}
    text = " ".join(close["changes"])
    assert "the bits per sample must fall from 2 to 0.05" in text
    assert "a frame of at most 17 samples would fit" in text     # (1 ms - 2 sample periods) x 19.531 samples/ms
    assert "No build fits every budget." in render_markdown(plan)


def test_a_mode_joins_by_its_build_json(profs, tmp_path):
    """Any finished build folder in the plan's builds is read, whatever its mode."""
    d = tmp_path / "builds" / "default-events-f16"
    d.mkdir(parents=True)
    (d / "build.json").write_text(json.dumps({"status": "done", "model": "default", "mode": "events", "frame": 16,
                                              "fidelity": "spike times only"}))
    (d / "measurements.json").write_text(json.dumps(meas(bits=0.01, frame=16)))
    entries = plan_collect.collect(tmp_path / "builds", ["default"], (16,), None, build_missing=False, log=lambda s: None)
    names = {e["name"]: e for e in entries}
    assert names["default-lossless-f16"]["missing"] == "not built"
    plan = evaluate(entries, *profs)
    ev = next(r for r in plan["rows"] if r["mode"] == "events")
    assert ev["fidelity"] == "spike times only" and ev["fits"]["datapath"] is True
    assert plan["best"]["name"] == "default-events-f16"


def test_bundled_models_are_not_shadowed_by_the_cwd(tmp_path, monkeypatch):
    """A folder named `default` in the current directory does not replace the bundled model."""
    (tmp_path / "default").mkdir()
    monkeypatch.chdir(tmp_path)
    seen = []
    monkeypatch.setattr(plan_collect.codegen_build, "build", lambda target, model, out, **kw: seen.append(
        (target, model, out.name, kw["frame"])))
    plan_collect.collect(tmp_path / "builds", ["default"], (16,), None, log=lambda s: None, modes=("lossless",))
    assert seen == [("cortex-m4", BUNDLED / "default", "default-lossless-f16", 16)]


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["plan", "--budget", "no-such-budget", "--out", str(tmp_path)]) == 1
    assert main(["plan", "--models", "nope", "--out", str(tmp_path), "--no-build"]) == 1
    assert main(["plan", "--modes", "lossless,foo", "--out", str(tmp_path), "--no-build"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 3 and "no such profile" in err and "not a bundled model" in err
    assert "--modes: foo is not one of lossless, near-lossless, events" in err
    with pytest.raises(SystemExit):
        main(["plan", "--frames", "0"])


def test_the_default_grid_is_every_bundled_model_and_the_baseline(tmp_path, monkeypatch):
    """Lossless: every model x frame; near-lossless: the default model at D = 1, 2, 4 and frames 16, 64;
    events at its own frame (16)."""
    seen = []
    monkeypatch.setattr(plan_collect.codegen_build, "build", lambda target, model, out, **kw: seen.append(
        (out.name, kw["frame"], kw.get("max_error", 0))))
    monkeypatch.setattr(plan_collect, "build_baseline", lambda d, data_dir, frame: seen.append((d.name, frame, 0)))
    monkeypatch.setattr(plan_collect.build_events, "build_events", lambda target, out, data, log: seen.append(
        (out.name, target, "events")))
    entries = plan_collect.collect(tmp_path / "builds", None, (8, 16), None, log=lambda s: None)
    assert seen == [("default-lossless-f8", 8, 0), ("default-lossless-f16", 16, 0),
                    ("joint-middleout-lossless-f8", 8, 0), ("joint-middleout-lossless-f16", 16, 0),
                    ("baseline-lossless-f8", 8, 0), ("baseline-lossless-f16", 16, 0),
                    ("default-near-d1-f16", 16, 1), ("default-near-d1-f64", 64, 1),
                    ("default-near-d2-f16", 16, 2), ("default-near-d2-f64", 64, 2),
                    ("default-near-d4-f16", 16, 4), ("default-near-d4-f64", 64, 4),
                    ("events-f16", "cortex-m4", "events")]
    near = [e for e in entries if e["build"]["mode"] == "near-lossless"]
    assert [(e["build"]["max_error"], e["build"]["frame"]) for e in near] == [(1, 16), (1, 64), (2, 16), (2, 64),
                                                                              (4, 16), (4, 64)]
    assert [e["name"] for e in entries][:2] == ["baseline-lossless-f8", "baseline-lossless-f16"]   # model, frame order
    assert all(e["missing"] == "not built" for e in entries)      # the stand-in builds wrote nothing


def test_an_unbounded_cpu_figure_is_a_failure_and_plan_json_stays_json(profs, tmp_path):
    # 10,000 cycles a sample x 19,531 Hz = 195 MHz for one channel on a 100 MHz core: no number of cores does it
    plan = evaluate([entry("e-lossless-f8", meas(bits=0.04, cycles=10_000.0))], *profs)
    r = plan["rows"][0]
    assert r["figures"]["power_cpu_mw"]["value"] is None and "unbounded" in r["figures"]["power_cpu_mw"]["missing"]
    assert r["fits"]["cpu"] is False and r["fits"]["datapath"] is True
    write_plan(tmp_path, plan)                 # json.dumps(allow_nan=False): no Infinity in plan.json
    assert "unbounded: one core" in (tmp_path / "plan.md").read_text()


def test_an_event_build_is_judged_both_ways(profs, tmp_path):
    """A hand-made event build: 360 bit/s a channel x 1024 = 0.369 Mbit/s (0.737 mW of radio); datapath
    10 mul16 = 3.875 pJ/sample x 20.0 M/s = 0.0775 mW; latency (datapath) (16 + 1) samples = 0.870 ms:
    fits as a datapath. As a CPU, 40 insns/sample x 20.0 M/s = 800 MHz on a 100 MHz core: fails one core."""
    from test_datapath_events import event_measurements
    d = tmp_path / "builds" / "events-f16"
    d.mkdir(parents=True)
    (d / "build.json").write_text(json.dumps({"status": "done", "mode": "events", "target": "cortex-m4",
                                              "fidelity": "what the build knows"}))
    (d / "measurements.json").write_text(json.dumps(event_measurements(datapath={"total": {"mul16": 10},
                                                                                 "how": "test"})))
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps({"total": {"f1": 0.9919, "sbp_r_median": 0.9683, "files": 30}}))
    entries = plan_collect.collect(tmp_path / "builds", ["default"], (16,), None, build_missing=False,
                                   log=lambda s: None, modes=("events",))
    assert [e["name"] for e in entries] == ["events-f16"]
    plan = evaluate(entries, *profs, event_fidelity(bench))
    r = plan["rows"][0]
    assert r["model"] == "events" and r["frame"] == 16
    assert r["fidelity"] == f"spike F1 0.99, SBP r 0.97 (median; measured: {bench}, 30 files)"
    F = r["figures"]
    assert F["radio_bitrate_mbps"]["value"] == pytest.approx(CH * 360 / 1e6)
    assert F["power_datapath_mw"]["value"] == pytest.approx(CH * FS * 3.875e-9 + CH * 360e-6 * 2)
    assert F["compression_ratio"]["value"] == pytest.approx(16 * FS / 360)
    assert r["verdicts"]["latency (datapath)"]["used"] == pytest.approx(17 / FS * 1000)
    assert r["verdicts"]["one core"]["factor"] == pytest.approx(CH * FS * 40 / 100e6)
    assert r["fits"] == {"cpu": False, "datapath": True}
    assert plan["best"] == {"name": "events-f16", "way": "datapath"}
    assert evaluate(entries, *profs, event_fidelity(tmp_path / "absent.json"))["rows"][0]["fidelity"] == \
        "what the build knows"
    md = render_markdown(plan)
    assert "| events-f16 | events | 16 | spike F1 0.99" in md
    assert "- radio_bitrate_mbps (as for events-f16, every events row alike): derived: (channels x channel_bits" in md
    assert "- compression_ratio (as for events-f16, every events row alike): derived: 16 / bits_per_sample" in md
