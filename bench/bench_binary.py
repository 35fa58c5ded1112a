"""Benchmark: header analysis of 50 MB binaries (thin ELF, thin PE, 3-slice universal Mach-O).

Budget: <= 5 ms median per file and <= 64 KiB read. Prints medians, bytes read, and the ratio to a
baseline measured in the same run (`python -I -c pass` in a subprocess).

    .venv/bin/python bench/bench_binary.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ccwb_doctor.analyzers.binary.analyze import analyze_path
from ccwb_doctor.analyzers.binary.hostcap import detect_host
from ccwb_doctor.analyzers.binary.verdict import judge
from ccwb_doctor.fixtures import binaries as B

SIZE = 50 * 1024 * 1024
BUDGET_MS = 5.0
BUDGET_BYTES = 64 * 1024


def _drop_cache(path: Path) -> None:
    if hasattr(os, "posix_fadvise"):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _median_ms(fn, runs: int, before=None) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        if before:
            before()
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    host = detect_host()
    baseline = _median_ms(
        lambda: subprocess.run([sys.executable, "-I", "-c", "pass"], check=True), max(5, args.runs // 20)
    )
    print(f"baseline `python -I -c pass`: median {baseline:.2f} ms")
    worst = 0.0
    most_read = 0
    with tempfile.TemporaryDirectory() as d:
        files = {
            "elf-50MB": B.write_sparse(Path(d) / "elf", B.big(B.elf("x86_64"), SIZE), SIZE),
            "pe-50MB": B.write_sparse(Path(d) / "pe", B.big(B.pe("x86_64"), SIZE), SIZE),
        }
        chunks, size = B.fat_chunks(["i386", "x86_64", "arm64"], slice_size=SIZE // 3 - 65536)
        files["fat3-50MB"] = B.write_sparse(Path(d) / "fat", chunks, size)
        for name, path in files.items():
            info = analyze_path(path)
            assert info.status == "ok", info.error
            most_read = max(most_read, info.bytes_read)
            warm = _median_ms(lambda p=path: judge(analyze_path(p), host), args.runs)
            cold = _median_ms(
                lambda p=path: judge(analyze_path(p), host), args.runs, lambda p=path: _drop_cache(p)
            )
            worst = max(worst, warm, cold)
            print(
                f"{name:10} size {path.stat().st_size / 1e6:5.1f} MB  read {info.bytes_read:6d} B  "
                f"median warm {warm:.3f} ms  cold(fadvise) {cold:.3f} ms  "
                f"ratio to baseline {warm / baseline:.4f} / {cold / baseline:.4f}"
            )
    ok = worst <= BUDGET_MS and most_read <= BUDGET_BYTES
    print(
        f"worst median {worst:.3f} ms vs budget {BUDGET_MS} ms; most bytes read {most_read} vs budget "
        f"{BUDGET_BYTES}: {'OK' if ok else 'OVER BUDGET'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
