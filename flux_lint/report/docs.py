"""Rule documentation rendered from the rule descriptors, as Markdown and as plain text.

``docs/rules.md`` is generated from here, and SARIF ``help`` uses the same pieces, so the page a
``helpUri`` points to and the help GitHub shows next to an alert never disagree. Each rule's
heading is ``## FL101 unknown-field``: GitHub (and most Markdown renderers) turn it into the
anchor ``fl101-unknown-field``, which is :attr:`Rule.anchor`. The per-rule sections use bold
labels instead of sub-headings so that no generated anchor can collide with a rule's anchor.

The output depends only on the registry: no dates, no paths, rules in id order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flux_lint.check.registry import Registry, Rule

_FIX_LABEL = {"safe": "safe (`--fix`)", "unsafe": "unsafe (`--unsafe-fixes`)"}


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _blocks(value: Any) -> list[str]:
    """An ``example``/``useInstead`` entry may be one YAML text or a list of them."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(item).strip("\n") for item in items if str(item).strip()]


def _fence(code: str, lang: str = "yaml") -> str:
    """A fenced code block whose fence is longer than any backtick run inside the code."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{code}\n{fence}"


def _reference_md(ref: Any) -> str:
    if isinstance(ref, dict):
        url = _text(ref.get("url"))
        title = _text(ref.get("title")) or url
        return f"[{title}]({url})" if url else title
    text = _text(ref)
    return f"<{text}>" if re.match(r"https?://\S+$", text) else text


def _reference_text(ref: Any) -> str:
    if isinstance(ref, dict):
        url, title = _text(ref.get("url")), _text(ref.get("title"))
        return f"{title}: {url}" if title and url else title or url
    return _text(ref)


def _options_md(options: Any) -> list[str]:
    if isinstance(options, dict):
        return [f"- `{key}`: {_text(value)}" for key, value in options.items()]
    if isinstance(options, list):
        return [f"- {_text(item)}" for item in options]
    return [_text(options)] if _text(options) else []


def _references(rule: Rule) -> list[Any]:
    refs = rule.docs.get("references") or []
    return refs if isinstance(refs, list) else [refs]


def rule_meta_markdown(rule: Rule) -> str:
    """One line with the facts a reader scans for: severity, category, fix, Flux versions."""
    parts = [f"Severity: **{rule.severity}**", f"Category: {rule.category}"]
    if rule.fix:
        parts.append(f"Fix: {_FIX_LABEL.get(rule.fix, rule.fix)}")
    if rule.flux_versions:
        parts.append(f"Flux: `{rule.flux_versions}`")
    return " · ".join(parts)


def rule_help_markdown(rule: Rule) -> str:
    """The body of a rule's documentation (no heading), for SARIF ``help.markdown``."""
    docs = rule.docs
    out = [rule_meta_markdown(rule), rule.summary]
    if _text(docs.get("what")):
        out.append(f"**What it does**\n\n{_text(docs['what'])}")
    if _text(docs.get("why")):
        out.append(f"**Why this matters**\n\n{_text(docs['why'])}")
    examples = _blocks(docs.get("example"))
    if examples:
        out.append("**Example**\n\n" + "\n\n".join(_fence(code) for code in examples))
    instead = _blocks(docs.get("useInstead"))
    if instead:
        out.append("**Use instead**\n\n" + "\n\n".join(_fence(code) for code in instead))
    options = _options_md(docs.get("options"))
    if options:
        out.append("**Options**\n\n" + "\n".join(options))
    refs = _references(rule)
    if refs:
        out.append("**References**\n\n" + "\n".join(f"- {_reference_md(r)}" for r in refs))
    return "\n\n".join(out) + "\n"


def rule_help_text(rule: Rule) -> str:
    """The same content as plain text, for SARIF ``help.text`` (shown where Markdown is not)."""
    docs = rule.docs

    def indent(code: str) -> str:
        return "\n".join(f"    {line}" if line else "" for line in code.splitlines())

    out = [rule.summary]
    if _text(docs.get("what")):
        out.append(_text(docs["what"]))
    if _text(docs.get("why")):
        out.append(f"Why: {_text(docs['why'])}")
    for label, key in (("Example", "example"), ("Use instead", "useInstead")):
        blocks = _blocks(docs.get(key))
        if blocks:
            out.append(f"{label}:\n" + "\n\n".join(indent(code) for code in blocks))
    options = _options_md(docs.get("options"))
    if options:
        out.append("Options:\n" + "\n".join(options))
    refs = _references(rule)
    if refs:
        out.append("References:\n" + "\n".join(f"- {_reference_text(r)}" for r in refs))
    return "\n\n".join(out) + "\n"


def rule_markdown(rule: Rule) -> str:
    """One rule's section of ``docs/rules.md``, headed ``## <ID> <name>``."""
    return f"## {rule.id} {rule.name}\n\n{rule_help_markdown(rule)}"


def _cell(text: str) -> str:
    """Table cells are one line and must not contain an unescaped ``|``."""
    return " ".join(text.split()).replace("|", "\\|")


def _toc(rules: Iterable[Rule]) -> str:
    rows = [
        "| Rule | Name | Severity | Category | Fix | Summary |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for rule in rules:
        rows.append(
            f"| [{rule.id}](#{rule.anchor}) | `{rule.name}` | {rule.severity} | {rule.category} "
            f"| {rule.fix or ''} | {_cell(rule.summary)} |"
        )
    return "\n".join(rows)


def rules_markdown(registry: Registry) -> str:
    """The whole ``docs/rules.md``: a header, a table of contents and every rule by id."""
    rules = list(registry)
    head = (
        "# Rules\n\n"
        "<!-- Generated from the rule descriptors in rules/; edit those, not this file. -->\n\n"
        f"flux-lint has {len(rules)} rule{'' if len(rules) == 1 else 's'}. Each has an id "
        "(`FL` and three digits; the first digit is the category) and a name; configuration, "
        "the command line and suppression comments accept either.\n\n"
        "Fix: `safe` fixes are applied by `--fix`; `unsafe` ones may change behaviour and need "
        "`--unsafe-fixes`."
    )
    sections = [head, _toc(rules), *(rule_markdown(rule).rstrip("\n") for rule in rules)]
    return "\n\n".join(sections) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m flux_lint.report.docs [FILE]``: write ``docs/rules.md`` (or print it)."""
    import sys

    from flux_lint.check.registry import builtin_registry

    args = sys.argv[1:] if argv is None else argv
    text = rules_markdown(builtin_registry())
    if args:
        from flux_lint.core.fsio import write_text_atomic

        write_text_atomic(args[0], text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
