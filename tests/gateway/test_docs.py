"""docs/gateway/config.md lists exactly the keys the .cfg parser knows."""
import re
from pathlib import Path

from wirespeed.gateway.cfg import KEYS

DOC = Path(__file__).resolve().parents[2] / "docs" / "gateway" / "config.md"


def test_config_doc_lists_every_key():
    documented = set(re.findall(r"^\| `(\w+)` \|", DOC.read_text(), re.M))
    assert documented == set(KEYS), f"stale docs: missing {set(KEYS) - documented}, extra {documented - set(KEYS)}"
