"""Measure flux-lint against the cost of merely parsing the same YAML.

``python benchmarks/run.py [--docs 1000,10000,50000] [--path DIR] [--repeat K] [--json FILE]
[--snapshot] [--arg ARG]``

For each size a repository is generated (``generate.py``, fixed seed) or ``--path`` is taken as
is, and on the same files this measures, each in a fresh process:

* ``flux-lint DIR --format json`` (cold; and warm, with an unchanged cache, when ``flux-lint
  check --help`` offers ``--cache-dir``);
* the *floor*: a bare ``YAML(typ="safe", pure=False).load_all`` over the same files with
  ruamel's libyaml-backed loader in a fresh interpreter, i.e. what any Python tool that reads
  these files must pay; the ratio flux-lint/floor is what flux-lint adds on top of reading;
* start-up: ``flux-lint --version`` and linting one small file, which is what a pre-commit hook
  or an editor integration waits for.

Wall time is taken around the child process; CPU time (user + system) and peak memory come from
GNU time when it is installed (see :func:`find_gnu_time` for why), else from the child's own
``ru_utime``/``ru_stime``/``ru_maxrss`` through ``os.wait4`` (the per-child form of
``getrusage(RUSAGE_CHILDREN)``, which would report the maximum over *all* children so far). CPU
time is printed beside wall time because on a shared machine wall time also measures the
neighbours; the load average before and after the run is part of the machine description.
Every measurement is repeated ``--repeat`` times and the median is reported. The files are read
once before timing so that every run sees the same, warm page cache; "cold" refers to
flux-lint's own cache only. ``--snapshot`` measures a copy of the package taken at start, so
that edits to the source tree during a long run cannot reach some samples and not others.

The report goes to standard output, redirected to a file, rather than through ``-o``: ``-o``
writes a temporary file, syncs it and renames it over the target, a cost of the file system
rather than of linting.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # generate.py lives next to this file
    sys.path.insert(0, str(HERE))

import generate  # noqa: E402

DEFAULT_SIZES = (1_000, 10_000, 50_000)

SMALL_FILE = """\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  interval: 5m
  url: https://github.com/stefanprodan/podinfo
  ref:
    branch: master
"""

# The floor, run with `python -c`: read a list of files, parse every document, report how many
# documents were read and how many files failed. Mode `load` is the floor asked for: ruamel's
# libyaml-backed safe loader (its constructor and resolver are still Python, so it is not free).
# Mode `events` only pulls libyaml's events, the part flux-lint's own loader starts from: no
# Python YAML tool can be faster than that.
FLOOR_SCRIPT = """\
import json, sys, time
started = time.perf_counter()
mode = sys.argv[2]
if mode == "load":
    from ruamel.yaml import YAML
    yaml = YAML(typ="safe", pure=False)
    def count(text):
        return sum(1 for _ in yaml.load_all(text))
else:
    from _ruamel_yaml import CParser
    def count(text):
        parser, n = CParser(text), 0
        while True:
            name = type(parser.get_event()).__name__
            if name == "DocumentEndEvent":
                n += 1
            elif name == "StreamEndEvent":
                return n
documents = failed = 0
with open(sys.argv[1], encoding="utf-8") as listing:
    paths = listing.read().splitlines()
for path in paths:
    try:
        with open(path, encoding="utf-8") as handle:
            documents += count(handle.read())
    except Exception:
        failed += 1
json.dump({"documents": documents, "failed": failed, "files": len(paths),
           "seconds": time.perf_counter() - started}, sys.stdout)
