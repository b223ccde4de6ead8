"""Target, radio and budget profiles: the assumptions of the build report, as data.

A profile is a JSON file in codegen/report/profiles/ (or any path):

    {"kind": "core" | "radio" | "budget" | "datapath", "name": "...", "description": "...",
     "figures": {"<key>": {"value": <number>, "unit": "<unit>", "source": "<citation>",
                           "date": "<date of the source>"}, ...},
     ...}                     # core profiles also name "cpu" (cycle table) and default
                              # "radio" and "budget" profiles

Every figure carries its source and date; a figure nobody could check says "unverified"
(or "assumption") in its source. Adding a target is adding a file. Errors are one line:
ProfileError("codegen/report/profiles/x.json: figures.clock_max_mhz: unit is 'Hz', expected 'MHz'").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

PROFILE_DIR = Path(__file__).resolve().parent / "profiles"

# kind -> required figure -> unit
SCHEMA: dict[str, dict[str, str]] = {
    "core": {"clock_min_mhz": "MHz", "clock_max_mhz": "MHz", "active_uw_per_mhz": "uW/MHz",
             "static_uw": "uW", "flash_bytes": "B", "ram_bytes": "B",
             "flash_wait_states": "cycles", "flash_wait_states_max": "cycles"},
    "radio": {"energy_nj_per_bit": "nJ/bit", "link_capacity_mbps": "Mbit/s"},
    "budget": {"channels": "channels", "sample_rate_hz": "Hz", "power_mw": "mW", "latency_ms": "ms",
               "link_mbps": "Mbit/s"},
    # energy per operation of a fixed-function datapath (codegen/report/datapath.py)
    "datapath": {"add8_pj": "pJ", "add32_pj": "pJ", "mul8_pj": "pJ", "mul32_pj": "pJ", "sram_8kb_read64_pj": "pJ",
                 "sram_32kb_read64_pj": "pJ", "sram_1mb_read64_pj": "pJ", "node_energy_scale": "x",
                 "node_energy_scale_low": "x", "node_energy_scale_high": "x", "static_uw": "uW"},
}
# figures that may be zero (all others must be > 0)
MAY_BE_ZERO = {"flash_wait_states", "flash_wait_states_max", "static_uw"}
KNOWN_CPUS = ("cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")


class ProfileError(ValueError):
    """A profile file is missing, unreadable or breaks the schema (one-line message)."""


@dataclass(frozen=True)
class Profile:
    kind: str
    name: str
    description: str
    path: Path
    figures: dict[str, dict]
    extra: dict

    def value(self, key: str) -> float:
        return self.figures[key]["value"]

    def ref(self, key: str) -> str:
        """'profile: <file>:<key> (<source>; <date>)' -- how the report cites a figure."""
        f = self.figures[key]
        return f"profile: {self.path.name}:{key} ({f['source']}; {f['date']})"

    def get(self, key: str, default=None):
        return self.extra.get(key, default)


def resolve(name_or_path: str | Path) -> Path:
    """A profile name ('cortex-m4') -> codegen/report/profiles/cortex-m4.json; a path is kept."""
    p = Path(name_or_path)
    if p.exists() or len(p.parts) > 1:
        return p
    return PROFILE_DIR / (p.name if p.suffix == ".json" else f"{p.name}.json")


def json_kind(path: Path) -> str | None:
    """The ``kind`` of a profile file, or None when it is not a readable profile."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return None
    return data.get("kind") if isinstance(data, dict) else None


def load(name_or_path: str | Path, kind: str | None = None) -> Profile:
    path = resolve(name_or_path)
    where = str(path)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in PROFILE_DIR.glob("*.json")))
        raise ProfileError(f"{where}: no such profile (known: {known})")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ProfileError(f"{where}: not valid JSON: {e.msg} at line {e.lineno}") from None
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: top level must be an object")
    k = data.get("kind")
    if k not in SCHEMA:
        raise ProfileError(f"{where}: kind is {k!r}, expected one of {', '.join(SCHEMA)}")
    if kind is not None and k != kind:
        raise ProfileError(f"{where}: is a {k!r} profile, expected a {kind!r} profile")
    for key in ("name", "description"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise ProfileError(f"{where}: {key} must be a non-empty string")
    if k == "core" and data.get("cpu") not in KNOWN_CPUS:
        raise ProfileError(f"{where}: cpu is {data.get('cpu')!r}, expected one of {', '.join(KNOWN_CPUS)}")
    figures = data.get("figures")
    if not isinstance(figures, dict):
        raise ProfileError(f"{where}: figures must be an object")
    for key, unit in SCHEMA[k].items():
        f = figures.get(key)
        at = f"{where}: figures.{key}"
        if f is None:
            raise ProfileError(f"{at}: missing")
        if not isinstance(f, dict):
            raise ProfileError(f"{at}: must be an object with value, unit, source, date")
        v = f.get("value")
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ProfileError(f"{at}: value must be a number, got {v!r}")
        if v < 0 or (v == 0 and key not in MAY_BE_ZERO):
            raise ProfileError(f"{at}: value must be {'>= 0' if key in MAY_BE_ZERO else '> 0'}, got {v}")
        if f.get("unit") != unit:
            raise ProfileError(f"{at}: unit is {f.get('unit')!r}, expected {unit!r}")
        for field in ("source", "date"):
            if not isinstance(f.get(field), str) or not f[field].strip():
                raise ProfileError(f"{at}: {field} must be a non-empty string (say 'unverified' if unknown)")
    if k == "core" and figures["clock_min_mhz"]["value"] > figures["clock_max_mhz"]["value"]:
        raise ProfileError(f"{where}: figures.clock_min_mhz exceeds figures.clock_max_mhz")
    extra = {key: v for key, v in data.items() if key not in ("kind", "name", "description", "figures")}
    return Profile(kind=k, name=data["name"], description=data["description"], path=path,
                   figures=figures, extra=extra)


def load_set(core: str | Path = "cortex-m4", radio: str | Path | None = None,
             budget: str | Path | None = None) -> tuple[Profile, Profile, Profile]:
    """A core profile plus its radio and budget (the core profile's defaults unless given)."""
    c = load(core, "core")
    r = load(radio or c.get("radio") or "ble-nrf52840", "radio")
    b = load(budget or c.get("budget") or "n1-budget", "budget")
    return c, r, b
