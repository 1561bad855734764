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
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
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
    """One child process: wall seconds, CPU seconds, peak RSS in bytes, exit code, and the
    peak of the RSS summed over the child and every process it started (0 when not sampled)."""

    seconds: float
    cpu: float
    rss: int
    code: int
    tree_rss: int = 0


@dataclass
class Measure:
    """The median of repeated samples, with every sample kept for the JSON report."""

    seconds: float
    cpu: float
    rss: int
    code: int
    samples: list[Sample] = field(default_factory=list)
    tree_rss: int = 0

    @classmethod
    def of(cls, samples: list[Sample]) -> Measure:
        return cls(
            seconds=statistics.median(s.seconds for s in samples),
            cpu=statistics.median(s.cpu for s in samples),
            rss=int(statistics.median(s.rss for s in samples)),
            code=max(s.code for s in samples),
            samples=samples,
            tree_rss=int(statistics.median(s.tree_rss for s in samples)),
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


PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _children(pid: int) -> list[int]:
    """The direct children of ``pid`` (every thread's ``children`` list, Linux)."""
    found: list[int] = []
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as handle:
                found.extend(int(x) for x in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def tree_rss(root: int, *, skip_root: bool) -> int:
    """The resident memory, in bytes, summed over ``root`` and all its descendants right now.

    GNU time reports the largest single process only; a run with worker processes holds
    memory in all of them at once, and that sum is what the machine must have. Read from
    ``/proc/PID/statm`` (resident pages; shared pages counted in each process, as ``ps``
    does). ``skip_root`` leaves out the measuring wrapper (GNU time) itself.
    """
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        stack.extend(_children(pid))
        if skip_root and pid == root:
            continue
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * PAGE_SIZE
        except (OSError, ValueError, IndexError):
            continue
    return total


TREE_INTERVAL = 0.02  # seconds between samples of the process tree's memory


@dataclass
class Runner:
    """Runs and measures child processes (``timer``: GNU time, or None for ``os.wait4``)."""

    timer: str | None
    timeout: float = 3600.0

    @property
    def method(self) -> str:
        return "GNU time" if self.timer else "os.wait4"

    def sample(
        self,
        argv: Sequence[str],
        *,
        stdout: Path | None = None,
        tree: bool = False,
        cwd: Path | None = None,
    ) -> Sample:
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
                command,
                stdout=out,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                env=child_env(),
                cwd=cwd,
            )
            deadline = started + self.timeout
            peak, next_poll = 0, started
            poll = tree and os.path.isdir(f"/proc/{proc.pid}")
            while True:
                if poll and time.perf_counter() >= next_poll:
                    peak = max(peak, tree_rss(proc.pid, skip_root=self.timer is not None))
                    next_poll = time.perf_counter() + TREE_INTERVAL
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
        return Sample(elapsed, cpu, rss, code, max(peak, rss) if poll else 0)

    def measure(
        self,
        argv: Sequence[str],
        repeat: int,
        *,
        stdout: Path | None = None,
        tree: bool = False,
        cwd: Path | None = None,
    ) -> Measure:
        return Measure.of(
            [self.sample(argv, stdout=stdout, tree=tree, cwd=cwd) for _ in range(repeat)]
        )


def child_env() -> dict[str, str]:
    """The environment of measured processes: this one's, but with bytecode caching on.

    An installed flux-lint has its ``.pyc`` files; with ``PYTHONDONTWRITEBYTECODE`` set (as
    some shells and containers do) every run would compile the package from source again,
    about a second of CPU that no user pays.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


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
    subprocess.run(  # compiled once, as an installed package is
        [sys.executable, "-m", "compileall", "-q", str(target / "flux_lint")],
        check=True,
        env=child_env(),
        stdout=subprocess.DEVNULL,
    )
    code = (  # the entry point of `python -m flux_lint` and of the installed command
        f"import sys; sys.path.insert(0, {str(target)!r}); "
        "from flux_lint.__main__ import main; main()"
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
    size: int | None = None  # the documents asked of generate.py (None: --path)
    changed: Measure | None = None  # warm cache, one file edited before each run
    changed_file: str | None = None
    #: warm cache, one value of the same file changed before each run (its ``interval``): the
    #: objects change, so the repository checks run again, where a comment leaves them
    value_changed: Measure | None = None
    precommit: Measure | None = None  # one small file of the repository named, warm cache
    precommit_file: str | None = None
    #: warm cache, another small file named (and edited) each run, as the staged files of
    #: each commit are: the context walk of the run before named other files
    precommit_other: Measure | None = None

    @property
    def ratio(self) -> float:
        return self.cold.seconds / self.floor.seconds if self.floor.seconds else float("nan")

    @property
    def cpu_ratio(self) -> float:
        return self.cold.cpu / self.floor.cpu if self.floor.cpu else float("nan")


_RELEASE = re.compile(rb"(?m)^kind: HelmRelease\s")


def _pick_files(root: Path, files: list[Path]) -> tuple[Path | None, Path | None]:
    """The file edited for the one-file-changed runs (the largest HelmRelease, the file a user
    edits most) and the file a pre-commit hook is given (the smallest Flux object), both
    chosen by content so that any repository has them."""
    edit: tuple[int, Path] | None = None
    small: tuple[int, Path] | None = None
    for path in files:
        data = path.read_bytes()
        if _RELEASE.search(data) and (edit is None or len(data) > edit[0]):
            edit = (len(data), path)
        if b"toolkit.fluxcd.io/" in data and (small is None or len(data) < small[0]):
            small = (len(data), path)
    if edit is None and files:
        edit = (0, files[0])
    return (edit[1] if edit else None), (small[1] if small else None)


_INTERVAL = re.compile(rb"(?m)^(  interval: *)[^\s#]+")


def _value_edits(
    edit: Path, runner: Runner, command: list[str], work: Path, slug: str, repeat: int
) -> Measure | None:
    """Runs after an edit of a value of ``edit`` (the first ``interval`` of its spec, a new
    value each run); None when it has no such line."""
    original = edit.read_bytes()
    if _INTERVAL.search(original) is None:
        return None
    try:
        samples = []
        for i in range(repeat):
            edit.write_bytes(_INTERVAL.sub(rb"\g<1>%dm" % (7 + i), original, count=1))
            samples.append(runner.sample(command, stdout=work / f"{slug}.value.json"))
        return Measure.of(samples)
    finally:
        edit.write_bytes(original)


def _other_files_named(
    root: Path,
    files: list[Path],
    first: Path,
    runner: Runner,
    hook: Callable[[str], list[str]],
    report: Path,
    repeat: int,
) -> Measure | None:
    """Pre-commit runs that each name (and edit) another small Flux file than the run before
    (``hook`` gives the command naming a file). None without enough such files."""
    small = sorted(
        (len(data), path)
        for path in files
        if path != first and b"toolkit.fluxcd.io/" in (data := path.read_bytes())
    )
    chosen = [path for _, path in small[:repeat]]
    if len(chosen) < repeat:
        return None
    samples = []
    for path in chosen:
        original = path.read_bytes()
        try:
            path.write_bytes(original + b"# staged\n")
            named = str(path.relative_to(root))
            samples.append(runner.sample(hook(named), stdout=report, cwd=root))
        finally:
            path.write_bytes(original)
    return Measure.of(samples)


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
    size: int | None = None,
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
    changed: Measure | None = None
    value_changed: Measure | None = None
    precommit: Measure | None = None
    precommit_other: Measure | None = None
    edit = small = None
    if cache:
        cold_samples = []
        for i in range(repeat):
            cache_dir = work / f"{slug}.cache-{i}"
            shutil.rmtree(cache_dir, ignore_errors=True)
            cold_samples.append(
                runner.sample([*base, "--cache-dir", str(cache_dir)], stdout=report, tree=True)
            )
        cold = Measure.of(cold_samples)
        warm_cache = ["--cache-dir", str(work / f"{slug}.cache-0")]
        warm = runner.measure([*base, *warm_cache], repeat, stdout=report)
        edit, small = _pick_files(root, files)
        if small is not None:
            # pre-commit runs in the repository's top folder and names the file relative to
            # it: that folder is the root whose files give the file its context. A hook runs
            # on files that were just edited, so the named file changes before each run (a
            # command run again on an unchanged file would measure the remembered answer).
            named = str(small.relative_to(root))
            hook = [*command, named, "--format", "json", *extra_args, *warm_cache]
            runner.sample(hook, cwd=root)  # the first run of this path set fills its entries
            original = small.read_bytes()
            try:
                samples = []
                for i in range(repeat):
                    small.write_bytes(original + f"# staged {i}\n".encode())
                    samples.append(runner.sample(hook, stdout=work / f"{slug}.hook.json", cwd=root))
                precommit = Measure.of(samples)
            finally:
                small.write_bytes(original)
            precommit_other = _other_files_named(
                root,
                files,
                small,
                runner,
                lambda named: [*command, named, "--format", "json", *extra_args, *warm_cache],
                work / f"{slug}.other.json",
                repeat,
            )
        if edit is not None:  # one file changed: a new comment line before each run
            original = edit.read_bytes()
            try:
                samples = []
                for i in range(repeat):
                    edit.write_bytes(original + f"# edited {i}\n".encode())
                    samples.append(
                        runner.sample([*base, *warm_cache], stdout=work / f"{slug}.edit.json")
                    )
                changed = Measure.of(samples)
            finally:
                edit.write_bytes(original)
            value_changed = _value_edits(edit, runner, [*base, *warm_cache], work, slug, repeat)
            runner.sample([*base, *warm_cache])  # leave the cache as the tree is
    else:
        cold = runner.measure(base, repeat, stdout=report, tree=True)
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
        size=size,
        changed=changed,
        changed_file=str(edit.relative_to(root)) if edit else None,
        value_changed=value_changed,
        precommit=precommit,
        precommit_file=str(small.relative_to(root)) if small else None,
        precommit_other=precommit_other,
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
# Goals: each scenario of the performance goals, today's figure and its ratio.

MB = 2**20


def _repo(data: dict[str, Any], size: int) -> dict[str, Any] | None:
    for repo in data["repositories"]:
        if repo.get("size") == size:
            return repo
    return None


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def goals(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The goal rows, computed from a results document (:func:`as_json`), so that a committed
    results file renders the same table as the run that wrote it. ``met`` is None for a row
    that this run did not measure."""
    rows: list[dict[str, Any]] = []

    def row(scenario: str, goal: str, figure: str | None, ratio: str | None, met: bool | None):
        rows.append(
            {"scenario": scenario, "goal": goal, "figure": figure or "not measured",
             "ratio": ratio or "-", "met": met}
        )  # fmt: skip

    one_k, ten_k = _repo(data, 1_000), _repo(data, 10_000)
    if one_k and one_k.get("warm"):
        warm, floor = one_k["warm"], one_k["floor"]
        r = _ratio(warm["seconds"], floor["seconds"])
        row(
            "warm run, nothing changed, 1k documents",
            "≤ 0.10 × floor",
            f"{_s(warm['seconds'])} ({_s(warm['cpu'])} CPU); floor {_s(floor['seconds'])} "
            f"({_s(floor['cpu'])} CPU)",
            f"{r:.2f}× (CPU {_ratio(warm['cpu'], floor['cpu']):.2f}×)",
            r <= 0.10,
        )
    else:
        row("warm run, nothing changed, 1k documents", "≤ 0.10 × floor", None, None, None)

    def edited(key: str, scenario: str) -> None:
        """A warm 1k run after an edit: against the floor, and 0.30 s."""
        goal = "≤ 0.15 × floor and ≤ 0.30 s"
        measured = one_k.get(key) if one_k else None
        if not measured:
            row(scenario, goal, None, None, None)
            return
        r = _ratio(measured["seconds"], one_k["floor"]["seconds"])
        figure = f"{_s(measured['seconds'])} ({_s(measured['cpu'])} CPU)"
        row(scenario, goal, figure, f"{r:.2f}×", r <= 0.15 and measured["seconds"] <= 0.30)

    edited("changed", "one file changed, 1k documents, repository context")
    edited(
        "value_changed",
        "one value changed (not a comment: the repository checks run again), 1k documents",
    )
    python = data["startup"].get("python -c pass (interpreter alone)")

    def hooked(key: str, scenario: str) -> None:
        """A pre-commit run in the warm 1k repository: against the interpreter alone."""
        goal = "≤ 5 × `python -c pass`"
        hook = one_k.get(key) if one_k else None
        if not hook or not python:
            row(scenario, goal, None, None, None)
            return
        r = _ratio(hook["seconds"], python["seconds"])
        figure = (
            f"{_s(hook['seconds'])} ({_s(hook['cpu'])} CPU); `python -c pass` "
            f"{_s(python['seconds'])}"
        )
        row(scenario, goal, figure, f"{r:.1f}×", r <= 5)

    hooked("precommit", "pre-commit: one small file named, context from the cache (1k repository)")
    hooked("precommit_other", "pre-commit, another file named each run (1k repository)")
    if ten_k:
        cold, floor = ten_k["cold"], ten_k["floor"]
        wall, cpu = _ratio(cold["seconds"], floor["seconds"]), _ratio(cold["cpu"], floor["cpu"])
        row(
            "cold, 10k documents, all checks",
            "wall ≤ 0.5 × floor; CPU ≤ 1.0 × floor",
            f"{_s(cold['seconds'])} wall, {_s(cold['cpu'])} CPU; floor {_s(floor['seconds'])} "
            f"wall, {_s(floor['cpu'])} CPU",
            f"wall {wall:.2f}×, CPU {cpu:.2f}×",
            wall <= 0.5 and cpu <= 1.0,
        )
        tree = cold.get("tree_rss") or 0
        row(
            "memory, 10k documents (all processes at the peak)",
            "≤ 250 MB",
            f"{_mb(tree)} (largest process {_mb(cold['rss'])})" if tree else None,
            None,
            tree <= 250 * MB if tree else None,
        )
    else:
        row("cold, 10k documents, all checks", "wall ≤ 0.5 × floor; CPU ≤ 1.0 × floor", None,
            None, None)  # fmt: skip
        row("memory, 10k documents (all processes at the peak)", "≤ 250 MB", None, None, None)
    fifty = _repo(data, 50_000)
    tree50 = (fifty["cold"].get("tree_rss") or 0) if fifty else 0
    row(
        "memory, 50k documents (all processes at the peak)",
        "≤ 400 MB",
        f"{_mb(tree50)} (largest process {_mb(fifty['cold']['rss'])})"
        if fifty and tree50
        else None,
        None,
        tree50 <= 400 * MB if tree50 else None,
    )
    hundred = _repo(data, 100_000)
    if hundred and ten_k:
        per_100k = hundred["cold"]["cpu"] / hundred["documents"]
        per_10k = ten_k["cold"]["cpu"] / ten_k["documents"]
        r = per_100k / per_10k
        row(
            "scale: CPU per document at 100k vs 10k",
            "≤ 1.1 ×",
            f"{per_100k * 1000:.2f} ms vs {per_10k * 1000:.2f} ms",
            f"{r:.2f}×",
            r <= 1.1,
        )
    else:
        row("scale: CPU per document at 100k vs 10k", "≤ 1.1 ×", None, None, None)
    return rows


def goals_table(rows: list[dict[str, Any]]) -> str:
    lines = ["| scenario | goal | today | ratio | met |", "|---|---|---|---:|---|"]
    for r in rows:
        met = {True: "yes", False: "**no**", None: "-"}[r["met"]]
        lines.append(f"| {r['scenario']} | {r['goal']} | {r['figure']} | {r['ratio']} | {met} |")
    return "\n".join(lines) + "\n"


README_BEGIN = "<!-- benchmark goals: begin (benchmarks/run.py --readme) -->"
README_END = "<!-- benchmark goals: end -->"


def update_readme(readme: Path, data: dict[str, Any]) -> None:
    """Replace the goal table between the markers in ``readme`` with the one ``data`` gives."""
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(README_BEGIN) + len(README_BEGIN), text.index(README_END)
    info = data["machine"]
    load = _load(info.get("loadavg_before")), _load(info.get("loadavg_after"))
    body = (
        f"\n\nflux-lint at {info.get('revision', '?')}, {info['cores']} cores "
        f"({info['cpu']}), Python {info['python']}; medians of {data['repeat']} runs; the "
        f"machine was shared (load average {load[0]} before, {load[1]} after), so wall "
        "times include waiting for a CPU.\n\n" + goals_table(goals(data)) + "\n"
    )
    readme.write_text(text[:start] + body + text[end:], encoding="utf-8")


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
    parser.add_argument(
        "--readme",
        nargs=2,
        metavar=("RESULTS_JSON", "README"),
        help="measure nothing: rewrite the goal table in README from a results file",
    )
    args = parser.parse_args(argv)
    if args.readme:
        results_file, readme = args.readme
        update_readme(Path(readme), json.loads(Path(results_file).read_text(encoding="utf-8")))
        return 0
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    with tempfile.TemporaryDirectory(prefix="flux-lint-bench-") as temp:
        return _bench(args, args.workdir or Path(temp), parser)


def _bench(args: argparse.Namespace, work: Path, parser: argparse.ArgumentParser) -> int:
    work.mkdir(parents=True, exist_ok=True)
    work = work.resolve()  # some runs start in the repository's folder
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
    targets: list[tuple[str, Path, int | None]] = []
    if args.path:
        targets = [(p.name or str(p), p.resolve(), None) for p in args.path]
    else:
        for n in args.docs:
            root = work / f"repo-{n}-seed{args.seed}"
            started = time.perf_counter()
            generate.write(generate.generate(n, args.seed), root, force=True)
            print(
                f"generated {n:,} documents in {time.perf_counter() - started:.1f} s",
                file=sys.stderr,
            )
            targets.append((_label(n), root, n))
    results = []
    for label, root, size in targets:
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
                size=size,
            )
        )
    info["loadavg_after"] = _loadavg()
    where = f", source: {info['revision']}" if info.get("revision") else ""
    print(f"flux-lint: {info.get('flux_lint')} ({shown}{where})", file=human)
    print(table(info, startup, results, args.repeat, cache), file=human, end="")
    document = as_json(info, startup, results, args.repeat, cache)
    document["goals"] = goals(document)
    print("\nGoals (the machine is shared: wall times include waiting for a CPU)\n", file=human)
    print(goals_table(goals(document)), file=human, end="")
    if args.json:
        data = json.dumps(document, indent=2)
        if args.json == "-":
            print(data)
        else:
            Path(args.json).write_text(data + "\n", encoding="utf-8")
    failed = [r for r in results if r.exit_code not in (0, 1)]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