"""


# --------------------------------------------------------------------------------------------
# Processes.


@dataclass
class Sample:
    """One child process: wall seconds, CPU seconds, peak RSS in bytes, exit code."""

    seconds: float
    cpu: float
    rss: int
    code: int


@dataclass
class Measure:
    """The median of repeated samples, with every sample kept for the JSON report."""

    seconds: float
    cpu: float
    rss: int
    code: int
    samples: list[Sample] = field(default_factory=list)

    @classmethod
    def of(cls, samples: list[Sample]) -> Measure:
        return cls(
            seconds=statistics.median(s.seconds for s in samples),
            cpu=statistics.median(s.cpu for s in samples),
            rss=int(statistics.median(s.rss for s in samples)),
            code=max(s.code for s in samples),
            samples=samples,
        )


def _maxrss_bytes(kib_or_bytes: int) -> int:
    # Linux reports kibibytes, macOS bytes.
    return kib_or_bytes if sys.platform == "darwin" else kib_or_bytes * 1024


GNU_TIME = "/usr/bin/time"
TIME_FORMAT = "%U %S %M"  # user s, system s, peak RSS KiB


def find_gnu_time() -> str | None:
    """``/usr/bin/time`` if it is GNU time (``-f``/``-o`` work and print what we parse).

    Why it is preferred over this process's own ``os.wait4``: Linux counts a child's memory
    before ``exec`` in its ``ru_maxrss``, and a child forked (or vforked) from this process
    starts as big as this process is (tens of MB once a repository has been generated and
    read), which would hide the real peak of small runs. GNU time forks from a process of a
    few hundred kB, so its figure is the measured program's own.
    """
    if not os.access(GNU_TIME, os.X_OK):
        return None
    with tempfile.TemporaryDirectory(prefix="flux-lint-bench-") as temp:
        out = Path(temp) / "time"
        try:
            subprocess.run(
                [GNU_TIME, "-f", TIME_FORMAT, "-o", str(out), sys.executable, "-c", "pass"],
                capture_output=True,
                timeout=60,
                check=True,
            )
            _parse_time(out.read_text(encoding="utf-8"))
        except (OSError, ValueError, subprocess.SubprocessError):
            return None
    return GNU_TIME


def _parse_time(text: str) -> tuple[float, int]:
    """(CPU seconds, peak RSS bytes) from GNU time's output; the last line is ours (a line
    before it may say that the command exited with a non-zero status)."""
    user, system, maxrss = text.strip().splitlines()[-1].split()
    return float(user) + float(system), int(maxrss) * 1024


@dataclass
class Runner:
    """Runs and measures child processes (``timer``: GNU time, or None for ``os.wait4``)."""

    timer: str | None
    timeout: float = 3600.0

    @property
    def method(self) -> str:
        return "GNU time" if self.timer else "os.wait4"

    def sample(self, argv: Sequence[str], *, stdout: Path | None = None) -> Sample:
        """Run ``argv`` once and measure exactly that child.

        ``Popen`` + ``os.wait4`` instead of ``subprocess.run``: only ``wait4`` hands back the
        resource usage of the one child it reaped. The child gets its own session so that a
        timeout kills it and anything it started.
        """
        stats: str | None = None
        command = list(argv)
        if self.timer:
            fd, stats = tempfile.mkstemp(prefix="flux-lint-bench-", suffix=".time")
            os.close(fd)
            command = [self.timer, "-f", TIME_FORMAT, "-o", stats, *command]
        out = open(stdout, "wb") if stdout is not None else subprocess.DEVNULL  # noqa: SIM115
        try:
            started = time.perf_counter()
            proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.DEVNULL, start_new_session=True
            )
            deadline = started + self.timeout
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    os.killpg(proc.pid, signal.SIGKILL)
                    os.wait4(proc.pid, 0)
                    proc.returncode = -signal.SIGKILL
                    raise TimeoutError(f"{shlex.join(argv)} took longer than {self.timeout:.0f} s")
                time.sleep(0.002)
            elapsed = time.perf_counter() - started
            code = os.waitstatus_to_exitcode(status)
            proc.returncode = code  # reaped here; keep Popen from waiting again
            if stats is not None:
                cpu, rss = _parse_time(Path(stats).read_text(encoding="utf-8"))
            else:
                cpu, rss = usage.ru_utime + usage.ru_stime, _maxrss_bytes(usage.ru_maxrss)
        finally:
            if stdout is not None and not isinstance(out, int):
                out.close()
            if stats is not None:
                os.unlink(stats)
        return Sample(elapsed, cpu, rss, code)

    def measure(self, argv: Sequence[str], repeat: int, *, stdout: Path | None = None) -> Measure:
        return Measure.of([self.sample(argv, stdout=stdout) for _ in range(repeat)])


def flux_lint_command(spec: str | None) -> list[str]:
    """The flux-lint to measure: ``--flux-lint`` if given, else the one installed next to this
    interpreter, else ``python -m flux_lint``."""
    if spec:
        return shlex.split(spec)
    script = Path(sys.executable).with_name("flux-lint")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "flux_lint"]


def snapshot_command(work: Path) -> list[str]:
    """Copy the importable flux-lint (package, ``rules/``, ``schemas/``) under ``work`` and
    return a command that runs the copy.

    A benchmark takes many minutes; measured from a live source tree, edits made meanwhile
    (or a cache invalidated by them) end up in some samples and not in others.
    """
    import flux_lint

    package = Path(flux_lint.__file__).resolve().parent
    target = work / "snapshot"
    shutil.rmtree(target, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(package, target / "flux_lint", ignore=ignore)
    for name in ("rules", "schemas"):
        if (package.parent / name).is_dir():
            shutil.copytree(package.parent / name, target / name, ignore=ignore)
    code = (
        f"import sys; sys.path.insert(0, {str(target)!r}); from flux_lint.cli import main; main()"
    )
    return [sys.executable, "-c", code]


def has_cache_option(command: list[str]) -> bool:
    """Whether this flux-lint has a result cache (``--cache-dir``) whose warm runs to time."""
    for extra in (["check", "--help"], ["--help"]):
        try:
            done = subprocess.run(
                [*command, *extra], capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if "--cache-dir" in done.stdout:
            return True
    return False


# --------------------------------------------------------------------------------------------
# Machine.


def machine() -> dict[str, Any]:
    """What the numbers were measured on: they mean little without it."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram = 0
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    ram = int(line.split()[1]) * 1024
                    break
    except OSError:
        ram = 0
    try:
        from importlib.metadata import version

        ruamel = version("ruamel.yaml")
        clib = version("ruamel.yaml.clib")
    except Exception:
        ruamel = clib = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_bytes": ram,
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "ruamel_yaml": ruamel,
        "ruamel_yaml_clib": clib,
    }


