"""Benchmark: distance to the nearest international land border for 1,000,000 points.

The points are SYNTHETIC (uniform random, seed 0): half in a North America box
(lat 15-60, lon -130 to -60) and half in a West Africa box (lat 4-25, lon -18 to 16). They
are not events; they only measure speed.

Two methods run in the same process on the same points:

* ``intel.borders.border_distance`` - KD-tree on the border densified to 1 km (WGS84
  earth-centred coordinates), exact edge refinement, WGS84 geodesic distance (pyproj.Geod).
* geopandas ``sjoin_nearest`` - the same border stretches and points projected to Equal Earth
  (EPSG:8857), nearest stretch with its planar distance column (km). Equal Earth is equal-area,
  not equidistant, so its distances are approximate; they are shown for comparison.

Run: ``.venv/bin/python bench/bench_borders.py [N]``. Target: border_distance <= 10 s for 1,000,000
points on 2 cores (the one-off build of the border index is timed separately).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def main(n: int = 1_000_000) -> dict:
    import geopandas as gpd

    from intel import borders

    rng = np.random.default_rng(0)
    h = n // 2
    lat = np.r_[rng.uniform(15, 60, h), rng.uniform(4, 25, n - h)]
    lon = np.r_[rng.uniform(-130, -60, h), rng.uniform(-18, 16, n - h)]

    t = time.perf_counter()
    borders.world_index()
    t_build = time.perf_counter() - t

    t = time.perf_counter()
    ours = borders.border_distance(lat, lon)
    t_ours = time.perf_counter() - t

    segs = borders.border_segments().to_crs("EPSG:8857")
    t = time.perf_counter()
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs("EPSG:8857")
    j = gpd.sjoin_nearest(pts, segs[["segment_id", "pair", "geometry"]], how="left", distance_col="dist_m")
    j = j[~j.index.duplicated(keep="first")]
    t_gpd = time.perf_counter() - t

    km_gpd = j["dist_m"].to_numpy() / 1000.0
    ok = np.isfinite(ours["border_km"].to_numpy())
    same_pair = float((j["pair"].to_numpy()[ok] == ours["border_pair"].to_numpy()[ok]).mean())
    rel = np.abs(km_gpd[ok] - ours["border_km"].to_numpy()[ok]) / np.maximum(ours["border_km"].to_numpy()[ok], 1.0)
    res = dict(n=n, cores=os.cpu_count(), build_s=t_build, border_distance_s=t_ours, sjoin_nearest_s=t_gpd,
               ratio=t_gpd / t_ours, same_pair=same_pair, median_rel_diff=float(np.median(rel)))
    print(f"points (synthetic): {n:,}; CPU cores: {os.cpu_count()}")
    print(f"border index build (once per process): {t_build:.2f} s")
    print(f"intel.borders.border_distance:          {t_ours:.2f} s  (geodesic km, WGS84)")
    print(f"geopandas sjoin_nearest (EPSG:8857):     {t_gpd:.2f} s  (planar km, incl. projecting the points)")
    print(f"ratio sjoin_nearest / border_distance:   {t_gpd / t_ours:.1f}x")
    print(f"same nearest country pair: {100 * same_pair:.2f} %; median relative difference of distances "
          f"(Equal Earth planar vs geodesic): {100 * res['median_rel_diff']:.2f} %")
    print("target <= 10 s for border_distance:", "met" if t_ours <= 10 else "NOT met")
    return res


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
