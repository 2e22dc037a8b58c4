"""Tests of the SteinLib reader, ``solve_stp`` and the ``fonet steiner`` command."""

from __future__ import annotations

import json
import os
from pathlib import Path

import networkx as nx
import pytest
import typer
from typer.testing import CliRunner

from api.cli.steiner_cmd import register
from fonet.planning.steiner import TerminalsUnreachableError
from fonet.planning.steinlib import SteinLibFormatError, read_stp, solve_stp

REPO = Path(__file__).resolve().parents[3]
STEINLIB = Path(
    os.environ.get("FONET_STEINLIB_DIR", REPO / "benchmarks" / "steinlib")
)

HEADER = "33D32945 STP File, STP Format Version 1.0\n"

GOOD = HEADER + """
SECTION Comment
Name    "triangle"
END

SECTION Graph
Nodes 4
Edges 4
E 1 2 3
E 2 3 4
E 1 3 2.5
E 3 4 1
END

SECTION Terminals
Terminals 3
T 1
T 2
T 4
END

EOF
"""


def write(tmp_path: Path, text: str | bytes, name: str = "case.stp") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def line_of(text: str, marker: str) -> int:
    """1-based number of the first line containing ``marker``."""
    for no, line in enumerate(text.splitlines(), start=1):
        if marker in line:
            return no
    raise AssertionError(marker)


def shared(*parts: str) -> Path:
    path = STEINLIB.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"SteinLib data not found at {STEINLIB}: set FONET_STEINLIB_DIR")
    return path


def test_read_good_file(tmp_path):
    inst = read_stp(write(tmp_path, GOOD))
    assert inst.name == "triangle"
    assert (inst.nodes, inst.edges, inst.terminal_count) == (4, 4, 3)
    assert inst.terminals == [1, 2, 4]
    assert sorted(inst.graph.nodes) == [1, 2, 3, 4]
    assert inst.graph[1][2]["weight"] == 3 and isinstance(inst.graph[1][2]["weight"], int)
    assert inst.graph[1][3]["weight"] == 2.5


def test_read_shared_instance_counts():
    inst = read_stp(shared("steinlib", "B", "b01.stp"))
    assert inst.graph.number_of_nodes() == inst.nodes
    assert inst.graph.number_of_edges() == inst.edges
    assert len(inst.terminals) == inst.terminal_count
    assert nx.is_connected(inst.graph)


def test_read_lowercase_section_and_extra_sections():
    """SP/se03.stp has a ``Section Coordinates`` block with ``DD`` lines."""
    inst = read_stp(shared("steinlib", "SP", "se03.stp"))
    assert inst.graph.number_of_nodes() == inst.nodes
    assert len(inst.terminals) == inst.terminal_count


