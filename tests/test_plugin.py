"""Registering flux-lint as a Flux CLI plugin (``flux lint``).

No Flux CLI is needed: :func:`flux_discover` does what the Flux CLI's plugin discovery does
(``internal/plugin/discovery.go``, POSIX behaviour), and running the plugin entry with the
arguments after ``flux lint`` is what the Flux CLI's ``exec`` of it amounts to.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from flux_lint import __version__, plugin
from flux_lint.plugin import PluginError

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX links and launchers")

FLUX_BUILTINS = {"bootstrap", "build", "check", "create", "diff", "get", "install", "version"}
RESERVED = {"plugin", "help"}


def flux_discover(folder: Path) -> dict[str, Path]:
    """The plugins the Flux CLI would offer: ``flux-<name>`` entries that are, once links are
    followed, regular files with an executable bit; directories (not followed), broken links,
    built-in and reserved names are skipped."""
    found: dict[str, Path] = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return found
    for entry in entries:
        if not entry.name.startswith("flux-") or entry.is_dir(follow_symlinks=False):
            continue
        name = entry.name[len("flux-") :]
        if not name or name in RESERVED or name in FLUX_BUILTINS:
            continue
        try:
            info = os.stat(entry.path)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_mode & 0o111:
            found[name] = Path(entry.path)
    return found


@pytest.fixture
def plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "plugins"
    monkeypatch.setenv("FLUXCD_PLUGINS", str(folder))
    return folder


def _fake_flux_lint(folder: Path) -> Path:
    """An executable named like the real one, for tests that only look at links."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "flux-lint"
    script.write_text("#!/bin/sh\necho fake\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def test_plugin_dir_follows_flux(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FLUXCD_PLUGINS", "/opt/flux plugins")
    assert plugin.plugin_dir() == Path("/opt/flux plugins")
    # Used as it is, like the Flux CLI does: no `~` expansion.
    assert plugin.plugin_dir({"FLUXCD_PLUGINS": "~/p"}) == Path("~/p")
    # Empty is unset (Go's os.Getenv cannot tell them apart).
    monkeypatch.setenv("FLUXCD_PLUGINS", "")
    assert plugin.plugin_dir() == tmp_path / "home" / ".fluxcd" / "plugins"
    monkeypatch.delenv("FLUXCD_PLUGINS")
    assert plugin.plugin_dir() == tmp_path / "home" / ".fluxcd" / "plugins"


def test_find_executable_is_this_installation() -> None:
    found = plugin.find_executable()
    assert found.name == "flux-lint"
    assert found.is_absolute()
    # The test interpreter's own environment comes first (a venv's python is a link, so it
    # must not be resolved before looking beside it).
    assert found == Path(sys.executable).parent / "flux-lint"


def test_install_links_flux_lint_so_that_flux_lint_runs_it(plugins: Path, tmp_path: Path) -> None:
    link = plugin.install()
    assert link == plugins / "flux-lint"
    assert link.is_symlink()
    assert Path(os.readlink(link)) == plugin.find_executable()
    assert flux_discover(plugins) == {"lint": link}
    assert sorted(p.name for p in plugins.iterdir()) == ["flux-lint"]  # no temporary file left

    # `flux lint --version` and `flux lint PATH` exec the entry with the arguments after `lint`.
    version = subprocess.run([str(link), "--version"], capture_output=True, text=True)
    assert (version.returncode, version.stdout) == (0, f"flux-lint {__version__}\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "source.yaml").write_text(
        "apiVersion: source.toolkit.fluxcd.io/v1beta2\nkind: HelmRepository\n"
        "metadata: {name: podinfo, namespace: flux-system}\n"
        "spec: {interval: 10m, url: 'https://stefanprodan.github.io/podinfo'}\n",
        encoding="utf-8",
    )
    lint = subprocess.run([str(link), "."], cwd=repo, capture_output=True, text=True)
    assert lint.returncode == 1, lint.stderr
    assert lint.stdout.startswith("source.yaml:1:13: FL301 [error] ")


def test_install_again_repoints_our_link(plugins: Path, tmp_path: Path) -> None:
    first = _fake_flux_lint(tmp_path / "venv-a" / "bin")
    second = _fake_flux_lint(tmp_path / "venv-b" / "bin")
    plugin.install(executable=first)
    link = plugin.install(executable=second)
    assert Path(os.readlink(link)) == second
    assert sorted(p.name for p in plugins.iterdir()) == ["flux-lint"]


def test_install_into_a_given_folder_creates_it(tmp_path: Path) -> None:
    folder = tmp_path / "a" / "b"
    link = plugin.install(folder, executable=_fake_flux_lint(tmp_path / "bin"))
    assert link == folder / "flux-lint"
    assert flux_discover(folder) == {"lint": link}


