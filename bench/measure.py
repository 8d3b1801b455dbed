#!/usr/bin/python3
"""Process-level measurements for bench/run.sh: wall time, CPU time, peak RSS, and how much CPU
*other* processes used meanwhile (this machine is shared; on 2 cores one busy neighbour makes a
2-thread OpenMP run several times slower, whichever side it hits).

  measure.py once LOG [TIMEOUT_S] -- CMD...
      Runs CMD once under `/usr/bin/time -v`, writes its stdout+stderr to LOG and prints
      `wall_s W cpu_s C foreign_pct F rss_kb R timed_out 0`; with TIMEOUT_S, a run still going after
      that many seconds is killed (its whole process group) and reported as `... timed_out 1`.
  measure.py compare REPS WARMUP MAX_FOREIGN LABEL -- CMD... [--- LABEL -- CMD...]...
      Runs every command WARMUP times untimed, then alternates between the commands until each has
      REPS runs during which other processes used at most MAX_FOREIGN percent of the machine's CPU
      (at most 2 x REPS attempts each). Statistics use the clean runs when every command has some,
      else all runs of every command, so both sides are always summarised alike. Prints per command:
      `LABEL wall_median_s .. wall_min_s .. wall_max_s .. rss_median_kb .. rss_max_kb .. runs N clean K`
      and its first run's stdout on stderr (a sanity check that it did its job).

Wall time is time.perf_counter() around the child (process start to exit); peak RSS is
/usr/bin/time's "Maximum resident set size"; foreign CPU is the machine's busy time from /proc/stat
minus the child's user+system time, as a percentage of the machine's capacity over the run.
"""
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def cpu_ticks():
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:9]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def run(cmd, timeout=None):
    """(wall_s, cpu_s, foreign_pct, rss_kb, stdout, stderr), or None when cmd ran past timeout."""
    hz = os.sysconf("SC_CLK_TCK")
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        busy0, total0 = cpu_ticks()
        start = time.perf_counter()
        proc = subprocess.Popen(["/usr/bin/time", "-v", "-o", report.name] + cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return None
        wall = time.perf_counter() - start
        busy1, total1 = cpu_ticks()
        stats = {}
        for line in report.read().splitlines():
            key, _, value = line.strip().rpartition(": ")
            stats[key] = value
    if proc.returncode != 0:
        sys.stderr.write(out + err)
        raise SystemExit(f"measure.py: command failed ({proc.returncode}): {' '.join(cmd)}")
    cpu = float(stats["User time (seconds)"]) + float(stats["System time (seconds)"])
    foreign = max(0.0, (busy1 - busy0) / hz - cpu)
    capacity = max((total1 - total0) / hz, 1e-9)
    return wall, cpu, 100.0 * foreign / capacity, int(stats["Maximum resident set size (kbytes)"]), out, err


def once(argv):
    log, rest = argv[0], argv[1:]
    timeout = None
    if rest and rest[0] != "--":
        timeout, rest = float(rest[0]), rest[1:]
    cmd = rest[1:] if rest[:1] == ["--"] else rest
    result = run(cmd, timeout)
    if result is None:
        with open(log, "w") as f:
            f.write(f"timed out after {timeout:g} s\n")
        print(f"wall_s {timeout:.4f} cpu_s 0 foreign_pct 100 rss_kb 0 timed_out 1")
        return
    wall, cpu, foreign, rss, out, err = result
    with open(log, "w") as f:
        f.write(out + err)
    print(f"wall_s {wall:.4f} cpu_s {cpu:.2f} foreign_pct {foreign:.1f} rss_kb {rss} timed_out 0")


def compare(argv):
    reps, warmup, max_foreign, rest = int(argv[0]), int(argv[1]), float(argv[2]), argv[3:]
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
    for _ in range(warmup):
        for _, cmd in jobs:
            run(cmd)
    runs = {label: [] for label, _ in jobs}
    clean = lambda label: [r for r in runs[label] if r[2] <= max_foreign]
    for attempt in range(2 * reps):
        todo = [(label, cmd) for label, cmd in (jobs if attempt % 2 == 0 else jobs[::-1])
                if len(clean(label)) < reps]
        if not todo:
            break
        for label, cmd in todo:
            wall, cpu, foreign, rss, out, _ = run(cmd)
            if not runs[label]:
                sys.stderr.write(f"[{label}] {out}")
            runs[label].append((wall, rss, foreign))
    all_clean = all(clean(label) for label, _ in jobs)
    for label, _ in jobs:
        use = clean(label) if all_clean else runs[label]
        walls = [w for w, _, _ in use]
        rsss = [r for _, r, _ in use]
        print(f"{label} wall_median_s {statistics.median(walls):.4f} wall_min_s {min(walls):.4f} "
              f"wall_max_s {max(walls):.4f} rss_median_kb {int(statistics.median(rsss))} "
              f"rss_max_kb {max(rsss)} runs {len(runs[label])} clean {len(clean(label))}")


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    {"once": once, "compare": compare}[mode](args)
