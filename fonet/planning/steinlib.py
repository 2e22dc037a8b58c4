"""Reading and solving Steiner tree instances in the SteinLib ``.stp`` format.

The format (https://steinlib.zib.de/format.php): a header line starting with the magic
number ``33D32945``, then sections ``SECTION <name>`` ... ``END`` and a final ``EOF``.
``SECTION Graph`` holds ``Nodes N``, ``Edges M`` and ``E u v weight`` lines (nodes are
numbered from 1); ``SECTION Terminals`` holds ``Terminals K`` and ``T v`` lines. Other
sections (``Comment``, ``Coordinates``, ...) are skipped. Keywords are case-insensitive.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from fonet.errors import BadInputError
from fonet.planning.steiner import steiner_tree

MAGIC = "33D32945"


class SteinLibFormatError(BadInputError):
    """A malformed ``.stp`` file; the message names the file and the line at fault.

    Attributes
    ----------
    path : str
        The file.
    line : int
        1-based line number at fault.
    """

    def __init__(self, path: str | os.PathLike, line: int, problem: str) -> None:
        self.path = str(path)
        self.line = line
        super().__init__(f"{self.path}, line {line}: {problem}")


@dataclass
class SteinLibInstance:
    """A Steiner tree instance read from a ``.stp`` file.

    Attributes
    ----------
    name : str
        ``Name`` from the comment section, else the file stem.
    graph : networkx.Graph
        Nodes ``1 .. nodes``; edge attribute ``weight`` (int when written as an integer).
    terminals : list of int
        Terminals in file order.
    nodes, edges, terminal_count : int
        Counts declared by the file (``Nodes``, ``Edges``, ``Terminals``).
    path : str
        The file read.
    """

    name: str
    graph: nx.Graph
    terminals: list[int]
    nodes: int
    edges: int
    terminal_count: int
    path: str = field(default="")


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(text) from None
        return value


class _Parser:
    def __init__(self, path: str) -> None:
        self.path = path
        self.name: str | None = None
        self.nodes: int | None = None
        self.edges_declared: int | None = None
        self.terms_declared: int | None = None
        self.edge_lines = 0
        self.graph: nx.Graph[int] = nx.Graph()
        self.terminals: list[int] = []
        self.seen: set[str] = set()

    def fail(self, line: int, problem: str) -> SteinLibFormatError:
        return SteinLibFormatError(self.path, line, problem)

    def count(self, no: int, parts: list[str]) -> int:
        if len(parts) != 2:
            raise self.fail(no, f"expected '{parts[0]} <count>', got {' '.join(parts)!r}")
        try:
            value = int(parts[1])
        except ValueError:
            raise self.fail(no, f"count {parts[1]!r} is not an integer") from None
        if value < 0:
            raise self.fail(no, f"negative count {value}")
        return value

    def node(self, no: int, text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise self.fail(no, f"node {text!r} is not an integer") from None
        if self.nodes is None:
            raise self.fail(no, "node referenced before the 'Nodes' count")
        if not 1 <= v <= self.nodes:
            raise self.fail(no, f"node {v} is not in the graph (nodes 1..{self.nodes})")
        return v

    def graph_line(self, no: int, parts: list[str]) -> None:
        key = parts[0].lower()
        if key == "nodes":
            self.nodes = self.count(no, parts)
            self.graph.add_nodes_from(range(1, self.nodes + 1))
        elif key == "edges":
            self.edges_declared = self.count(no, parts)
        elif key == "e":
            if len(parts) != 4:
                raise self.fail(no, f"bad edge line {' '.join(parts)!r}: expected 'E u v weight'")
            u, v = self.node(no, parts[1]), self.node(no, parts[2])
            try:
                w = _number(parts[3])
            except ValueError:
                raise self.fail(no, f"edge weight {parts[3]!r} is not a number") from None
            if w < 0:
                raise self.fail(no, f"edge weight {w} is negative")
            self.edge_lines += 1
            if u != v and (not self.graph.has_edge(u, v) or w < self.graph[u][v]["weight"]):
                self.graph.add_edge(u, v, weight=w)
        else:
            raise self.fail(no, f"unexpected {parts[0]!r} in SECTION Graph")

    def terminal_line(self, no: int, parts: list[str]) -> None:
        key = parts[0].lower()
        if key == "terminals":
            self.terms_declared = self.count(no, parts)
        elif key in ("t", "root"):
            if len(parts) != 2:
                raise self.fail(no, f"bad terminal line {' '.join(parts)!r}: expected 'T v'")
            v = self.node(no, parts[1])
            if key == "root" and v in self.terminals:
                return
            self.terminals.append(v)
        else:
            raise self.fail(no, f"unexpected {parts[0]!r} in SECTION Terminals")

    def end_section(self, no: int, section: str) -> None:
        if section == "graph":
            if self.nodes is None:
                raise self.fail(no, "SECTION Graph has no 'Nodes' count")
            if self.edges_declared is not None and self.edges_declared != self.edge_lines:
                raise self.fail(
                    no,
                    f"'Edges {self.edges_declared}' declared but {self.edge_lines} E lines given",
                )
        elif section == "terminals":
            declared = self.terms_declared
            if declared is not None and declared != len(self.terminals):
                raise self.fail(
                    no,
                    f"'Terminals {declared}' declared but {len(self.terminals)} terminals given",
                )

    def parse(self, text: str) -> None:
        section: str | None = None
        start_line = 0
        header = False
        no = 0
        for no, raw in enumerate(text.splitlines(), start=1):
            parts = raw.split()
            if not parts or parts[0].startswith("#"):
                continue
            if not header:
                if parts[0].upper() != MAGIC:
                    raise self.fail(no, f"not a SteinLib file: header must start with {MAGIC}")
                header = True
                continue
            key = parts[0].lower()
            if section is None:
                if key == "eof":
                    break
                if key != "section" or len(parts) < 2:
                    raise self.fail(no, f"expected 'SECTION <name>' or 'EOF', got {raw.strip()!r}")
                section = parts[1].lower()
                if section in self.seen and section in ("graph", "terminals"):
                    raise self.fail(no, f"second SECTION {parts[1]}")
                self.seen.add(section)
                start_line = no
            elif key == "end":
                self.end_section(no, section)
                section = None
            elif key == "eof":
                raise self.fail(
                    no, f"SECTION {section} opened on line {start_line} is not closed by END"
                )
            elif key == "section":
                raise self.fail(no, f"SECTION {parts[1:]} starts before END of the previous one")
            elif section == "graph":
                self.graph_line(no, parts)
            elif section == "terminals":
                self.terminal_line(no, parts)
            elif section == "comment" and key == "name" and len(parts) > 1:
                self.name = raw.split(None, 1)[1].strip().strip('"')
        last = max(no, 1)
        if not header:
            raise self.fail(last, f"empty file: no {MAGIC} header")
        if section is not None:
            raise self.fail(
                last, f"SECTION {section} opened on line {start_line} is not closed by END"
            )
        for needed in ("graph", "terminals"):
            if needed not in self.seen:
                raise self.fail(last, f"missing SECTION {needed.capitalize()}")


def read_stp(path: str | os.PathLike) -> SteinLibInstance:
    """Read a SteinLib ``.stp`` file.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    SteinLibInstance
        The instance.

    Raises
    ------
    SteinLibFormatError
        If the file is not valid UTF-8 or not a well-formed SteinLib file (missing
        section, bad ``E`` line, terminal not in the graph, non-numeric weight, counts
        that disagree, ...). The message names the file and the line.
    OSError
        If the file cannot be read.
    """
    p = Path(path)
    data = p.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SteinLibFormatError(p, line, "not valid UTF-8 text") from None
    parser = _Parser(str(p))
    parser.parse(text)
    assert parser.nodes is not None
    return SteinLibInstance(
        name=parser.name or p.stem,
        graph=parser.graph,
        terminals=list(dict.fromkeys(parser.terminals)),
        nodes=parser.nodes,
        edges=parser.edges_declared if parser.edges_declared is not None else parser.edge_lines,
        terminal_count=(
            parser.terms_declared if parser.terms_declared is not None else len(parser.terminals)
        ),
        path=str(p),
    )


def solve_stp(
    path: str | os.PathLike, *, time_limit_s: float | None = None, exact: bool = False
) -> dict:
    """Read a ``.stp`` file and compute a Steiner tree for it.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    time_limit_s : float, optional
        Passed to :func:`~fonet.planning.steiner.steiner_tree`.
    exact : bool, optional
        Passed to :func:`~fonet.planning.steiner.steiner_tree`.

    Returns
    -------
    dict
        ``{"cost": ..., "seconds": ..., "terminals": ..., "nodes": ...}``: the tree's
        weight (an int when all weights are integers), the solving time in seconds, the
        number of terminals and the number of nodes of the tree. With ``exact``, also
        ``"optimal"``: whether the solver proved the tree optimal (False when it ran out of
        time or the instance was too large, and the best tree found is returned).
    """
    inst = read_stp(path)
    t0 = time.perf_counter()
    tree = steiner_tree(inst.graph, inst.terminals, time_limit_s=time_limit_s, exact=exact)
    seconds = time.perf_counter() - t0
    weights = [d["weight"] for _, _, d in tree.edges(data=True)]
    cost: int | float = sum(weights)
    if all(isinstance(w, int) for w in weights):
        cost = int(cost)
    out = {
        "cost": cost,
        "seconds": seconds,
        "terminals": len(inst.terminals),
        "nodes": tree.number_of_nodes(),
    }
    if exact:
        out["optimal"] = bool(tree.graph.get("optimal", False))
    return out
