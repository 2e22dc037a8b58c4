"""Gap of the budgeted extension heuristic to the exact optimum, on generated instances.

Budgeted prize-collecting Steiner instances: grids and random geometric graphs with random
edge costs, random targets with priorities 1-3 and a fixed cost per site, and a budget that
affords part of the targets. For each, ``select_greedy`` (the planner's heuristic) and
``select_exact`` (the mixed-integer model, proven optimal) are run; the script prints the
priority each serves, the gap, the times, and the summary beside the stated gap.

Usage::

    .venv/bin/python benchmarks/extension.py                  # 30 instances
    .venv/bin/python benchmarks/extension.py --instances 60 --seed 7

Stated gap (tests/fonet/planning/test_extension.py): at most 20 % on any instance.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fonet.planning.extension import Candidate, select_exact, select_greedy  # noqa: E402

STATED_GAP = 0.20


def instance(seed: int) -> tuple[str, nx.Graph, list[Candidate], float]:
    """A generated instance: its kind, graph, candidates and budget."""
    rnd = random.Random(seed)
    if seed % 2:
        side = rnd.choice([5, 6])
        g = nx.convert_node_labels_to_integers(nx.grid_2d_graph(side, side))
        kind = f"grid {side}x{side}"
    else:
        n = rnd.choice([25, 30, 36])
        g = nx.random_geometric_graph(n, 0.32, seed=seed)
        while not nx.is_connected(g):
            seed += 1000
            g = nx.random_geometric_graph(n, 0.32, seed=seed)
        kind = f"geometric {n}"
    for _, _, d in g.edges(data=True):
        d["cost"] = rnd.uniform(1, 10)
    n_targets = rnd.choice([6, 8, 10])
    nodes = rnd.sample(sorted(g.nodes)[1:], n_targets)
    cands = [Candidate(v, "hub", v, rnd.choice([1, 1, 2, 3]), rnd.uniform(0, 3)) for v in nodes]
    full = sum(d["cost"] for _, _, d in g.edges(data=True))
    budget = rnd.uniform(0.08, 0.3) * full
    return kind, g, cands, budget


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=120.0)
    args = ap.parse_args()
    gaps, t_greedy, t_exact, proven = [], [], [], 0
    print(f"{'#':>3} {'instance':<14} {'targets':>7} {'greedy':>7} {'exact':>6} {'gap':>6} "
          f"{'greedy ms':>9} {'exact s':>8} proven")
    for i in range(args.instances):
        kind, g, cands, budget = instance(args.seed + i)
        t0 = time.perf_counter()
        gr = select_greedy(g, {"hub": [0]}, cands, budget)
        t1 = time.perf_counter()
        ex = select_exact(g, [0], cands, budget, time_limit_s=args.time_limit)
        t2 = time.perf_counter()
        gap = (ex.prize - gr.prize) / ex.prize if ex.prize else 0.0
        gaps.append(gap)
        t_greedy.append(t1 - t0)
        t_exact.append(t2 - t1)
        proven += ex.optimal
        print(f"{i:>3} {kind:<14} {len(cands):>7} {gr.prize:>7.0f} {ex.prize:>6.0f} "
              f"{gap:>6.1%} {1000 * (t1 - t0):>9.1f} {t2 - t1:>8.2f} {ex.optimal}", flush=True)
    print()
    print(f"instances {len(gaps)}, exact proven optimal on {proven}")
    print(f"gap: mean {statistics.mean(gaps):.2%}, worst {max(gaps):.2%}, greedy optimal on "
          f"{sum(1 for x in gaps if x <= 1e-9)}; stated gap {STATED_GAP:.0%}: "
          f"{'met' if max(gaps) <= STATED_GAP else 'NOT met'}")
    print(f"time: greedy mean {1000 * statistics.mean(t_greedy):.1f} ms, exact mean "
          f"{statistics.mean(t_exact):.2f} s")


if __name__ == "__main__":
    main()
