"""The build report's arithmetic, on hand-computed cases (codegen/report/report.py, codegen/report/profiles.py)."""
import json
import math

import pytest

from codegen.report import profiles
from codegen.report.report import make_report, render_markdown, render_png
from codegen.cli import main as report_main
from codegen.target.toolchain import missing_tools


def meas(**over):
    f = {
        "flash_bytes": 4000, "codec_flash_bytes": 1600, "static_ram_bytes": 500, "stack_bytes": 60,
        "state_bytes_per_channel": 8, "insns_per_sample": 45.0, "insns_worst_frame": 3200, "frame_samples": 64,
        "cpi": 1.0, "cycles_per_sample": 45.0, "cycles_worst_frame": 3200, "bits_per_sample": 4.0,
        "compression_ratio": 4.0, "coder_lag_symbols": 2048,
    }
    f.update(over)
    figs = {k: ({"value": v, "unit": "x", "how": "test"} if v is not None else
                {"value": None, "unit": "x", "missing": "not run in this test"}) for k, v in f.items()}
    return {"schema": "spikey-measurements/1", "build": {"name": "t", "target": "cortex-m4"}, "data": {},
            "figures": figs, "cycle_model": None}


def write_profile(tmp_path, name, kind, figures, **extra):
    data = {"kind": kind, "name": name, "description": name, **extra,
            "figures": {k: {"value": v, "unit": profiles.SCHEMA[kind][k], "source": "test", "date": "2026"}
                        for k, v in figures.items()}}
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps(data))
    return p


@pytest.fixture
def profs(tmp_path):
    core = write_profile(tmp_path, "core", "core", {
        "clock_min_mhz": 1, "clock_max_mhz": 100, "active_uw_per_mhz": 10, "static_uw": 50,
        "flash_bytes": 65536, "ram_bytes": 32768, "flash_wait_states": 0, "flash_wait_states_max": 0}, cpu="cortex-m4")
    radio = write_profile(tmp_path, "radio", "radio", {"energy_nj_per_bit": 2.0, "link_capacity_mbps": 1.0})
    budget = write_profile(tmp_path, "budget", "budget", {
        "channels": 1024, "sample_rate_hz": 19531, "power_mw": 10, "latency_ms": 1, "link_mbps": 1.0})
    return profiles.load(core), profiles.load(radio), profiles.load(budget)


def test_hand_computed_clock_power_radio_latency(profs):
    core, radio, budget = profs
    r = make_report(meas(), core, radio, budget)
    F = r["figures"]
    # 1024 ch x 19,531 Hz = 19,999,744 samples/s; x 45 cycles/sample = 899.98848 MHz
    assert F["clock_needed_mhz"]["value"] == pytest.approx(899.98848)
    # worst frame: 3200 / 64 = 50 cycles/sample -> 999.99 MHz; one 100 MHz core serves floor(1e8 / 976,550) = 102
    assert F["cycles_per_sample_worst"]["value"] == 50
    assert F["channels_per_core"]["value"] == 102
    assert F["cores_needed"]["value"] == math.ceil(1024 / 102) == 11
    # power = 10 uW/MHz x 899.98848 MHz + 50 uW x 11 cores = 8999.8848 + 550 uW = 9.5498848 mW
    assert F["compute_power_mw"]["value"] == pytest.approx(9.5498848)
    # radio: 19,999,744 samples/s x 4 bits = 79.998976 Mbit/s; x 2 nJ/bit = 159.997952 mW
    assert F["radio_bitrate_mbps"]["value"] == pytest.approx(79.998976)
    assert F["radio_power_mw"]["value"] == pytest.approx(159.997952)
    assert F["total_power_mw"]["value"] == pytest.approx(159.997952 + 9.5498848)
    # latency: 64 / 19531 s = 3.2768 ms + ceil(1024/11)=94 frames x 3200 cycles / 100 MHz = 3.008 ms
    # + the coder lag: 2048 symbols of a 1024-channel joint stream = 2 time steps = 0.1024 ms
    assert F["coder_lag_ms"]["value"] == pytest.approx(2 / 19531 * 1000)
    assert F["latency_ms"]["value"] == pytest.approx(64 / 19531 * 1000 + 94 * 3200 / 1e8 * 1000 + 2 / 19531 * 1000)
    # RAM: 500 + 60 + 1024 x 8
    assert F["ram_for_channels_bytes"]["value"] == 500 + 60 + 8192


