"""bench/results.py: docs/results.md and the README's generated blocks, rendered from a fixed report and
from the committed JSON (no measuring: every test here is fast)."""
from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from spikey import bench

REPO = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


results = _load("bench_results", REPO / "bench" / "results.py")  # bench/ is not a package
ladder = results.ladder


def _method(name, kind, ratio, encode, decode, files=3, compressed=1000):
    return {"name": name, "kind": kind, "description": name, "files": files, "samples": 300_000,
            "original_bytes": int(ratio * compressed), "compressed_bytes": compressed, "ratio": ratio,
            "ratio_spread": {"min": ratio - 0.5, "p10": ratio - 0.2, "median": ratio, "p90": ratio + 0.2,
                             "max": ratio + 0.5},
            "encode_seconds": 1.0, "decode_seconds": 1.0,
            "encode_samples_per_s": encode, "decode_samples_per_s": decode}


def _report(decode=2.0e6, ratio=3.523):
    files = ["a.wav", "b.wav", "c.wav"]
    return {
        "report_version": 1, "source": "../shared/data/neuralink-dev", "files": 3, "samples": 300_000,
        "original_bytes": 600_132, "git": "abc1234",
        "methods": [
            _method("baseline", "spikey", 3.337, 2.7e6, 1.2e6),
            _method("default+range (C)", "spikey", ratio, 0.86e6, decode),
            _method("default+rice_fixed (C)", "spikey", 3.379, 0.66e6, 3.3e6),
            _method("default+range (Python)", "spikey", 3.6, 0.23e6, 4_800, files=1),
            _method("gzip-9", "stdlib", 2.274, 2.29e6, 92.2e6),
        ],
        "per_file": [{"file": f, "samples": 100_000, "original_bytes": 200_044,
                      "compressed_bytes": {"default+range (C)": 500 + i,
                                           **({"default+range (Python)": 500} if i == 0 else {})},
                      "ratio": {}, "encode_seconds": {}, "decode_seconds": {}} for i, f in enumerate(files)],
        "joint": [{"name": "default+range joint, 64-sample frames (C)", "channels": 3, "frame": 64,
                   "samples": 300_000, "original_bytes": 600_132, "compressed_bytes": 170_000, "ratio": 3.522,
                   "encode_samples_per_s": 1.49e6, "decode_samples_per_s": 1.13e6}],
        "machine": {"platform": "Linux-test", "machine": "x86_64", "cpu_model": "Test CPU @ 3 GHz",
                    "python": "3.11.7", "numpy": "2.4.6", "cpu_count": 2, "date": "2026-11-22T18:25:55+00:00",
                    "load_average_before": 0.25},
    }


def _result(doc: str, target: str) -> str:
    row = next(line for line in doc.splitlines() if line.startswith(f"| {target}"))
    return row.rsplit("|", 2)[-2].strip()


def test_codec_section_table_and_targets():
    doc = results.codec_section(_report(decode=2.0e6))
    assert doc.startswith("## Codec benchmark\n")
    assert ("| default+range (C) | generated C via cffi | **3.523** | 3.023 | 3.323 | 3.523 | 3.723 | 4.023 "
            "| 0.86 | 2.00 | 3/3 files byte-exact |") in doc
    assert "| baseline | Python | **3.337** |" in doc
    assert "| gzip-9 | Python stdlib (C library) | **2.274** |" in doc and "| 92.20 |" in doc
    assert "| default+range (Python), first 1 files | Python reference | **3.600** |" in doc and "| 0.0048 | 1/1 files" in doc
    assert "| default+range joint, 64-sample frames (C) | generated C via cffi | **3.522** |" in doc
    assert "`spikey bench ../shared/data/neuralink-dev --validation` (`spikey/bench.py`) (and the Python reference " \
           "of the range coder on the first 1 files)" in doc
    assert "covers the first 1 of the 3 files" in doc and "4.8 k samples/s" in doc
    assert "its compressed size equals the default+range (C) one" in doc
    assert "Run 2026-11-22T18:25:55+00:00 at git abc1234 on Test CPU @ 3 GHz (2 CPUs" in doc
    assert "![per-file ratios of every method](results-codecs.png)" in doc
    assert _result(doc, "ratio >= 3.50") == "**PASS**"
    assert _result(doc, "host C decode >= 10 M") == "**FAIL**"
    assert "| 2.00 M samples/s | **FAIL** |" in doc
    assert "Fastest C decode of any coder: default+rice_fixed (C), 3.30 M samples/s." in doc


@pytest.mark.parametrize("ratio, decode, want", [
    (3.523, 2.0e6, (True, False)),
    (3.499, 12.5e6, (False, True)),
    (3.50, 10e6, (True, True)),        # the targets are >=
    (3.46, None, (False, False)),      # no decode time measured: not a pass
])
def test_targets_follow_the_numbers(ratio, decode, want):
    got = results.targets(_report(decode=decode, ratio=ratio))
    assert tuple(t["passed"] for t in got) == want
    doc = results.codec_section(_report(decode=decode, ratio=ratio))
    assert [_result(doc, t) for t in ("ratio >= 3.50", "host C decode")] == [
        "**PASS**" if w else "**FAIL**" for w in want]


