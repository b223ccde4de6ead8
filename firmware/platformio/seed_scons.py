"""Seed PlatformIO's ``tool-scons`` package from PyPI's ``scons`` (installed with
``pip install spikey[platformio]``), so that ``pio run`` needs nothing from the PlatformIO
registry. Run it with the Python that runs ``pio``; it writes into the core folder that
``pio`` uses ($PLATFORMIO_CORE_DIR, default ~/.platformio):

    python seed_scons.py

The package is a folder with a package.json, PlatformIO's metadata file (.piopm: owner
"platformio", as the registry's package has) and a scons.py that starts the installed
SCons. Its version is SCons' own in PlatformIO's numbering (4.11.1 -> 4.41101.0), which
must satisfy what this PlatformIO asks for; if not, the script says so.
"""
import json
import os
import sys

import SCons
import semantic_version
from platformio.dependencies import get_core_dependencies
from platformio.package.manager.tool import ToolPackageManager
from platformio.package.meta import PackageMetadata, PackageSpec, PackageType

NAME = "tool-scons"
LAUNCHER = "import sys\nfrom SCons.Script.Main import main\n\nsys.exit(main())\n"


def pio_version(version: str) -> str:
    major, minor, patch = (int(p) for p in version.split(".")[:3])
    return f"{major}.{major * 10000 + minor * 100 + patch}.0"


def main() -> int:
    version = pio_version(SCons.__version__)
    pm = ToolPackageManager()
    spec = PackageSpec(owner="platformio", name=NAME, requirements=get_core_dependencies()[NAME])
    if semantic_version.Version(version) not in spec.requirements:
        print(f"seed_scons: SCons {SCons.__version__} is {NAME} {version}, but this PlatformIO needs "
              f"{spec.requirements}: install a matching scons", file=sys.stderr)
        return 1
    if pm.get_package(spec):
        print(f"seed_scons: {NAME} is already installed in {pm.package_dir}")
        return 0
    folder = os.path.join(pm.package_dir, NAME)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "package.json"), "w") as f:
        json.dump({"name": NAME, "version": version, "description": f"SCons {SCons.__version__} from PyPI",
                   "system": "*"}, f, indent=2)
    with open(os.path.join(folder, "scons.py"), "w") as f:
        f.write(LAUNCHER)
    PackageMetadata(PackageType.TOOL, NAME, version, spec=PackageSpec(owner="platformio", name=NAME)).dump(
        os.path.join(folder, ".piopm"))
    print(f"seed_scons: {NAME} {version} (SCons {SCons.__version__}) -> {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
