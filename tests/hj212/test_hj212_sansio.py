"""The HJ 212 library stays sans-IO: no sockets, no event loop, no clock, no imports of the rest of
ecowatch (STYLE.md "Keeping the HJ 212 parser sans-IO")."""

from __future__ import annotations

import ast
from pathlib import Path

import ecowatch.hj212

PACKAGE = Path(ecowatch.hj212.__file__).parent
BANNED_MODULES = {
    "socket",
    "asyncio",
    "time",
    "selectors",
    "ssl",
    "threading",
    "subprocess",
    "os",
    "io",
    "pathlib",
    "random",
}
BANNED_TEXT = ("datetime.now", "datetime.utcnow", "date.today", "time.time", "open(")


def sources():
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 8
    return files


def test_no_io_imports():
    for path in sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: use absolute imports"
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in BANNED_MODULES, f"{path.name} imports {name}"
                if name.split(".")[0] == "ecowatch":
                    assert name.startswith("ecowatch.hj212"), f"{path.name} imports {name}"


def test_no_clock_or_file_calls():
    for path in sources():
        text = path.read_text(encoding="utf-8")
        for banned in BANNED_TEXT:
            assert banned not in text, f"{path.name} contains {banned}"
