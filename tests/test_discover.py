"""Tests for file discovery: ordering, roots, ignore rules, excludes, links and unreadable paths."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from flux_lint.load.discover import (
    DiscoveryError,
    DiscoveryResult,
    IgnoreList,
    discover,
    find_root,
)


def write(root: Path, rel: str, text: str = "a: 1\n") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def repo(tmp_path: Path) -> Path:
    """A directory that counts as a git work tree (a ``.git`` directory is all discovery needs)."""
    root = tmp_path / "repo"
    (root / ".git" / "info").mkdir(parents=True)
    return root


def shown(result: DiscoveryResult) -> list[str]:
    return [f.display for f in result.files]


# -- ordering, roots and display paths ------------------------------------------------------


def test_walk_takes_yaml_only_sorted_by_display_path(tmp_path: Path) -> None:
    root = repo(tmp_path)
    for rel in [
        "a/b.yaml",
        "a.yaml",
        "a-b.yaml",
        "B.YAML",
        "a.yml",
        "z/y/x.Yml",
        "notes.txt",
        "a/c",
    ]:
        write(root, rel)
    result = discover([str(root)])
    # "a.yaml" < "a/b.yaml" because "." sorts before "/": the order is by whole display path.
    assert shown(result) == ["B.YAML", "a-b.yaml", "a.yaml", "a.yml", "a/b.yaml", "z/y/x.Yml"]
    assert result.errors == []
    assert result.root == root
    assert result.files[0].path == root / "B.YAML"


def test_explicit_file_is_taken_whatever_its_extension(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, "manifests/app.json")
    write(root, "manifests/app.yaml")
    result = discover([str(root / "manifests/app.json"), str(root / "manifests")])
    assert shown(result) == ["manifests/app.json", "manifests/app.yaml"]


def test_display_paths_are_relative_to_the_git_root_without_dot_slash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo(tmp_path)
    write(root, "clusters/prod/flux.yaml")
    monkeypatch.chdir(root / "clusters")
    result = discover(["./prod"])
    assert result.root == root
    assert shown(result) == ["clusters/prod/flux.yaml"]


def test_git_file_marks_a_work_tree(tmp_path: Path) -> None:
    root = tmp_path / "wt"
    write(root, ".git", "gitdir: /nowhere\n")
    write(root, "apps/a.yaml")
    assert find_root(root / "apps") == root
    assert shown(discover([str(root / "apps")])) == ["apps/a.yaml"]


def test_root_is_cwd_when_no_git_and_path_inside_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "k8s/a.yaml")
    monkeypatch.chdir(tmp_path)
    result = discover(["k8s"])
    assert result.root == tmp_path
    assert shown(result) == ["k8s/a.yaml"]


def test_root_is_the_path_itself_outside_cwd_and_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "elsewhere/k8s/a.yaml")
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    result = discover([str(tmp_path / "elsewhere/k8s")])
    assert result.root == tmp_path / "elsewhere/k8s"
    assert shown(result) == ["a.yaml"]
    single = discover([str(tmp_path / "elsewhere/k8s/a.yaml")])
    assert single.root == tmp_path / "elsewhere/k8s"
    assert shown(single) == ["a.yaml"]


def test_explicit_root_and_paths_outside_it(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, "a.yaml")
    write(tmp_path, "other/b.yaml")
    result = discover([str(root), str(tmp_path / "other")], root=root)
    assert shown(result) == ["../other/b.yaml", "a.yaml"]


def test_missing_path_is_an_error_and_the_rest_goes_on(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, "a.yaml")
    result = discover([str(root), str(root / "typo.yaml")])
    assert shown(result) == ["a.yaml"]
    assert result.errors == [DiscoveryError("typo.yaml", "no such file or directory")]


def test_same_file_named_twice_is_listed_once(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, "apps/a.yaml")
    result = discover([str(root / "apps/a.yaml"), str(root), str(root / "apps")])
    assert shown(result) == ["apps/a.yaml"]


def test_no_paths_finds_nothing(tmp_path: Path) -> None:
    assert discover([], root=tmp_path) == DiscoveryResult([], [], tmp_path)


def test_vcs_directories_are_skipped(tmp_path: Path) -> None:
    root = repo(tmp_path)
    for rel in [".git/x.yaml", ".hg/x.yaml", ".svn/x.yaml", ".github/workflows/ci.yaml"]:
        write(root, rel)
    assert shown(discover([str(root)])) == [".github/workflows/ci.yaml"]


# -- .gitignore ---------------------------------------------------------------------------


def test_gitignore_negation_dir_only_and_anchoring(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, ".gitignore", "*.yaml\n!keep.yaml\nbuild/\n/top.yml\n")
    for rel in [
        "drop.yaml",
        "keep.yaml",
        "sub/keep.yaml",
        "sub/drop.yaml",
        "build/keep.yaml",  # inside an ignored directory: a negation cannot bring it back
        "top.yml",
        "sub/top.yml",  # "/top.yml" is anchored to the root
        "build.yml/x.yml",  # "build/" is dir-only, and this directory is not called build
    ]:
        write(root, rel)
    write(root, "notdir/build", "a file named build is not matched by build/\n")
    assert shown(discover([str(root)])) == [
        "build.yml/x.yml",
        "keep.yaml",
        "sub/keep.yaml",
        "sub/top.yml",
    ]


def test_nested_gitignore_overrides_parent(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, ".gitignore", "secret*.yaml\n/apps/generated/\n")
    write(root, "apps/.gitignore", "!secret-template.yaml\nlocal.yaml\n")
    write(root, "apps/prod/.gitignore", "!local.yaml\n")
    for rel in [
        "secret.yaml",
        "apps/secret.yaml",
        "apps/secret-template.yaml",
        "apps/local.yaml",
        "apps/prod/local.yaml",
        "apps/generated/x.yaml",
        "local.yaml",
    ]:
        write(root, rel)
    assert shown(discover([str(root)])) == [
        "apps/prod/local.yaml",
        "apps/secret-template.yaml",
        "local.yaml",
    ]


def test_info_exclude_has_lowest_precedence(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, ".git/info/exclude", "*.yaml\n")
    write(root, ".gitignore", "!wanted.yaml\n")
    write(root, "wanted.yaml")
    write(root, "other.yaml")
    assert shown(discover([str(root)])) == ["wanted.yaml"]


def test_worktree_reads_info_exclude_from_the_common_git_dir(tmp_path: Path) -> None:
    main = repo(tmp_path)
    write(main, ".git/info/exclude", "local-*.yaml\n")
    write(main, ".git/worktrees/wt/commondir", "../..\n")
    wt = tmp_path / "wt"
    write(wt, ".git", f"gitdir: {main}/.git/worktrees/wt\n")
    write(wt, "local-dev.yaml")
    write(wt, "app.yaml")
    result = discover([str(wt)])
    assert result.root == wt
    assert shown(result) == ["app.yaml"]


def test_unreadable_gitignore_is_reported(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "apps/.gitignore").mkdir(parents=True)
    write(root, "apps/a.yaml")
    result = discover([str(root)])
    assert shown(result) == ["apps/a.yaml"]
    assert result.errors == [DiscoveryError("apps/.gitignore", "cannot read: is a directory")]


def test_parent_gitignore_applies_to_a_named_subdirectory(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, ".gitignore", "*.generated.yaml\n")
    write(root, "apps/a.yaml")
    write(root, "apps/a.generated.yaml")
    assert shown(discover([str(root / "apps")])) == ["apps/a.yaml"]


def test_named_paths_are_taken_even_if_gitignored(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, ".gitignore", "out/\nlocal.yaml\n")
    write(root, "out/a.yaml")
    write(root, "local.yaml")
    result = discover([str(root / "out"), str(root / "local.yaml")])
    assert shown(result) == ["local.yaml", "out/a.yaml"]


def test_nested_repository_starts_fresh_rules(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, ".gitignore", "*.yaml\n!/vendor/\n")
    (root / "vendor/lib/.git").mkdir(parents=True)
    write(root, "vendor/lib/a.yaml")
    write(root, "vendor/b.yaml")
    assert shown(discover([str(root)])) == ["vendor/lib/a.yaml"]


def test_respect_gitignore_false(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, ".gitignore", "*.yaml\n")
    write(root, "a.yaml")
    assert shown(discover([str(root)], respect_gitignore=False)) == ["a.yaml"]


def test_gitignore_with_crlf_bom_comments_and_escapes(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / ".gitignore").write_bytes(
        b"\xef\xbb\xbf# comment\r\n\\#hash.yaml\r\n\\!bang.yaml\r\ntrailing.yaml   \r\n"
    )
    for rel in ["#hash.yaml", "!bang.yaml", "trailing.yaml", "# comment", "kept.yaml"]:
        write(root, rel)
    assert shown(discover([str(root)])) == ["kept.yaml"]


@pytest.mark.parametrize(
    ("pattern", "path", "is_dir", "expected"),
    [
        ("*.yaml", "a/b/c.yaml", False, True),
        ("/c.yaml", "a/c.yaml", False, None),
        ("a/*.yaml", "a/b/c.yaml", False, None),
        ("a/**/c.yaml", "a/c.yaml", False, True),
        ("a/**/c.yaml", "a/x/y/c.yaml", False, True),
        ("**/b", "x/y/b", True, True),
        ("a/**", "a", True, None),
        ("a/**", "a/b/c", False, True),
        ("foo/**/", "foo/x", False, None),
        ("foo/**/", "foo/x", True, True),
        ("a**b", "a/b", False, None),
        ("a**b", "axxb", False, True),
        ("[[:alpha:]]b", "ab", True, True),
        ("[[:alpha:]]b", "1b", True, None),
        ("[[:nope:]]b", "ab", True, None),
        ("[!a]b", "cb", False, True),
        ("[^a]b", "ab", False, None),
        ("[]a]", "]", False, True),
        ("[a-]", "-", False, True),
        ("[z-a]x", "bx", False, None),
        ("[ab", "a", False, None),
        ("?", "/", False, None),
        ("a\\*", "a*", False, True),
        ("a\\*", "ab", False, None),
        ("a\\ ", "a ", False, True),
        ("a ", "a", False, True),
        ("!a", "a", False, False),
        ("x\\", "x", False, None),
    ],
)
def test_ignore_list_wildmatch(
    pattern: str, path: str, is_dir: bool, expected: bool | None
) -> None:
    assert IgnoreList.from_lines([pattern]).match(path, is_dir) is expected


def test_last_matching_line_wins() -> None:
    rules = IgnoreList.from_lines(["*.yaml", "!keep*.yaml", "keep-not.yaml"])
    assert rules.match("keep.yaml", False) is False
    assert rules.match("keep-not.yaml", False) is True
    assert rules.match("other.yaml", False) is True
    assert rules.match("other.txt", False) is None


# -- --exclude ----------------------------------------------------------------------------


def test_exclude_applies_to_walked_files(tmp_path: Path) -> None:
    root = repo(tmp_path)
    for rel in ["apps/a.yaml", "apps/a.test.yaml", "charts/x/values.yaml", "charts.yaml"]:
        write(root, rel)
    result = discover([str(root)], exclude=["*.test.yaml", "charts/"])
    assert shown(result) == ["apps/a.yaml", "charts.yaml"]


def test_exclude_applies_to_explicit_files_and_their_parents(tmp_path: Path) -> None:
    root = repo(tmp_path)
    for rel in ["vendor/a.yaml", "apps/skip.yaml", "apps/keep.yaml", "apps/deep/x.yaml"]:
        write(root, rel)
    named = [str(root / rel) for rel in ["vendor/a.yaml", "apps/skip.yaml", "apps/keep.yaml"]]
    result = discover(
        [*named, str(root / "apps/deep")], exclude=["vendor/", "skip.yaml", "/apps/deep"]
    )
    assert shown(result) == ["apps/keep.yaml"]
    assert result.errors == []


def test_exclude_negation_and_anchoring(tmp_path: Path) -> None:
    root = repo(tmp_path)
    for rel in ["a.yaml", "b.yaml", "sub/a.yaml"]:
        write(root, rel)
    result = discover([str(root)], exclude=["*.yaml", "!a.yaml", "/sub/a.yaml"])
    assert shown(result) == ["a.yaml"]


# -- symlinks -----------------------------------------------------------------------------


def test_symlinks_inside_root_are_followed_and_deduplicated(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, "base/deploy.yaml")
    (root / "overlays").mkdir()
    (root / "overlays/base").symlink_to("../base")  # a directory reached twice: walked once
    (root / "zz.yaml").symlink_to("base/deploy.yaml")  # a file reached twice: listed once
    (root / "alias.yml").symlink_to("base/deploy.yaml")
    write(root, "z/real.yaml")
    (root / "a").symlink_to("z")
    result = discover([str(root)])
    # Each file keeps the display path that sorts first: base/deploy.yaml is reached as
    # alias.yml, base/deploy.yaml, overlays/base/deploy.yaml and zz.yaml, and "alias.yml" wins.
    assert shown(result) == ["a/real.yaml", "alias.yml"]
    assert result.files[1].path == root / "alias.yml"
    assert result.files[0].path == root / "a/real.yaml"
    assert result.errors == []


def test_symlinks_outside_root_are_reported_not_followed(tmp_path: Path) -> None:
    root = repo(tmp_path)
    outside = tmp_path / "outside"
    write(outside, "secret.yaml")
    write(root, "a.yaml")
    (root / "shared").symlink_to(outside)
    (root / "leak.yaml").symlink_to(outside / "secret.yaml")
    (root / "README").symlink_to(outside / "secret.yaml")  # not YAML: never read, so no error
    result = discover([str(root), str(root / "leak.yaml")])
    assert shown(result) == ["a.yaml"]
    assert result.errors == [
        DiscoveryError(
            "leak.yaml", f"symlink points outside the repository: {outside}/secret.yaml"
        ),
        DiscoveryError("shared", f"symlink points outside the repository: {outside}"),
    ]


def test_symlink_loop_to_parent_is_reported_once_and_walk_goes_on(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, "apps/a.yaml")
    (root / "apps/loop").symlink_to("..")
    (root / "apps/self").symlink_to(".")
    write(root, "apps/zz.yaml")
    result = discover([str(root)])
    assert shown(result) == ["apps/a.yaml", "apps/zz.yaml"]
    assert result.errors == [
        DiscoveryError("apps/loop", "symlink loop: points to its ancestor ."),
        DiscoveryError("apps/self", "symlink loop: points to its ancestor apps"),
    ]


def test_link_back_to_root_from_a_named_subdirectory_is_a_loop(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, "apps/a.yaml")
    (root / "apps/root").symlink_to("..")
    result = discover([str(root / "apps")])
    assert shown(result) == ["apps/a.yaml"]
    assert result.errors == [DiscoveryError("apps/root", "symlink loop: points to its ancestor .")]


def test_symlink_cycle_and_dangling_link(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, "ok.yaml")
    (root / "l1").symlink_to("l2")
    (root / "l2").symlink_to("l1")
    (root / "gone.yaml").symlink_to("missing.yaml")
    result = discover([str(root), str(root / "gone.yaml")])
    assert shown(result) == ["ok.yaml"]
    assert result.errors == [
        DiscoveryError("gone.yaml", "dangling symlink: missing.yaml does not exist"),
        DiscoveryError("l1", "symlink loop"),
        DiscoveryError("l2", "symlink loop"),
    ]


def test_ignored_broken_links_are_silent(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, ".gitignore", "tmp\n")
    (root / "tmp").symlink_to("nowhere")
    (root / "x.yaml").symlink_to("nowhere")
    result = discover([str(root)], exclude=["x.yaml"])
    assert result == DiscoveryResult([], [], root)


# -- unreadable directories -----------------------------------------------------------------


def test_unreadable_directory_is_an_error_and_walk_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repo(tmp_path)
    write(root, "locked/a.yaml")
    write(root, "open/b.yaml")
    real_scandir = os.scandir
    locked = str(root / "locked")

    def scandir(path: str) -> object:
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = discover([str(root)])
    assert shown(result) == ["open/b.yaml"]
    assert result.errors == [DiscoveryError("locked", "cannot read directory: permission denied")]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any directory")
def test_unreadable_directory_by_mode(tmp_path: Path) -> None:
    root = repo(tmp_path)
    write(root, "locked/a.yaml")
    write(root, "open/b.yaml")
    (root / "locked").chmod(0)
    try:
        result = discover([str(root)])
    finally:
        (root / "locked").chmod(0o755)
    assert shown(result) == ["open/b.yaml"]
    assert result.errors == [DiscoveryError("locked", "cannot read directory: permission denied")]


# -- agreement with git -------------------------------------------------------------------

_NAMES = [
    "a",
    "b",
    "ab",
    "d",
    "c.d",
    "a.yaml",
    "b.yml",
    "x.yaml",
    "A.YAML",
    "[ab].yaml",
    "a b.yaml",
]
_PATTERNS = [
    "a", "b/", "/a", "a/b", "a/**", "**/a", "**/b/*.yaml", "*.yaml", "!a.yaml", "!b/", "!*.yaml",
    "a/**/x.yaml", "/b/a.yaml", "[ab]", "\\[ab].yaml", "[!a]*", "?", "a?", "*", "**",
    "!**/x.yaml", "b/*", "!/a/", "a/*/", "a\\ ", "a ", "[[:alpha:]]b", "**/", "b/**/", "/*",
    "!b", "x.yaml/", "*/x.yaml", "a*", "[a-b]", "[^a]b", "**/*.yml", "d/**/", "!d", "[]a]*",
    "[[:al", "d/**/*.yaml", "**/d/**", "!d/**/", "a**", "*.YAML", "!/d", "c.d/", "!c.d/x.yaml",
]  # fmt: skip


def _random_tree(root: Path, rnd: random.Random, depth: int = 0) -> None:
    for name in rnd.sample(_NAMES, rnd.randint(1, 6)):
        if depth < 3 and "." not in name and rnd.random() < 0.5:
            (root / name).mkdir()
            _random_tree(root / name, rnd, depth + 1)
        else:
            (root / name).write_text("")
    if rnd.random() < (0.9 if depth == 0 else 0.35):
        (root / ".gitignore").write_text("\n".join(rnd.sample(_PATTERNS, rnd.randint(1, 7))) + "\n")


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_walk_agrees_with_git_on_random_trees(tmp_path: Path) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for seed in range(60):
        rnd = random.Random(seed)
        root = tmp_path / f"r{seed}"
        root.mkdir()
        subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
        _random_tree(root, rnd)
        if rnd.random() < 0.3:
            (root / ".git/info/exclude").write_text("\n".join(rnd.sample(_PATTERNS, 2)) + "\n")
        listed = subprocess.run(
            ["git", "ls-files", "--others", "--exclude-standard", "-z"],
            cwd=root,
            env=env,
            capture_output=True,
            check=True,
        ).stdout.decode()
        expected = sorted(p for p in listed.split("\0") if p.lower().endswith((".yaml", ".yml")))
        result = discover([str(root)])
        assert (seed, shown(result), result.errors) == (seed, expected, [])


def test_a_source_path_given_as_text_is_a_path_when_asked_for() -> None:
    """A walk hands its files' paths over as text (making a Path for every file of the
    repository costs more than finding it); they read, compare and hash as Paths."""
    import pickle
    from dataclasses import FrozenInstanceError

    from flux_lint.load.discover import SourcePath

    text = SourcePath("/repo/apps/a.yaml", "apps/a.yaml")
    made = SourcePath(Path("/repo/apps/a.yaml"), "apps/a.yaml")
    assert text.path == Path("/repo/apps/a.yaml")
    assert isinstance(text.path, Path)
    assert text == made and hash(text) == hash(made) and len({text, made}) == 1
    assert text != SourcePath("/repo/apps/a.yaml", "a.yaml")
    assert repr(text) == f"SourcePath(path={Path('/repo/apps/a.yaml')!r}, display='apps/a.yaml')"
    assert pickle.loads(pickle.dumps(text)) == made
    with pytest.raises(FrozenInstanceError):
        text.display = "b.yaml"  # type: ignore[misc]
