"""docs/access-policy.md must state exactly the role × action table of org/policy.py."""

from pathlib import Path

from yanzhi.org.policy import ACTIONS, UNMASK_BY_DEFAULT, R

DOC = Path(__file__).resolve().parents[3] / "docs" / "access-policy.md"


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def documented_actions() -> tuple[list[str], dict[str, frozenset[str]]]:
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- policy-table:start -->")[1].split("<!-- policy-table:end -->")[0]
    lines = [line for line in table.strip().splitlines() if line.startswith("|")]
    header = _cells(lines[0])[1:]
    actions = {}
    for line in lines[2:]:
        action, *marks = _cells(line)
        assert len(marks) == len(header), line
        actions[action.strip("`")] = frozenset(
            role for role, mark in zip(header, marks, strict=True) if mark == "✓"
        )
    return header, actions


def test_the_documented_table_equals_the_policy():
    roles, actions = documented_actions()
    assert roles == list(R)
    assert actions == ACTIONS
    assert list(actions) == list(ACTIONS)  # same order, so a diff reads easily


def test_the_documented_unmask_defaults_equal_the_policy():
    text = DOC.read_text(encoding="utf-8").split("| role | unmask by default |")[1]
    rows = [_cells(line) for line in text.strip().splitlines()[1:] if line.startswith("|")]
    assert {role.strip("`") for role, yes in rows if yes == "yes"} == UNMASK_BY_DEFAULT
    assert {role.strip("`") for role, _ in rows} == set(R)
