"""Installed as a user installs it: the wheel carries everything, the commands run anywhere.

The project is built into a wheel and installed (without its dependencies, which this
environment has) into a folder of its own; then, from an empty directory elsewhere and
with torch made unimportable, the codec round-trips a recording and ``codegen build``
works for the host and (with the toolchain) for the Cortex-M4, writing only under its
``--out``. The wheel's own file list is checked for the C runtime, the templates, the
profiles and the bundled models.
"""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from codegen.target.toolchain import missing_tools

REPO = Path(__file__).resolve().parents[1]
NO_TORCH = "import sys; sys.modules['torch'] = None; "   # any `import torch` now fails

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("install")
    dist, site = root / "dist", root / "site"
    run = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run(run + ["wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(REPO)],
                   check=True, capture_output=True, cwd=root)
    wheel = next(dist.glob("spikey-*.whl"))
    subprocess.run(run + ["install", "--no-deps", "--target", str(site), str(wheel)], check=True, capture_output=True)
    return wheel, site


def _isolated(site: Path) -> tuple[list, str]:
    """A Python that sees the installed wheel and this environment's dependencies, but no
    .pth file: ``-S`` skips them, so an editable install of the checkout (whose finder would
    supply any module the wheel lacks) is out of sight. Returns (argv prefix, PYTHONPATH)."""
    libs = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    return [sys.executable, "-S"], os.pathsep.join([str(site), *libs])


def _cli(site: Path, cwd: Path, module: str, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    python, path = _isolated(site)
    env = dict(os.environ, PYTHONPATH=path, SPIKEY_CACHE=str(cwd.parent / "cache"))
    code = NO_TORCH + f"from {module} import main; sys.exit(main({list(args)!r}))"
    return subprocess.run([*python, "-c", code], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=timeout)


def test_the_wheel_carries_the_runtime_templates_profiles_and_models(installed):
    names = set(zipfile.ZipFile(installed[0]).namelist())
    for need in ("spikey/_firmware/manifest.json", "spikey/_firmware/src/range_coder.c",
                 "spikey/_firmware/include/spikey_fixed.h", "spikey/_firmware/host/spk_host_codec.c",
                 "spikey/_firmware/hil/hil_codec.c", "spikey/_firmware/targets/cortex-m/cortex-m.ld.in",
                 "codegen/emit/templates/codec.c.j2", "codegen/emit/templates/ops/dense.c.j2",
                 "codegen/report/profiles/cortex-m4.json", "spikey/models/default/model.onnx",
                 "spikey/models/default/compiled/compiled.json", "spikey/models/joint-middleout/compiled/spk_codec.c",
                 "spikey_train/configs/default.yaml", "spikey/_firmware/native/spikey_codec.c",
                 "spikey/_firmware/api/test_spikey_api.c", "spikey/_firmware/platformio/seed_scons.py",
                 "spikey/_firmware/platformio/platform/builder/main.py",
                 "spikey/_firmware/platformio/platform/boards/spikey-host.json",
                 "codegen/emit/templates/spikey.h.j2", "codegen/emit/templates/export/platformio.ini.j2"):
        assert need in names, need
    assert not any(n.startswith("spikey/_firmware/tests/") for n in names)


def test_the_installed_codec_round_trips_anywhere_without_torch(installed, tmp_path):
    _, site = installed
    work = tmp_path / "work"
    work.mkdir()
    assert _cli(site, work, "spikey.cli", "synth", "rec", "--channels", "2", "--seconds", "0.5").returncode == 0
    for args in (["encode", "rec/ch000.wav", "a.spk"], ["decode", "a.spk", "a.wav"],
                 ["encode", "--joint", "--model", "joint-middleout", "rec", "j.spk"],
                 ["decode", "--joint", "--model", "joint-middleout", "j.spk", "out"]):
        r = _cli(site, work, "spikey.cli", *args)
        assert r.returncode == 0, r.stderr
    assert (work / "a.wav").read_bytes() == (work / "rec" / "ch000.wav").read_bytes()
    assert (work / "out" / "ch001.wav").read_bytes() == (work / "rec" / "ch001.wav").read_bytes()
    python, path = _isolated(site)
    probe = subprocess.run([*python, "-c", "import spikey.firmware as f; print(f.root())"], capture_output=True,
                           text=True, cwd=work, env=dict(os.environ, PYTHONPATH=path))
    assert probe.stdout.strip() == str(site / "spikey" / "_firmware")


@pytest.mark.parametrize("target", ["host", "cortex-m4"])
def test_the_installed_codegen_builds_under_its_out_only(installed, tmp_path, target):
    if target != "host" and missing_tools():
        pytest.skip(f"{', '.join(missing_tools())} not installed")
    _, site = installed
    work = tmp_path / "work"
    work.mkdir()
    before = {p for p in site.rglob("*")}
    r = _cli(site, work, "codegen.cli", "build", "--target", target, "--loss-files", "1")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in work.iterdir()) == ["build"]
    assert (work / "build" / f"default-{target}" / "build.json").is_file()
    if target != "host":
        assert (work / "build" / f"default-{target}" / "report.md").is_file()
    assert {p for p in site.rglob("*")} - before <= {p for p in site.rglob("__pycache__*")} | \
        {p for p in site.rglob("*.pyc")}
