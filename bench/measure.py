#!/usr/bin/python3
"""Wall time and peak RSS of whole processes, for bench/run.sh.

Usage: measure.py REPS WARMUP LABEL -- CMD... [--- LABEL -- CMD...]...

Runs every command WARMUP times untimed, then REPS times each, alternating between the commands so
that a burst of load on a shared machine hits both sides alike. Each run is wrapped in
`/usr/bin/time -v`; wall time is measured with time.perf_counter() around the whole child (process
start to exit), peak RSS is /usr/bin/time's "Maximum resident set size". A run that fails aborts.

Prints one line per command:
  LABEL wall_median_s <f> wall_min_s <f> wall_max_s <f> rss_median_kb <n> rss_max_kb <n> runs <n>
and its first run's stdout on stderr (a sanity check that it did its job).
"""
import statistics
import subprocess
import sys
import time


def parse(argv):
    reps, warmup, rest = int(argv[0]), int(argv[1]), argv[2:]
    jobs, current = [], None
    for arg in rest:
        if arg == "---":
            current = None
        elif current is None:
            current = (arg, [])
            jobs.append(current)
        elif arg == "--" and not current[1]:
            continue
        else:
            current[1].append(arg)
    return reps, warmup, jobs


def run(cmd):
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"measure.py: command failed ({proc.returncode}): {' '.join(cmd)}")
    rss = [int(line.split(":")[1]) for line in proc.stderr.splitlines() if "Maximum resident set size" in line]
    return wall, rss[-1], proc.stdout


def main():
    reps, warmup, jobs = parse(sys.argv[1:])
    for _ in range(warmup):
        for _, cmd in jobs:
            run(cmd)
    results = {label: [] for label, _ in jobs}
    for rep in range(reps):
        order = jobs if rep % 2 == 0 else jobs[::-1]
        for label, cmd in order:
            wall, rss, out = run(cmd)
            if not results[label]:
                sys.stderr.write(f"[{label}] {out}")
            results[label].append((wall, rss))
    for label, _ in jobs:
        walls = [w for w, _ in results[label]]
        rsss = [r for _, r in results[label]]
        print(f"{label} wall_median_s {statistics.median(walls):.4f} wall_min_s {min(walls):.4f} "
              f"wall_max_s {max(walls):.4f} rss_median_kb {int(statistics.median(rsss))} "
              f"rss_max_kb {max(rsss)} runs {len(walls)}")


if __name__ == "__main__":
    main()