# case -> (file text, text of the line at fault, words expected in the message)
MALFORMED = {
    "bad E line": (GOOD.replace("E 2 3 4", "E 2 3"), "E 2 3", "bad edge line"),
    "non-numeric weight": (GOOD.replace("E 2 3 4", "E 2 3 four"), "E 2 3 four", "not a number"),
    "node out of range": (GOOD.replace("E 3 4 1", "E 3 9 1"), "E 3 9 1", "node 9"),
    "terminal not in graph": (GOOD.replace("T 4", "T 7"), "T 7", "node 7"),
    "missing header": (GOOD.replace(HEADER, ""), "SECTION Comment", "33D32945"),
    "unknown keyword": (GOOD.replace("E 3 4 1", "X 3 4 1"), "X 3 4 1", "unexpected 'X'"),
    "section not closed": (
        GOOD.replace("T 4\nEND", "T 4"), "EOF", "SECTION terminals opened on line 16 is not closed",
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_names_file_and_line(tmp_path, case):
    text, marker, words = MALFORMED[case]
    path = write(tmp_path, text, name=f"{case.replace(' ', '_')}.stp")
    with pytest.raises(SteinLibFormatError) as info:
        read_stp(path)
    expected_line = line_of(text, marker)
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert str(path) in message
    assert info.value.line == expected_line
    assert f"line {expected_line}" in message
    assert words in message


def test_edge_count_disagrees_reported_at_end_of_graph_section(tmp_path):
    text = GOOD.replace("Edges 4", "Edges 5")
    path = write(tmp_path, text)
    with pytest.raises(SteinLibFormatError, match="'Edges 5' declared but 4 E lines") as info:
        read_stp(path)
    assert info.value.line == line_of(text, "E 3 4 1") + 1
    assert str(path) in str(info.value)


def test_terminal_count_disagrees_reported_at_end_of_terminals_section(tmp_path):
    text = GOOD.replace("Terminals 3", "Terminals 2")
    path = write(tmp_path, text)
    with pytest.raises(SteinLibFormatError, match="'Terminals 2' declared but 3") as info:
        read_stp(path)
    assert info.value.line == line_of(text, "T 4") + 1


def test_missing_terminals_section(tmp_path):
    text = GOOD[: GOOD.index("SECTION Terminals")] + "EOF\n"
    path = write(tmp_path, text)
    with pytest.raises(SteinLibFormatError, match="missing SECTION Terminals") as info:
        read_stp(path)
    assert info.value.line == line_of(text, "EOF")
    assert str(path) in str(info.value)


def test_non_utf8_file(tmp_path):
    data = GOOD.replace('"triangle"', '"tri@"').encode().replace(b"@", b"\xff\xfe")
    path = write(tmp_path, data)
    with pytest.raises(SteinLibFormatError, match="UTF-8") as info:
        read_stp(path)
    assert info.value.line == line_of(GOOD, "Name")
    assert str(path) in str(info.value)


def test_solve_stp_returns_exact_keys(tmp_path):
    r"""The instance of ``GOOD``::

        1 --3-- 2          terminals 1, 2, 4
         \     /
        2.5   4            optimum: 1-2 (3) + 1-3 (2.5) + 3-4 (1) = 6.5
           \ /
            3 --1-- 4
    """
    result = solve_stp(write(tmp_path, GOOD))
    assert set(result) == {"cost", "seconds", "terminals", "nodes"}
    assert result["cost"] == pytest.approx(6.5)
    assert result["terminals"] == 3
    assert result["nodes"] == 4
    assert result["seconds"] >= 0


def test_solve_stp_integer_cost_and_exact():
    path = shared("simple", "dagger.stp")
    result = solve_stp(path, exact=True)
    assert result["cost"] == read_stp(path).graph.size(weight="weight")
    assert isinstance(result["cost"], int)
    assert result["optimal"] is True


def test_solve_stp_disconnected(tmp_path):
    text = GOOD.replace("E 3 4 1\n", "").replace("Edges 4", "Edges 3")
    with pytest.raises(TerminalsUnreachableError) as info:
        solve_stp(write(tmp_path, text))
    assert info.value.unreachable == [4]


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:
        """Test application."""

    return app


def test_cli_json(tmp_path):
    result = CliRunner().invoke(cli(), ["steiner", str(write(tmp_path, GOOD)), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"cost", "seconds", "terminals", "nodes"}
    assert data["cost"] == pytest.approx(6.5)


def test_cli_text_with_options(tmp_path):
    path = write(tmp_path, GOOD)
    result = CliRunner().invoke(cli(), ["steiner", str(path), "--time-limit", "0.2", "--exact"])
    assert result.exit_code == 0, result.output
    assert "cost 6.5" in result.stdout
    assert "optimal (proven)" in result.stdout


def test_cli_exact_says_when_optimality_is_not_proven(tmp_path, monkeypatch):
    """A model the exact solver refuses keeps the heuristic tree, and says so."""
    import fonet.planning.steiner_exact as exact_mod

    monkeypatch.setattr(exact_mod, "MAX_FLOW_VARIABLES", 1)
    path = write(tmp_path, GOOD)
    result = CliRunner().invoke(cli(), ["steiner", str(path), "--exact"])
    assert result.exit_code == 0, result.output
    assert "NOT proven optimal" in result.stdout
    result = CliRunner().invoke(cli(), ["steiner", str(path), "--exact", "--json"])
    assert json.loads(result.stdout)["optimal"] is False


def test_cli_malformed_exits_2(tmp_path):
    text = GOOD.replace("E 2 3 4", "E 2 3 x")
    path = write(tmp_path, text)
    result = CliRunner().invoke(cli(), ["steiner", str(path), "--json"])
    assert result.exit_code == 2
    assert f"line {line_of(text, 'E 2 3 x')}" in result.stderr
    assert str(path) in result.stderr
    assert result.stdout == ""


def test_cli_missing_file_exits_2(tmp_path):
    result = CliRunner().invoke(cli(), ["steiner", str(tmp_path / "nope.stp")])
    assert result.exit_code == 2
    assert "nope.stp" in result.stderr


def test_cli_help():
    result = CliRunner().invoke(cli(), ["steiner", "--help"])
    assert result.exit_code == 0
    for word in ("--json", "--time-limit", "--exact", "FILE"):
        assert word in result.stdout