def test_verdict_factors(profs):
    core, radio, budget = profs
    v = {x["budget"]: x for x in make_report(meas(), core, radio, budget)["verdicts"]}
    assert v["link"]["factor"] == pytest.approx(79.998976)
    assert v["link"]["pass"] is False and v["link"]["text"].startswith("fails: needs 80x the 1 Mbit/s")
    assert v["flash"]["pass"] is True and v["flash"]["factor"] == pytest.approx(4000 / 65536)
    assert v["flash"]["text"] == f"fits: uses {4000 / 65536:.3g}x of 65,536 B"
    small = make_report(meas(bits_per_sample=0.0005), core, radio, budget)
    link = [x for x in small["verdicts"] if x["budget"] == "link"][0]
    assert link["pass"] and link["factor"] == pytest.approx(1024 * 19531 * 0.0005 / 1e6)


def test_every_figure_has_a_source(profs):
    r = make_report(meas(), *profs)
    for key, f in r["figures"].items():
        assert f["source"].split(":")[0] in ("measured", "profile", "derived"), key
        assert "unit" in f


def test_profile_change_changes_report(profs, tmp_path):
    core, radio, budget = profs
    a = make_report(meas(), core, radio, budget)
    data = json.loads(core.path.read_text())
    data["figures"]["active_uw_per_mhz"]["value"] = 20
    data["figures"]["clock_max_mhz"]["value"] = 200
    p = tmp_path / "core2.json"
    p.write_text(json.dumps(data))
    b = make_report(meas(), profiles.load(p), radio, budget)
    assert b["figures"]["compute_power_mw"]["value"] > a["figures"]["compute_power_mw"]["value"]
    assert b["figures"]["channels_per_core"]["value"] == 204
    assert "core2.json:active_uw_per_mhz" in b["figures"]["active_uw_per_mhz"]["source"]


def test_model_change_changes_report(profs):
    a = make_report(meas(), *profs)
    b = make_report(meas(cycles_per_sample=90.0, bits_per_sample=2.0), *profs)
    assert b["figures"]["clock_needed_mhz"]["value"] == pytest.approx(2 * a["figures"]["clock_needed_mhz"]["value"])
    assert b["figures"]["radio_bitrate_mbps"]["value"] == pytest.approx(a["figures"]["radio_bitrate_mbps"]["value"] / 2)


def test_missing_measurement_is_missing_not_zero(profs, tmp_path):
    r = make_report(meas(cycles_per_sample=None, cycles_worst_frame=None), *profs)
    F = r["figures"]
    for key in ("cycles_per_sample", "clock_needed_mhz", "compute_power_mw", "total_power_mw", "latency_ms",
                "cores_needed", "channels_per_core"):
        assert F[key]["value"] is None, key
        assert F[key]["missing"], key
    assert "not run in this test" in F["compute_power_mw"]["missing"]
    assert F["radio_power_mw"]["value"] is not None                     # does not depend on cycles
    power = [v for v in r["verdicts"] if v["budget"] == "power"][0]
    assert power["pass"] is None and power["text"].startswith("missing")
    md = render_markdown(r)
    assert "| compute power (CPU) | missing (needs" in md
    assert "| compute power | 0" not in md
    render_png(r, tmp_path / "r.png")
    assert (tmp_path / "r.png").stat().st_size > 1000
    # a key absent from measurements.json is missing too
    m = meas()
    del m["figures"]["bits_per_sample"]
    r2 = make_report(m, *profs)
    assert r2["figures"]["radio_power_mw"]["value"] is None