# --------------------------------------------------------------------------------------------
# Targets.


def yaml_files(root: Path) -> list[Path]:
    """The files flux-lint lints under ``root`` (its own discovery when importable, so the floor
    parses exactly the same files)."""
    try:
        from flux_lint.load.discover import discover
    except ImportError:
        return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return [src.path for src in discover([str(root)]).files]


@dataclass
class Result:
    """Everything measured on one repository."""

    label: str
    path: str
    files: int
    bytes: int
    documents: int
    findings: int | None
    exit_code: int
    cold: Measure
    warm: Measure | None
    floor: Measure
    floor_documents: int
    floor_failed_files: int
    floor_parse_seconds: float
    events: Measure

    @property
    def ratio(self) -> float:
        return self.cold.seconds / self.floor.seconds if self.floor.seconds else float("nan")

    @property
    def cpu_ratio(self) -> float:
        return self.cold.cpu / self.floor.cpu if self.floor.cpu else float("nan")


def bench_repository(
    label: str,
    root: Path,
    command: list[str],
    work: Path,
    runner: Runner,
    *,
    repeat: int,
    cache: bool,
    extra_args: Sequence[str] = (),
) -> Result:
    files = yaml_files(root)
    total = 0
    for path in files:  # warm the page cache: every timed run then reads from memory
        total += len(path.read_bytes())
    slug = "".join(c if c.isalnum() else "-" for c in label)
    listing = work / f"{slug}.files"
    listing.write_text("".join(f"{p}\n" for p in files), encoding="utf-8")

    floor_out = work / f"{slug}.floor.json"
    floor = runner.measure(
        [sys.executable, "-c", FLOOR_SCRIPT, str(listing), "load"], repeat, stdout=floor_out
    )
    floor_report = json.loads(floor_out.read_text(encoding="utf-8"))
    events = runner.measure([sys.executable, "-c", FLOOR_SCRIPT, str(listing), "events"], repeat)

    report = work / f"{slug}.report.json"
    base = [*command, str(root), "--format", "json", *extra_args]
    warm: Measure | None = None
    if cache:
        cold_samples = []
        for i in range(repeat):
            cache_dir = work / f"{slug}.cache-{i}"
            shutil.rmtree(cache_dir, ignore_errors=True)
            cold_samples.append(
                runner.sample([*base, "--cache-dir", str(cache_dir)], stdout=report)
            )
        cold = Measure.of(cold_samples)
        warm = runner.measure(
            [*base, "--cache-dir", str(work / f"{slug}.cache-0")], repeat, stdout=report
        )
    else:
        cold = runner.measure(base, repeat, stdout=report)
    documents, findings = floor_report["documents"], None
    try:
        summary = json.loads(report.read_text(encoding="utf-8"))["summary"]
        documents, findings = int(summary["documents"]), int(summary["problems"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return Result(
        label=label,
        path=str(root),
        files=len(files),
        bytes=total,
        documents=documents,
        findings=findings,
        exit_code=cold.code,
        cold=cold,
        warm=warm,
        floor=floor,
        floor_documents=floor_report["documents"],
        floor_failed_files=floor_report["failed"],
        floor_parse_seconds=floor_report["seconds"],
        events=events,
    )


def bench_startup(
    command: list[str], work: Path, runner: Runner, repeat: int, *, cache: bool
) -> dict[str, Measure]:
    """Start-up costs. The small file is linted with an empty cache each time (a cached result
    would measure the cache, and a hook runs on files that just changed)."""
    small = work / "small" / "source.yaml"
    small.parent.mkdir(parents=True, exist_ok=True)
    small.write_text(SMALL_FILE, encoding="utf-8")
    lint_small = [*command, str(small), "--format", "json"]
    warm_up = ["--cache-dir", str(work / "small.cache-warm-up")] if cache else []
    runner.sample([*lint_small, *warm_up])  # byte-compiles what a fresh copy has not yet
    samples = []
    for i in range(repeat):
        extra: list[str] = []
        if cache:
            cache_dir = work / f"small.cache-{i}"
            shutil.rmtree(cache_dir, ignore_errors=True)
            extra = ["--cache-dir", str(cache_dir)]
        samples.append(runner.sample([*lint_small, *extra]))
    return {
        "flux-lint --version": runner.measure([*command, "--version"], repeat),
        "flux-lint one small file": Measure.of(samples),
        "python -c pass (interpreter alone)": runner.measure(
            [sys.executable, "-c", "pass"], repeat
        ),
    }


# --------------------------------------------------------------------------------------------
# Output.


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 10 * 2**20 else f"{n / 2**20:.1f} MB"


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds < 100 else f"{seconds:.0f} s"


def _rate(documents: int, seconds: float) -> str:
    return f"{documents / seconds:,.0f}" if seconds > 0 else "-"


def table(info: dict[str, Any], startup: dict[str, Measure], results: list[Result],
          repeat: int, cache: bool) -> str:  # fmt: skip
    """The human report: Markdown tables, so the same text reads well in a terminal and in
    ``benchmarks/README.md``."""
    load = info.get("loadavg_before"), info.get("loadavg_after")
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_bytes'] / 2**30:.1f} GiB RAM, "
        f"{info['system']}, Python {info['python']} ({info['python_implementation']}), "
        f"ruamel.yaml {info['ruamel_yaml']} (clib {info['ruamel_yaml_clib']}); "
        f"load average {_load(load[0])} before, {_load(load[1])} after; "
        f"median of {repeat} run{'s' if repeat != 1 else ''} per cell; CPU time and peak RSS "
        f"from {info.get('measured_with', '?')} (CPU includes worker processes; peak RSS is the "
        "largest single process).",
        "",
        "| start-up | wall | CPU | peak RSS |",
        "|---|---:|---:|---:|",
    ]
    for name, m in startup.items():
        lines.append(f"| `{name}` | {_s(m.seconds)} | {_s(m.cpu)} | {_mb(m.rss)} |")
    lines += [
        "",
        "| repository | files | size | documents | findings | flux-lint wall | CPU | docs/s "
        "(wall) | docs/s (CPU) | peak RSS | warm (cache) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        warm = (
            f"{_s(r.warm.seconds)} ({_s(r.warm.cpu)} CPU)"
            if r.warm
            else ("-" if cache else "no cache")
        )
        lines.append(
            f"| {r.label} | {r.files:,} | {_mb(r.bytes)} | {r.documents:,} | "
            f"{'-' if r.findings is None else f'{r.findings:,}'} | {_s(r.cold.seconds)} | "
            f"{_s(r.cold.cpu)} | {_rate(r.documents, r.cold.seconds)} | "
            f"{_rate(r.documents, r.cold.cpu)} | {_mb(r.cold.rss)} | {warm} |"
        )
    lines += [
        "",
        "| repository | floor: ruamel C `load_all` wall | CPU | docs/s (CPU) | peak RSS "
        "| flux-lint / floor (wall) | (CPU) | libyaml events only: wall | CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.label} | {_s(r.floor.seconds)} | {_s(r.floor.cpu)} | "
            f"{_rate(r.floor_documents, r.floor.cpu)} | {_mb(r.floor.rss)} | "
            f"{r.ratio:.1f}x | {r.cpu_ratio:.1f}x | {_s(r.events.seconds)} | "
            f"{_s(r.events.cpu)} |"
        )
    notes = [r for r in results if r.exit_code not in (0, 1) or r.floor_failed_files]
    for r in notes:
        lines.append(
            f"\nnote: {r.label}: flux-lint exit code {r.exit_code}, "
            f"{r.floor_failed_files} file(s) the floor parser rejected"
        )
    return "\n".join(lines) + "\n"


def _load(value: Any) -> str:
    return "/".join(f"{x:.1f}" for x in value) if value else "?"


def as_json(info: dict[str, Any], startup: dict[str, Measure], results: list[Result],
            repeat: int, cache: bool) -> dict[str, Any]:  # fmt: skip
    return {
        "version": 1,
        "machine": info,
        "repeat": repeat,
        "cache": cache,
        "startup": {name: asdict(m) for name, m in startup.items()},
        "repositories": [
            {**asdict(r), "ratio": r.ratio, "cpu_ratio": r.cpu_ratio} for r in results
        ],
    }


# --------------------------------------------------------------------------------------------


def revision() -> str | None:
    """The flux-lint source measured (commit, and whether the tree had local changes), when
    this checkout is a git work tree: numbers without it cannot be compared later."""
    root = HERE.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(root), "status", "--porcelain", "-uno"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}{' with local changes' if dirty else ''}"


