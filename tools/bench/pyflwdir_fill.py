"""Speed reference for the connected-inundation map: pyflwdir's priority-flood
`fill_depressions` (numba) on the same 10-million-cell DEM.

    SONTINH_BENCH_DEM_OUT=/tmp/dem10m.f32 cargo bench -p sontinh-flood
    python3 tools/bench/pyflwdir_fill.py /tmp/dem10m.f32 3163
"""
import sys
import time

import numpy as np
import pyflwdir

path, n = sys.argv[1], int(sys.argv[2])
dem = np.fromfile(path, dtype=np.float32).reshape(n, n)
# Compile once (numba) on a small grid, so that only the fill is timed.
pyflwdir.dem.fill_depressions(dem[:64, :64].copy())
times = []
for _ in range(3):
    started = time.perf_counter()
    pyflwdir.dem.fill_depressions(dem.copy(), connectivity=8)
    times.append(time.perf_counter() - started)
print(f"pyflwdir {pyflwdir.__version__} fill_depressions, {n * n} cells (8-connected): best {min(times):.3f} s of {len(times)}")
