"""Map the top-level folders onto subpackages of one ``wirespeed`` namespace.

The repository shows the architecture (hw/, gateway/, control/, sim/ beside the
core wirespeed/) while every import reads ``wirespeed.hw...``, ``wirespeed.gateway...``.
Metadata lives in pyproject.toml; only the package mapping is computed here.
"""
from setuptools import Extension, find_packages, setup

LAYERS = ("hw", "gateway", "control", "sim")

package_dir = {"wirespeed": "wirespeed"}
packages = ["wirespeed"] + [f"wirespeed.{p}" for p in find_packages("wirespeed")]
for layer in LAYERS:
    package_dir[f"wirespeed.{layer}"] = layer
    packages.append(f"wirespeed.{layer}")
    packages += [f"wirespeed.{layer}.{p}" for p in find_packages(layer)]

# The gateway's native order path (C, CPython API; gateway/native/): built by `make setup`.
# (the headers a source includes: a change to one rebuilds it)
DEPENDS = {"path.c": ["gateway/native/fmt.h", "gateway/native/store_append.h", "gateway/native/frame_check.h", "gateway/native/read_entry.h",
                     "gateway/native/book.h", "gateway/native/calls.h", "gateway/native/stamp_ring.h"],
           "fix.c": ["gateway/native/frame_check.h", "gateway/native/fmt.h"], "report.c": ["gateway/native/fmt.h"],
           "hist.c": ["gateway/native/stamp_ring.h"]}
NATIVE = [Extension(f"wirespeed.gateway.native.{name}", [f"gateway/native/{src}"], extra_compile_args=["-O2"],
                    depends=DEPENDS.get(src, []))
          for name, src in (("_risk", "risk.c"), ("_fix", "fix.c"), ("_order", "order.c"), ("_report", "report.c"), ("_path", "path.c"), ("_hist", "hist.c"))]

setup(packages=packages, package_dir=package_dir, ext_modules=NATIVE)