def _loadavg() -> list[float] | None:
    try:
        return list(os.getloadavg())
    except OSError:
        return None


def _sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if not part:
            continue
        factor = 1_000 if part.endswith("k") else 1
        value = int(part.removesuffix("k")) * factor
        if value <= 0:
            raise argparse.ArgumentTypeError(f"not a positive number of documents: {part}")
        sizes.append(value)
    if not sizes:
        raise argparse.ArgumentTypeError("no sizes given")
    return sizes


def _label(n: int) -> str:
    return f"{n // 1000}k docs" if n % 1000 == 0 else f"{n} docs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--docs",
        type=_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated sizes of generated repositories (default 1000,10000,50000; 10k ok)",
    )
    parser.add_argument("--path", type=Path, action="append", help="benchmark this directory")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument("--seed", type=int, default=0, help="seed for generated repositories")
    parser.add_argument(
        "--json", metavar="FILE", help="also write the results as JSON (- = stdout)"
    )
    parser.add_argument("--flux-lint", dest="flux_lint", help="command to measure")
    parser.add_argument(
        "--snapshot",
        action="store_true",
        help="measure a copy of the flux_lint package taken at start (immune to edits)",
    )
    parser.add_argument(
        "--arg",
        dest="extra",
        action="append",
        default=[],
        metavar="ARG",
        help="extra argument for the repository runs, e.g. --arg=-j1 (repeatable)",
    )
    parser.add_argument("--workdir", type=Path, help="keep generated trees and reports here")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per process")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    with tempfile.TemporaryDirectory(prefix="flux-lint-bench-") as temp:
        return _bench(args, args.workdir or Path(temp), parser)


