"""The rooms keep to the import rules of the house (ARCHITECTURE.md), written here once as data: a room imports
only the rooms it may, and none of the shipped rooms imports the test and benchmark support of testbed/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("bot", "solver", "storage", "replica", "trainer", "flows", "alerts", "dashboard", "bsr", "testbed")
# Who may import whom; an arrow the other way is a design bug. A room always may import itself.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "bot": frozenset({"solver", "storage"}),
    "solver": frozenset(),
    "storage": frozenset(),
    "replica": frozenset(),
    "trainer": frozenset({"solver", "storage", "replica.captcha"}),
    "flows": frozenset({"storage"}),
    "alerts": frozenset({"storage", "flows"}),
    "dashboard": frozenset({"storage", "flows", "trainer"}),
    # The CLI is a thin shell over every shipped room.
    "bsr": frozenset({"bot", "solver", "storage", "replica", "trainer", "flows", "alerts", "dashboard"}),
}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module `path` imports, `from x import y` counted as both x and x.y."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return modules


def allowed(module: str, rules: frozenset[str]) -> bool:
    """Whether importing `module` keeps to `rules`: a module of no room (a library), or one a rule names or holds."""
    room = module.split(".")[0]
    return room not in ROOMS or any(module == rule or module.startswith(f"{rule}.") for rule in rules)


@pytest.mark.parametrize("room", sorted(MAY_IMPORT))
def test_a_room_imports_only_the_rooms_it_may(room: str) -> None:
    modules = sorted((ROOT / room).rglob("*.py"))
    assert modules, f"no module found in {room}/"
    rules = MAY_IMPORT[room] | {room}
    forbidden = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in modules
        for module in imported_modules(path)
        # `from replica import captcha` names replica and replica.captcha: the finer name decides.
        if not allowed(module, rules)
        and not any(other.startswith(f"{module}.") and allowed(other, rules) for other in imported_modules(path))
    }
    assert sorted(forbidden) == []


def test_the_rules_catch_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "query.py"
    module.write_text("from replica.market import Market\nimport storage\n", encoding="utf-8")
    rules = MAY_IMPORT["bot"] | {"bot"}
    assert [name for name in sorted(imported_modules(module)) if not allowed(name, rules)] == [
        "replica.market",
        "replica.market.Market",
    ]
