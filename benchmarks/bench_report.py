"""Time the HTML report build on a finished run, and count the lines of the report package.

Builds the report of RESULTS (a finished workflow run, e.g. the workflow test cohort) REPEAT
times into a temporary folder and prints the median and fastest wall time, then the size of
the report code that was imported (Python modules and templates). Run it with another
checkout's interpreter to compare two versions on the same results.
Usage: python benchmarks/bench_report.py RESULTS --config CONFIG [--samples TSV] [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import scce_genomics.report
from scce_genomics.report.build import build_report, load_config


def line_counts(package: Path) -> dict[str, int]:
    """Lines per file of the report package (``*.py`` and templates), largest first."""
    files = [
        p for p in package.rglob("*") if p.is_file() and p.suffix in {".py", ".j2", ".css", ".js"}
    ]
    counts = {str(p.relative_to(package)): len(p.read_text().splitlines()) for p in files}
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--config", action="append", default=[])
    parser.add_argument("--samples", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    config = load_config(args.config)
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeat):
            out = Path(tmp) / str(k) / "report.html"
            start = time.perf_counter()
            build_report(args.results, out, config=config, samples=args.samples)
            times.append(time.perf_counter() - start)
        size = out.stat().st_size
    package = Path(scce_genomics.report.__file__).parent
    print(f"report package: {package}")
    print(
        f"build time over {args.repeat} runs: median {statistics.median(times):.2f} s, "
        f"fastest {min(times):.2f} s; page {size / 1e6:.2f} MB"
    )
    counts = line_counts(package)
    print(f"report code: {sum(counts.values())} lines in {len(counts)} files; largest:")
    for name, n in list(counts.items())[:5]:
        print(f"  {n:5d}  {name}")


if __name__ == "__main__":
    main()