def _bench(args: argparse.Namespace, work: Path, parser: argparse.ArgumentParser) -> int:
    work.mkdir(parents=True, exist_ok=True)
    if args.snapshot:
        command = snapshot_command(work)
        shown = f"a copy in {work / 'snapshot'}"
    else:
        command = flux_lint_command(args.flux_lint)
        shown = shlex.join(command)
    cache = has_cache_option(command)
    runner = Runner(find_gnu_time(), args.timeout)
    info = machine()
    info["loadavg_before"] = _loadavg()
    info["measured_with"] = runner.method
    info["revision"] = revision()
    if args.snapshot and info["revision"]:
        info["revision"] = f"a copy of {info['revision']}"
    try:
        done = subprocess.run([*command, "--version"], capture_output=True, text=True, check=False)
        info["flux_lint"] = done.stdout.strip() or done.stderr.strip()
    except OSError as exc:
        parser.error(f"cannot run {shlex.join(command)}: {exc}")
    human = sys.stderr if args.json == "-" else sys.stdout

    startup = bench_startup(command, work, runner, args.repeat, cache=cache)
    targets: list[tuple[str, Path]] = []
    if args.path:
        targets = [(p.name or str(p), p.resolve()) for p in args.path]
    else:
        for n in args.docs:
            root = work / f"repo-{n}-seed{args.seed}"
            started = time.perf_counter()
            generate.write(generate.generate(n, args.seed), root, force=True)
            print(
                f"generated {n:,} documents in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            targets.append((_label(n), root))
    results = []
    for label, root in targets:
        print(f"measuring {label} ({root}) ...", file=sys.stderr)
        results.append(
            bench_repository(
                label,
                root,
                command,
                work,
                runner,
                repeat=args.repeat,
                cache=cache,
                extra_args=args.extra,
            )
        )
    info["loadavg_after"] = _loadavg()
    where = f", source: {info['revision']}" if info.get("revision") else ""
    print(f"flux-lint: {info.get('flux_lint')} ({shown}{where})", file=human)
    print(table(info, startup, results, args.repeat, cache), file=human, end="")
    if args.json:
        data = json.dumps(as_json(info, startup, results, args.repeat, cache), indent=2)
        if args.json == "-":
            print(data)
        else:
            Path(args.json).write_text(data + "\n", encoding="utf-8")
    failed = [r for r in results if r.exit_code not in (0, 1)]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
