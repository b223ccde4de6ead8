"""What a build exports (codegen/export): the C API header compiles on its own, the
CMake build makes the static library, the example and the API's tests and they pass, and
the PlatformIO project builds offline from an empty core folder: `pio run` the example ELF
(which also runs in QEMU) and `pio test -e native` the API's tests on the host."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codegen.build import build
from codegen.export.library import api_sources
from spikey.learned import load_model

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("export")
    build("host", out_dir=d, loss_files=1, log=lambda *a: None)
    return d


def test_the_header_is_one_include_and_strict_c99(out):
    """The example includes spikey.h alone; it and the library pass strict C99."""
    assert [ln for ln in (out / "examples" / "encode" / "main.c").read_text().splitlines()
            if ln.startswith("#include")] == ["#include <stdint.h>", '#include "spikey.h"']
    subprocess.run(["cc", "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                    f"-I{out / 'include'}", str(out / "examples" / "encode" / "main.c"),
                    str(out / "lib" / "spikey.c")], check=True)
    header = (out / "include" / "spikey.h").read_text()
    for name in ("spikey_encoder_init", "spikey_encode_frame", "spikey_flush", "spikey_decoder_init",
                 "spikey_decode_frame", "spikey_decoder_finish", "SPIKEY_STATE_BYTES", "SPIKEY_PAYLOAD_MAX_BYTES",
                 "SPIKEY_ERR_OVERFLOW"):
        assert name in header
    assert "malloc" not in "".join(p.read_text() for d in ("src", "lib") for p in (out / d).glob("*.c"))
    assert sorted(p.name for p in (out / "src").iterdir()) == sorted(json.loads(
        (out / "build.json").read_text())["sources"])            # src/ stays the generated C alone


def test_the_exports_are_the_models_and_repeat(out):
    model = load_model(None)
    info = json.loads((out / "build.json").read_text())
    assert bytes.fromhex(info["model_identity"]) == model.identity
    for rel, text in api_sources(model.name, model.identity, model.meta).items():
        assert (out / rel).read_text() == text
    assert f"0x{model.identity[0]:02x}, 0x{model.identity[1]:02x}" in (out / "lib" / "spikey.c").read_text()
    lib = json.loads((out / "library.json").read_text())
    assert lib["name"] == "spikey" and lib["build"]["includeDir"] == "include"


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake not installed (apt-get install cmake)")
def test_cmake_builds_the_library_example_and_tests(out, tmp_path):
    b = tmp_path / "cmake"
    subprocess.run(["cmake", "-S", str(out), "-B", str(b), "-DCMAKE_BUILD_TYPE=Release"], check=True,
                   capture_output=True)
    subprocess.run(["cmake", "--build", str(b), "-j", "2"], check=True, capture_output=True)
    assert (b / "libspikey.a").is_file()
    r = subprocess.run(["ctest", "--output-on-failure"], check=False, cwd=b, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout
    r = subprocess.run([str(b / "spikey_api_tests")], check=False, capture_output=True, text=True)
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines[-1] == "DONE 0"
    assert len([ln for ln in lines if ln.startswith("PASS ")]) >= 20 and not any(ln.startswith("FAIL") for ln in lines)


@pytest.mark.skipif(shutil.which("cmake") is None or shutil.which("arm-none-eabi-gcc") is None,
                    reason="cmake or arm-none-eabi-gcc not installed")
def test_cmake_cross_builds_the_library_for_a_cortex_m4(out, tmp_path):
    """As a firmware project includes it: a bare-metal toolchain, the library alone."""
    b = tmp_path / "cross"
    subprocess.run(["cmake", "-S", str(out), "-B", str(b), "-DCMAKE_SYSTEM_NAME=Generic",
                    "-DCMAKE_C_COMPILER=arm-none-eabi-gcc", "-DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY",
                    "-DCMAKE_C_FLAGS=-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16",
                    "-DSPIKEY_BUILD_EXAMPLES=OFF"], check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(b), "-j", "2"], check=True, capture_output=True)
    members = subprocess.run(["arm-none-eabi-ar", "t", str(b / "libspikey.a")], check=True, capture_output=True,
                             text=True).stdout.split()
    assert {"spikey.c.obj", "spk_codec.c.obj", "range_coder.c.obj"} <= set(members)
    assert not (b / "spikey_example").exists()


def _pio_missing() -> str | None:
    if importlib.util.find_spec("platformio") is None or importlib.util.find_spec("SCons") is None:
        return "platformio not installed (pip install -e '.[platformio]')"
    if shutil.which("arm-none-eabi-gcc") is None:
        return "arm-none-eabi-gcc not installed"
    return None


@pytest.fixture(scope="module")
def pio(out, tmp_path_factory):
    """Run PlatformIO in the exported project with an empty core folder (a fresh machine)."""
    why = _pio_missing()
    if why:
        pytest.skip(why)
    core = tmp_path_factory.mktemp("pio-core")
    env = dict(os.environ, PLATFORMIO_CORE_DIR=str(core), PLATFORMIO_NO_ANSI="true")
    proj = out / "platformio"
    seed = subprocess.run([sys.executable, "seed_scons.py"], check=False, cwd=proj, env=env, capture_output=True, text=True)
    assert seed.returncode == 0, seed.stderr

    def run(*args):
        return subprocess.run([sys.executable, "-m", "platformio", *args], check=False, cwd=proj, env=env, capture_output=True,
                              text=True, timeout=600)
    return proj, run


@pytest.mark.slow
def test_pio_run_builds_the_example_elf_offline(pio):
    proj, run = pio
    r = run("run")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "SUCCESS" in r.stdout and "warning" not in r.stdout.lower()
    elf = proj / ".pio" / "build" / "cortex-m4" / "program.elf"
    assert elf.read_bytes()[:4] == b"\x7fELF"


@pytest.mark.slow
def test_pio_test_native_runs_the_api_tests(pio):
    _, run = pio
    r = run("test", "-e", "native")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert "round_trip_frame_64\t[PASSED]" in r.stdout and "FAILED" not in r.stdout
    assert " test cases: " in r.stdout and " succeeded " in r.stdout


@pytest.mark.hil
@pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm not installed")
def test_the_pio_example_runs_in_qemu(pio):
    """The example ELF is real firmware: on the board's QEMU machine it encodes, decodes and
    compares its buffer, and exits 0 through semihosting."""
    proj, run = pio
    elf = proj / ".pio" / "build" / "cortex-m4" / "program.elf"
    if not elf.is_file():
        assert run("run").returncode == 0
    r = subprocess.run(["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none", "-serial", "none",
                        "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)],
                       check=False, capture_output=True, timeout=120)
    assert r.returncode == 0


def test_a_cortex_builds_header_states_its_measured_cost():
    """A Cortex-M build passes its instructions.json to the export: the header's cost paragraph
    quotes those figures (here from the committed cortex-m4 build report)."""
    from codegen.export.build import cost_of
    measured = json.loads((REPO / "bench" / "results" / "build-report" / "default-cortex-m4" /
                           "instructions.json").read_text())
    model = load_model(None)
    header = api_sources(model.name, model.identity, model.meta, cost_of(measured))["include/spikey.h"]
    pf = measured["per_file"]
    assert f"costs {pf['insns_per_sample']:.0f} instructions per sample on average" in header
    assert f"{pf['insns_worst_frame']:,} instructions\n * in the worst {measured['frame_samples']}-sample frame" in header
    assert f"stack peak is {measured['encode_stack_bytes']} B" in header
    assert "A Cortex-M build measures it" in api_sources(model.name, model.identity, model.meta)["include/spikey.h"]