@pytest.mark.parametrize("kind", ["file", "foreign-link"])
def test_install_never_replaces_an_entry_that_is_not_ours(
    plugins: Path, tmp_path: Path, kind: str
) -> None:
    plugins.mkdir()
    entry = plugins / "flux-lint"
    if kind == "file":
        entry.write_text("#!/bin/sh\necho another tool\n", encoding="utf-8")
    else:
        entry.symlink_to(tmp_path / "some-other-linter")
    before = os.readlink(entry) if entry.is_symlink() else entry.read_text()
    with pytest.raises(PluginError, match="is not a flux-lint link"):
        plugin.install()
    after = os.readlink(entry) if entry.is_symlink() else entry.read_text()
    assert after == before
    with pytest.raises(PluginError, match="not a flux-lint link; left in place"):
        plugin.uninstall()
    assert os.path.lexists(entry)


def test_uninstall_removes_only_our_link(plugins: Path, tmp_path: Path) -> None:
    assert plugin.uninstall() is None  # no folder at all
    link = plugin.install(executable=_fake_flux_lint(tmp_path / "bin"))
    (plugins / "flux-other").write_text("#!/bin/sh\n", encoding="utf-8")
    assert plugin.uninstall() == link
    assert not os.path.lexists(link)
    assert (plugins / "flux-other").exists()
    assert plugin.uninstall() is None


def test_uninstall_removes_a_link_left_by_a_deleted_environment(
    plugins: Path, tmp_path: Path
) -> None:
    target = _fake_flux_lint(tmp_path / "old-venv" / "bin")
    link = plugin.install(executable=target)
    target.unlink()
    assert flux_discover(plugins) == {}  # the Flux CLI skips a broken link
    assert plugin.uninstall() == link
    assert not os.path.lexists(link)


def test_launcher_where_links_cannot_be_made(
    plugins: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*args: object, **kwargs: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "symlink", no_links)
    link = plugin.install()
    assert link == plugins / "flux-lint"
    assert not link.is_symlink()
    assert plugin.is_flux_lint_link(link)
    assert flux_discover(plugins) == {"lint": link}
    version = subprocess.run([str(link), "--version"], capture_output=True, text=True)
    assert (version.returncode, version.stdout) == (0, f"flux-lint {__version__}\n")
    # The launcher passes each argument through as one word, spaces included.
    args = subprocess.run([str(link), "rule", "FL 301 'x'"], capture_output=True, text=True)
    assert (args.returncode, args.stderr) == (
        2,
        "flux-lint: error: unknown rule `FL 301 'x'` (see `flux-lint rules`)\n",
    )
    assert plugin.install() == link  # replaced in place
    assert plugin.uninstall() == link
    assert list(plugins.iterdir()) == []


def test_find_executable_skips_the_plugin_folder(
    plugins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `flux-lint` found in the plugin folder (the plugin folder on PATH) is our own link:
    linking to it would make a link to itself."""
    real = _fake_flux_lint(tmp_path / "bin")
    link = plugin.install(executable=real)
    other = _fake_flux_lint(tmp_path / "other" / "bin")
    monkeypatch.setattr(plugin, "_candidates", lambda: iter([link, other]))
    assert plugin.find_executable(exclude=plugins) == other
    assert plugin.install() == link
    assert Path(os.readlink(link)) == other
    with pytest.raises(PluginError, match="cannot link to itself"):
        plugin.install(executable=link)


def test_errors_are_plugin_errors(
    plugins: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plugin, "_candidates", lambda: iter([tmp_path / "missing"]))
    with pytest.raises(PluginError, match="cannot find the `flux-lint` executable"):
        plugin.install()

    not_executable = tmp_path / "flux-lint"
    not_executable.write_text("", encoding="utf-8")
    with pytest.raises(PluginError, match="is not an executable file"):
        plugin.install(executable=not_executable)

    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(PluginError, match="cannot install the plugin in"):
        plugin.install(blocker / "plugins", executable=_fake_flux_lint(tmp_path / "bin"))


def test_plugin_commands_of_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from flux_lint.cli import cli

    monkeypatch.setenv("FLUXCD_PLUGINS", str(tmp_path))
    runner = CliRunner()
    installed = runner.invoke(cli, ["plugin", "install"])
    assert installed.exit_code == 0, installed.output
    assert installed.output == f"installed {tmp_path / 'flux-lint'}: `flux lint` runs flux-lint\n"
    assert (tmp_path / "flux-lint").exists()
    removed = runner.invoke(cli, ["plugin", "uninstall"])
    assert removed.output == f"removed {tmp_path / 'flux-lint'}\n"
    assert not (tmp_path / "flux-lint").exists()
    again = runner.invoke(cli, ["plugin", "uninstall"])
    assert again.output == "no flux-lint plugin to remove\n"