def test_missing_shipped_codec_fails_both_targets():
    report = _report()
    report["methods"] = [m for m in report["methods"] if m["name"] != "default+range (C)"]
    assert [t["passed"] for t in results.targets(report)] == [False, False]
    assert results.codec_section(report).count("| not measured | **FAIL** |") == 2


def test_reference_size_mismatch_is_reported():
    report = _report()
    report["per_file"][0]["compressed_bytes"]["default+range (Python)"] = 501
    assert "**differs from**" in results.codec_section(report)


def test_whole_document_with_the_checked_in_ladder():
    res = ladder.load()
    doc = results.document(_report(), res)
    lines = doc.splitlines()
    assert lines[0] == "# Results"
    assert lines[2].startswith("Generated by `python bench/results.py` from the JSON under `bench/results/`")
    assert "Do not edit by hand" in lines[2]
    assert "Run 2026-11-22T18:25:55+00:00 at git abc1234" in doc     # when it was measured: from the JSON
    events = ["## Event mode"] if results.events_results.section() else []      # bench/events_results.py
    assert [line for line in lines if line.startswith("## ")] == ["## Codec benchmark", "## Model-size ladder",
                                                                 "## Five Cortex-M cores", "## Native codec program", "## Frame length",
                                                                 "## Plan: which builds fit the budget", *events,
                                                                 "## Near-lossless"]
    assert doc.count("<!-- results:plan -->") == 1 and doc.count("<!-- /results:plan -->") == 1
    assert doc.index("## Codec benchmark") < doc.index("## Model-size ladder") < doc.index("### Verdict")
    assert doc.index("<!-- results:near-lossless -->") < doc.index("<!-- /results:near-lossless -->")
    for r in res["models"]:
        assert f"| {r['model']} | {r['macs']:,} | {r['insns_per_sample']:,.0f} |" in doc
    assert "rendered from `bench/results/ladder.json`" in doc
    assert f"Measured by `python bench/ladder.py` on {res['date']} (git {res['git']};" in doc
    assert "![ratio vs instructions per sample](results-ladder.png)" in doc
    assert "\n\n\n" not in doc


def test_bench_report_with_a_method_on_fewer_files():
    """spikey.bench: a method capped to the first files has its own count; table and plot still work."""
    ms = lambda n: [bench.FileMeasure(f"{i}.wav", 100, 300, 100 + i, 0.1, 0.1) for i in range(n)]  # noqa: E731
    methods = [bench.Method("fast", "stdlib", "t", bytes, bytes), bench.Method("slow (Python)", "spikey", "t",
                                                                                bytes, bytes)]
    report = bench.build_report("d", methods, {"fast": ms(3), "slow (Python)": ms(1)}, machine={})
    assert report["files"] == 3 and [m["files"] for m in report["methods"]] == [3, 1]
    assert [sorted(f["ratio"]) for f in report["per_file"]] == [["fast", "slow (Python)"], ["fast"], ["fast"]]
    assert "| slow (Python), first 1 files | **3.000** |" in bench.render_table(report)
    assert bench.render_plot(report)[:8] == b"\x89PNG\r\n\x1a\n"


def test_measure_limits_a_method_to_the_first_files(tmp_path):
    from wavs import pcm16
    for i in range(3):
        (tmp_path / f"{i}.wav").write_bytes(pcm16(np.arange(200 + i) % 7 - 3))
    paths = bench.find_inputs(tmp_path)
    methods = bench.stdlib_methods()[:2]
    got = bench.measure(paths, methods, progress=False, limits={methods[1].name: 2})
    assert [len(got[m.name]) for m in methods] == [3, 2]
    assert [f.file for f in got[methods[1].name]] == ["0.wav", "1.wav"]


# --------------------------------------------------------------------------- the committed files
def test_docs_results_md_is_what_the_committed_json_renders():
    """docs/results.md is generated from bench/results/learned/bench.json and ladder.json: a hand
    edit, or a JSON measured again without re-rendering, fails here (python bench/results.py --from-json)."""
    data = results.inputs()
    assert results.DOC.read_text() == results.document(data["codecs"], data["ladder"])


def test_readme_blocks_are_what_the_committed_json_renders():
    """Every block between the README's results markers equals its rendering from the committed
    JSON; the rest of the README is left alone (python bench/results.py --from-json rewrites them)."""
    text = results.README.read_text()
    blocks = results.readme_blocks(results.inputs())
    assert sorted(blocks) == sorted(results.README_BLOCKS)
    for name, body in blocks.items():
        assert results.readme_block(text, name) == body, f"README block results:{name} is stale or edited by hand"
    assert results.fill_readme(text, blocks) == text


