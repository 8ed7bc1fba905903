"""The rooms that ship keep to their side: none imports the test and benchmark support of testbed/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("bot", "solver", "storage", "replica", "trainer", "flows", "dashboard", "bsr")


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("room", SHIPPED)
def test_a_shipped_room_does_not_import_testbed(room: str) -> None:
    modules = sorted((ROOT / room).rglob("*.py"))
    assert modules, f"no module found in {room}/"
    assert [str(path.relative_to(ROOT)) for path in modules if "testbed" in imported_roots(path)] == []
