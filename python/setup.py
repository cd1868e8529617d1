"""obol: the CPython extension module, for `pip install .` from python/.

The module's C sources (src/) are compiled here exactly as CMake compiles them, and
linked against the obol static libraries CMake built. So build those first:

    make python                      # or: cmake --preset default &&
                                     #     cmake --build --preset default --target obol_python
    cd python && pip install .       # offline, with Debian's python3-setuptools

`make python` writes build/python/obol_build.json (include directories, the static
libraries in link order, the system libraries, the generated error table); set
OBOL_BUILD_DIR to use another build directory. There is no pyproject.toml on purpose:
with one, pip would build in an isolated environment and try to download setuptools;
without it pip uses the setuptools installed (python3-setuptools, python3-wheel).
On Debian the system Python is externally managed (PEP 668): install into a virtual
environment (python3 -m venv --system-site-packages ENV; ENV/bin/pip install .) or
pass --user --break-system-packages.
"""
import json
import os
import pathlib
import sys

from setuptools import Extension, setup

HERE = pathlib.Path(__file__).resolve().parent
BUILD = pathlib.Path(os.environ.get("OBOL_BUILD_DIR", HERE.parent / "build"))
INFO = BUILD / "python" / "obol_build.json"

if not INFO.exists():
    sys.exit(f"setup.py: {INFO} is missing: run `make python` in the repository first "
             "(it builds the obol static libraries this module links)")
info = json.loads(INFO.read_text())
missing = [p for p in info["archives"] + [info["errtab"]] if not pathlib.Path(p).exists()]
if missing:
    sys.exit("setup.py: not built yet: " + ", ".join(missing) + " (run `make python`)")
if info["sanitize"]:
    sys.exit("setup.py: the build directory is a sanitizer build; use the default preset")

libraries, link_args = [], []
for lib in info["libraries"]:
    if os.path.isabs(lib):
        link_args.append(lib)
    else:
        libraries.append(lib)

# The static libraries as one group (their order does not matter then); only
# PyInit_obol is exported, as in the CMake build.
archives = ["-Wl,--start-group"] + info["archives"] + ["-Wl,--end-group"]

setup(
    name="obol",
    version=info["version"],
    description="obol: simulator and conformance harness for multi-application financial IC "
                "cards (CPython binding)",
    license="see the obol repository",
    python_requires=">=3.11",
    ext_modules=[
        Extension(
            "obol",
            sources=info["sources"],
            include_dirs=info["include_dirs"],
            define_macros=[("OBOL_VERSION", '"%s"' % info["version"]),
                           ("_POSIX_C_SOURCE", "200809L")],
            extra_compile_args=["-std=c11", "-Wall", "-Wextra", "-fvisibility=hidden"],
            extra_link_args=archives + link_args + ["-Wl,--exclude-libs,ALL"],
            libraries=libraries,
        )
    ],
    data_files=[],
    py_modules=[],
)
