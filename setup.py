"""Map the top-level folders onto subpackages of one ``wirespeed`` namespace.

The repository shows the architecture (hw/, gateway/, control/, sim/ beside the
core wirespeed/) while every import reads ``wirespeed.hw...``, ``wirespeed.gateway...``.
Metadata lives in pyproject.toml; only the package mapping is computed here.
"""
from setuptools import find_packages, setup

LAYERS = ("hw", "gateway", "control", "sim")

package_dir = {"wirespeed": "wirespeed"}
packages = ["wirespeed"] + [f"wirespeed.{p}" for p in find_packages("wirespeed")]
for layer in LAYERS:
    package_dir[f"wirespeed.{layer}"] = layer
    packages.append(f"wirespeed.{layer}")
    packages += [f"wirespeed.{layer}.{p}" for p in find_packages(layer)]

setup(packages=packages, package_dir=package_dir)
