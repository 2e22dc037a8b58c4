"""Bytes of the web map's big layers by zoom, for a phone on a slow connection.

Reads the village outlines (``/areas/village``), the plan's coverage villages
(``/plans/{id}/villages``) and spans (``/plans/{id}/spans``) in full (the baseline: what the
map read before it asked by zoom) and at the zoom bands 12 and 10 (see
:mod:`api.detail`), in process, from a copy of a store that holds a plan; prints for each the
features, the bytes as sent (gzip) and raw, and the seconds they take at 256 kbit/s.

Usage: .venv/bin/python benchmarks/layer_sizes.py [--db-url sqlite:///PATH]
(default: FONET_DB_URL; make one with `fonet init && fonet plan`).
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

SLOW_BPS = 256_000


def main() -> None:
    """Print the table."""
    from api.app import ServiceSettings, create_app
    from api.auth import create_token
    from fonet.store import make_engine, transaction

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db-url", default=os.environ.get("FONET_DB_URL", ""))
    args = ap.parse_args()
    if not args.db_url:
        ap.error("give --db-url or set FONET_DB_URL (a store with a plan)")
    folder = Path(tempfile.mkdtemp(prefix="fonet-layers-"))
    try:
        src = Path(make_url(args.db_url).database or "").expanduser()
        shutil.copy(src, folder / "bench.db")
        url = f"sqlite:///{folder / 'bench.db'}"
        with transaction(make_engine(url)) as s:
            _, token = create_token(s, "viewer", "layers")
        app = create_app(ServiceSettings(db_url=url, collectors=False))
        with TestClient(app) as c:
            c.headers["Authorization"] = f"Bearer {token}"
            plan = c.get("/api/v1/plans").json()["items"][0]["id"]
            print(f"{'layer':<22} {'zoom':>5} {'features':>8} {'gzip B':>9} {'raw B':>9} "
                  f"{'s @256k':>8}  vs full (gzip)")
            for layer in ("areas/village", f"plans/{plan}/villages", f"plans/{plan}/spans"):
                base = None
                for zoom in (None, 12, 10):
                    r = c.get(f"/api/v1/{layer}", params={} if zoom is None else {"zoom": zoom},
                              headers={"Accept-Encoding": "identity"})
                    r.raise_for_status()
                    gz = len(gzip.compress(r.content, 6))
                    base = base or gz
                    print(f"{layer:<22} {zoom or 'full':>5} {len(r.json()['features']):>8} "
                          f"{gz:>9,} {len(r.content):>9,} {gz * 8 / SLOW_BPS:>8.2f}  "
                          f"{gz / base:>5.0%}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
