"""The event pipeline's datapath operation counts (codegen/measure/datapath_events.py) against a
hand count of a tiny configuration, and the event report's datapath figures priced by n1-datapath."""
import numpy as np
import pytest

from codegen.measure.datapath_events import event_ops, measured_rates
from codegen.report import events as events_report
from codegen.report import profiles
from codegen.report.datapath import energy_per_sample
from spikey.events.params import EventParams
from spikey.events.pipeline import Events

# 3 symmetric taps [2, 5, 2], SBP bins of 4 samples, frames of 4 (2 offset bits), 0.25 spikes a sample and
# an SBP exponent of 1 bit a bin: adaptive bits a sample = 1/4 (closing flag) + 0.25 x (1 + 2) + (1 + 1) / 4
# = 1.5, raw bits 1/4.
P = EventParams(taps=3, bin_samples=4, frame=4)
HAND = {
    "filter": {"add16": 3, "cmp16": 1, "state_write16": 1, "state_read16": 3, "weight16": 2, "mul16": 2,
               "add32": 2, "shift32": 1},
    "detector": {"state_read32": 2, "shift32": 2, "mul32": 1, "add32": 2, "add16": 2, "cmp16": 3,
                 "state_read16": 2, "state_write16": 2, "cmp32": 2, "state_write32": 1},
    "noise": {"cmp16": 1, "add16": 1, "shift32": 2, "cmp32": 1, "add32": 2, "state_write32": 1},
    "sbp": {"state_read32": 1, "add32": 1.25, "state_write32": 1.25, "state_read16": 1, "add16": 1, "cmp16": 1,
            "state_write16": 1.25, "shift32": 0.5, "mul32": 0.25},
    "coder": {"add16": 3.5, "cmp16": 1.5, "shift16": 1.5, "shift32": 3.25, "state_read16": 1.5,
              "state_write16": 1.5, "mul32": 3.5, "add32": 3.5, "cmp32": 1.75, "state_read32": 3.5,
              "state_write32": 3.5},
}


def test_tiny_configuration_matches_the_hand_count():
    d = event_ops(P, np.array([2, 5, 2]), spikes_per_sample=0.25, sbp_bits_per_bin=1.0)
    assert d["blocks"] == {k: dict(sorted(v.items())) for k, v in HAND.items()}
    total = {}
    for b in HAND.values():
        for k, v in b.items():
            total[k] = total.get(k, 0) + v
    assert d["total"] == pytest.approx(total)
    assert d["schema"] == "spikey-datapath-counts/1" and "3 symmetric taps" in d["how"]


def test_a_zero_tap_costs_nothing_and_asymmetric_taps_are_refused():
    d = event_ops(P, np.array([0, 5, 0]), 0.0, 0.0)
    assert d["blocks"]["filter"]["mul16"] == 1 and d["blocks"]["filter"]["state_read16"] == 1
    assert d["blocks"]["filter"]["add32"] == 1 and d["blocks"]["filter"]["add16"] == 2    # the rshr; x - 512, ring
    with pytest.raises(ValueError, match="symmetric"):
        event_ops(P, np.array([1, 5, 2]), 0.0, 0.0)


def test_measured_rates():
    # bins 3 then 1: e = 3 -> v = 7 (n 2), e = -2 -> v = 4 (n 2); 2 spikes in 10 samples
    ev = Events(spikes=np.array([2, 7]), sbp=np.array([3, 1]), y=np.zeros(10, np.int64), n_samples=10)
    r = measured_rates([ev], P)
    assert r["spikes_per_sample"] == pytest.approx(0.2) and r["sbp_bits_per_bin"] == pytest.approx(2.0)


def event_measurements(bits_per_s=360.0, insns=40.0, datapath=None, frame=16):
    f = {"channel_bits_per_s": bits_per_s, "bits_per_s_per_channel": bits_per_s + 1, "joint_overhead_bits_per_frame": 0.0,
         "frame_samples": frame, "lag_samples": 48, "pipe_insns_per_sample": insns - 5, "insns_per_sample": insns,
         "cpi": 1.0, "worst_sample_insns": 200, "worst_code_insns": 100, "finish_insns": 50,
         "state_bytes_per_channel": 300, "stack_bytes": 100, "flash_bytes": 9000, "static_ram_bytes": 400}
    m = {"schema": events_report.SCHEMA, "build": {"name": "events", "target": "cortex-m4", "mode": "events"},
         "data": {"description": "test"}, "cycle_model": None,
         "figures": {k: {"value": v, "unit": "x", "how": "test"} for k, v in f.items()}}
    if datapath is not None:
        m["datapath"] = datapath
    return m


def test_the_event_report_prices_the_datapath_for_the_budget_channels():
    core, radio, budget = profiles.load_set("n1-asic", None, "n1-budget")
    p = EventParams.for_rate(19531)
    from spikey.events.pipeline import taps_for
    dp = event_ops(p, taps_for(p, 19531), 2e-4, 3.0)
    r = events_report.make_report(event_measurements(datapath=dp), core, radio, budget)
    F = r["figures"]
    e = energy_per_sample(dp["total"], profiles.load("n1-datapath", "datapath"))["point"]
    ch, fs = budget.value("channels"), budget.value("sample_rate_hz")
    assert F["datapath_power_mw"]["value"] == pytest.approx(ch * fs * e * 1e-9)
    assert F["datapath_total_power_mw"]["value"] == pytest.approx(ch * fs * e * 1e-9 + F["radio_power_mw"]["value"])
    assert F["compute_power_mw"]["value"] is not None          # the CPU figure beside it
    names = [v["budget"] for v in r["verdicts"]]
    assert "power (datapath)" in names and "latency (datapath)" in names
    md = events_report.render_markdown(r)
    assert "compute power (datapath)" in md and "compute power |" in md
    missing = events_report.make_report(event_measurements(), core, radio, budget)["figures"]
    assert missing["datapath_power_mw"]["value"] is None
    assert "no datapath operation counts" in missing["datapath_energy_pj"]["missing"]