def test_ranges_propagate(profs):
    m = meas()
    m["figures"]["cycles_per_sample"]["range"] = [40.0, 50.0]
    r = make_report(m, *profs)
    lo, hi = r["figures"]["clock_needed_mhz"]["range"]
    assert lo == pytest.approx(1024 * 19531 * 40 / 1e6) and hi == pytest.approx(1024 * 19531 * 50 / 1e6)


def test_profile_errors_are_one_line(tmp_path):
    p = write_profile(tmp_path, "bad", "radio", {"energy_nj_per_bit": 2.0, "link_capacity_mbps": 1.0})
    data = json.loads(p.read_text())
    data["figures"]["energy_nj_per_bit"]["unit"] = "J/bit"
    p.write_text(json.dumps(data))
    with pytest.raises(profiles.ProfileError, match=r"energy_nj_per_bit: unit is 'J/bit', expected 'nJ/bit'") as e:
        profiles.load(p)
    assert "\n" not in str(e.value)
    del data["figures"]["link_capacity_mbps"]
    data["figures"]["energy_nj_per_bit"]["unit"] = "nJ/bit"
    p.write_text(json.dumps(data))
    with pytest.raises(profiles.ProfileError, match="link_capacity_mbps: missing"):
        profiles.load(p)
    with pytest.raises(profiles.ProfileError, match="no such profile"):
        profiles.load("no-such-target")


def test_shipped_profiles_load_and_cite():
    for name in ("cortex-m4", "n1-asic"):
        core, radio, budget = profiles.load_set(name)
        for prof in (core, radio, budget):
            for key, f in prof.figures.items():
                assert f["source"].strip() and f["date"].strip(), (prof.name, key)


def test_cli_prints_and_compares(profs, tmp_path, capsys):
    core, radio, budget = profs
    for name, cps in (("a", 45.0), ("b", 90.0)):
        d = tmp_path / name
        d.mkdir()
        (d / "measurements.json").write_text(json.dumps(meas(cycles_per_sample=cps)))
    args = ["--profile", str(core.path), "--radio", str(radio.path), "--budget", str(budget.path)]
    assert report_main(["report", str(tmp_path / "a"), *args, "--write"]) == 0
    out = capsys.readouterr().out
    assert "# Build report" in out and (tmp_path / "a" / "report.png").exists()
    assert report_main(["report", str(tmp_path / "a"), "--compare", str(tmp_path / "b"), *args]) == 0
    out = capsys.readouterr().out
    assert "| clock for all channels, mean load |" in out and "| 2 |" in out
    assert report_main(["report", str(tmp_path / "nothing")]) == 1
    assert "no measurements.json" in capsys.readouterr().err


@pytest.mark.hil
@pytest.mark.skipif(bool(missing_tools()), reason="cross tools missing")
def test_measure_baseline_on_synthetic_data(tmp_path):
    """No real recordings: falls back to synthetic channels, and says so in the report."""
    from codegen.measure.figures import measure_baseline_build
    empty = tmp_path / "no-data"
    empty.mkdir()
    m = measure_baseline_build(tmp_path / "build", files=2, data_dir=empty)
    assert "synthetic" in m["data"]["description"]
    for key in ("insns_per_sample", "cycles_per_sample", "stack_bytes", "state_bytes_per_channel", "bits_per_sample"):
        assert m["figures"][key]["value"] is not None, key
    assert m["figures"]["state_bytes_per_channel"]["value"] == 8
    r = json.loads((tmp_path / "build" / "report.json").read_text())
    assert r["figures"]["clock_needed_mhz"]["value"] > 0
    assert (tmp_path / "build" / "report.png").stat().st_size > 1000
    assert "synthetic" in (tmp_path / "build" / "report.md").read_text()
