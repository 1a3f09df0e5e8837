"""Where a large native JSON import spends its time: the wall rate and the CPU time per item of
the importing process (it writes) and of the worker process (it reads, validates, serialises).

CPU time moves less than the wall clock when other work shares the cores, so two versions of the
importer are compared better by it. ``--profile`` prints cProfile's top functions of the
importing process, and of the worker's work run alone in this process.

    python benchmarks/import_cpu.py --items 100000 [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _cpu(r: resource.struct_rusage) -> float:
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    n = args.items

    from run import write_synthetic_bank

    from certprep.banks.lint import bundled_banks_dir
    from certprep.banks.native_worker import _produce
    from certprep.services import open_services
    from certprep.services.imports import import_files

    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        path = tmp / "bank.json"
        write_synthetic_bank(path, n)
        banks = tmp / "blueprints_only"
        shutil.copytree(bundled_banks_dir() / "blueprints", banks / "blueprints")
        services = open_services(str(tmp / "import.db"), banks_dir=banks)
        services.blueprints()
        prof = cProfile.Profile() if args.profile else None
        self0 = resource.getrusage(resource.RUSAGE_SELF)
        kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        if prof:
            prof.enable()
        import_files(services, [path])
        if prof:
            prof.disable()
        wall = time.perf_counter() - t
        self1 = resource.getrusage(resource.RUSAGE_SELF)
        kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        services.engine.dispose()
        us = 1e6 / n
        print(f"items                 {n}")
        print(f"import_items_per_s    {n / wall:.0f}")
        print(f"wall_us_per_item      {wall * us:.1f}")
        print(f"importer_cpu_us       {(_cpu(self1) - _cpu(self0)) * us:.1f}")
        print(f"worker_cpu_us         {(_cpu(kids1) - _cpu(kids0)) * us:.1f}  (with its start)")
        print(f"load_average          {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if prof:
            print("\n# the importing process")
            pstats.Stats(prof).sort_stats("tottime").print_stats(20)
            print("# the worker's work, alone in this process")
            gc.disable()
            prof = cProfile.Profile()
            with open(os.devnull, "wb") as out:
                prof.runcall(_produce, str(path), out)
            pstats.Stats(prof).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
