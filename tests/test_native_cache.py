"""The cffi cache of spikey.native: a second build of the same sources loads the cached
module without compiling, and a damaged cache entry is built again rather than trusted."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# one build of firmware/tests/fixedpoint_harness.c into the cache folder argv[1]; prints the .so path
BUILD = (
    "import sys; from pathlib import Path; from spikey import native; "
    "d = Path(sys.argv[2]) / 'firmware' / 'tests'; "
    "files = {n: (d / n).read_text() for n in ('fixedpoint_harness.h', 'fixedpoint_harness.c')}; "
    "m = native.build(files, native.cdef_of(d / 'fixedpoint_harness.h'), 'fixedpoint_harness.h', "
    "include_dirs=[Path(sys.argv[2]) / 'firmware' / 'include'], cache_dir=sys.argv[1]); "
    "print(m.__file__)"
)


def _build(cache: Path) -> Path:
    r = subprocess.run([sys.executable, "-c", BUILD, str(cache), str(REPO)], capture_output=True, text=True,
                       check=False, cwd=REPO)
    assert r.returncode == 0, r.stderr
    return Path(r.stdout.strip())


def test_second_build_loads_the_cache_and_a_damaged_entry_is_rebuilt(tmp_path):
    so = _build(tmp_path)
    built = so.stat().st_mtime_ns
    assert _build(tmp_path) == so and so.stat().st_mtime_ns == built      # loaded, not compiled again
    entries = [p.name for p in tmp_path.iterdir()]
    so.write_bytes(so.read_bytes()[:1000])                                  # a truncated module
    again = _build(tmp_path)
    assert again == so and so.stat().st_size > 1000
    assert [p.name for p in tmp_path.iterdir()] == entries                  # no temporary folder left behind