def test_fill_readme_replaces_only_between_the_markers():
    text = "head\n<!-- results:a -->\nold\nlines\n<!-- /results:a -->\nmiddle\n<!-- results:b -->\n<!-- /results:b -->\ntail\n"
    got = results.fill_readme(text, {"a": "new\n", "b": "| x |\n| --- |\n"})
    assert got == ("head\n<!-- results:a -->\nnew\n<!-- /results:a -->\nmiddle\n<!-- results:b -->\n| x |\n| --- |\n"
                   "<!-- /results:b -->\ntail\n")
    assert results.fill_readme(got, {"a": "new\n", "b": "| x |\n| --- |\n"}) == got      # idempotent
    assert results.readme_block(got, "b") == "| x |\n| --- |\n"
    for bad in ("no markers\n", text + "<!-- results:a -->\n", "<!-- /results:a -->\n<!-- results:a -->\n"):
        with pytest.raises(ValueError, match="results:a"):
            results.fill_readme(bad, {"a": "x"})


def test_readme_numbers_follow_the_json():
    """The blocks are computed, not typed: change a figure in the inputs and the block changes."""
    import copy
    data = results.inputs()
    blocks = results.readme_blocks(data)
    changed = copy.deepcopy(data)
    ship = results.shipped(changed["codecs"])
    ship["ratio"] = 9.876
    ship["decode_samples_per_s"] = 1.0e6
    changed["report"]["figures"]["insns_per_sample"]["value"] = 12345.4
    changed["ladder"]["models"][0]["insns_per_sample"] = 4321.0
    changed["default"]["metrics"]["floor"]["ratio"] = 1.2345
    changed["native"]["program"]["total_s"] = 7.654
    changed["near_lossless"]["bounds"][1]["summary"]["ratio"] = 7.777
    new = results.readme_blocks(changed)
    assert "| 1 | **7.777** |" in new["near-lossless"]
    assert "| **9.876** |" in new["codecs"] and "**misses** the 10 M samples/s" in new["codecs"]
    assert "meets the 10 M samples/s" in blocks["codecs"] or "**misses**" in blocks["codecs"]
    assert "| instructions / sample (QEMU -icount) | 12,345 (" in new["build-report"]
    assert "| 4,321 |" in new["ladder"]
    assert "the first difference reaches 1.234" in new["model"]
    assert "byte-exact | 7.65 s |" in new["native"]
    assert all(new[k] != blocks[k] for k in blocks)


def test_committed_results_are_of_the_bundled_default_model():
    """The build report, the ladder's default row and the codec benchmark are of the model that ships."""
    from spikey.learned import load_model
    ident = load_model().identity.hex()
    build = json.loads((results.BUILD_OUT / "build.json").read_text())
    row = next(r for r in results.ladder.load()["models"] if r["model"] == "default")
    assert build["status"] == "done" and build["target"] == "cortex-m4"
    assert row["model_identity"] == build["model_identity"] == ident
    # the README's build-report block quotes this build's figures
    report = json.loads((results.BUILD_OUT / "report.json").read_text())
    assert build["codec"]["report"]["insns_per_sample"] == report["figures"]["insns_per_sample"]["value"]


def test_committed_build_folders_carry_no_binaries():
    for out in (results.BUILD_OUT, results.BASELINE_BUILD_OUT):
        assert not (out / "obj").exists(), f"{out}/obj is not committed"
        assert not list(out.glob("*.elf")), f"{out} holds ELFs"


def test_parts_and_options():
    assert results.PART_NAMES == ["models", "ladder", "codecs", "foundation", "coders", "baseline-instructions",
                                  "near_lossless", "build-report", "cores", "near_lossless_builds", "baseline-report",
                                  "frames", "plan", "native", "events"]
    assert results._parts("codecs, ladder") == ["codecs", "ladder"]
    with pytest.raises(Exception, match="unknown part nope"):
        results._parts("codecs,nope")
    with pytest.raises(SystemExit):                 # one of --all, --only, --from-json, --list is required
        results.main([])
    doc = results.__doc__
    for p in results.PARTS:                         # every part documented, with its time
        assert f"\n{p.name} " in doc or f"\n{p.name}\n" in doc
    readme = (REPO / "bench" / "README.md").read_text()
    for opt in ("--all", "--only", "--from-json", "--list", "--data", "--limit", "--reference-limit"):
        assert opt in doc and opt in readme
    for p in results.PARTS:
        assert f"`{p.name}`" in readme


def test_committed_reports_are_their_json_rendered():
    """Each committed Markdown report is its JSON rendered (the renderers --from-json uses)."""
    from codegen.report.report import render_markdown
    for out in (results.BENCH_OUT, results.FOUNDATION_OUT):
        report = json.loads((out / "bench.json").read_text())
        assert (out / "bench.md").read_text() == bench.render_markdown(report), out
    for out in (results.BUILD_OUT, results.BASELINE_BUILD_OUT):
        assert (out / "report.md").read_text() == render_markdown(json.loads((out / "report.json").read_text())), out
    baseline = _load("bench_instructions_baseline", REPO / "bench" / "instructions_baseline.py")
    b = json.loads(results.BASELINE_INSNS.read_text())
    assert results.BASELINE_INSNS.with_suffix(".md").read_text() == baseline.render_md(b["summary"], b["per_file"],
                                                                                        b["tools"])
