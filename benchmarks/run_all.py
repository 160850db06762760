"""Run every benchmark of chainrule against PyTorch (and NumPy by hand), one after another.

    .venv/bin/python benchmarks/run_all.py            # prints each script's table

The tables are copied into benchmarks/README.md by hand, with the date and machine.
"""
from __future__ import annotations

import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    status = 0
    for script in sorted(glob.glob(os.path.join(HERE, "bench_*.py"))):
        print(f"\n## {os.path.basename(script)}\n", flush=True)
        status |= subprocess.call([sys.executable, script])
    return status


if __name__ == "__main__":
    sys.exit(main())
