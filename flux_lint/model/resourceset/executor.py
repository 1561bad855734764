"""Executing a parsed ResourceSet template: Go ``text/template``'s ``exec.go`` for the subset
:mod:`~flux_lint.model.resourceset.template` parses, with a source map of the output.

The dot is nil, as in flux-operator (``tp.Execute(b, nil)``); inputs come from the ``inputs``
function. A field read on a map without the key fails (``missingkey=error``); ``and``/``or``
short-circuit; ``range`` walks lists in order and maps by sorted key. :class:`Output` records,
for every piece of rendered text, the template range it came from, and whether it was printed
from placeholder inputs (:class:`Uncertain`), which is never reported.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flux_lint.model.resourceset.template import (
    Action,
    Branch,
    Command,
    Loop,
    NotEvaluated,
    Operand,
    Pipe,
    Template,
    TemplateCall,
    TemplateError,
    TemplateExecError,
    Text,
    Unsupported,
)

# ---------------------------------------------------------------------------------------------
# Output with a source map


@dataclass(slots=True)
class Segment:
    start: int  # offset in the output
    end: int
    source: int  # offset in the template where the piece starts
    source_end: int
    literal: bool  # a copy of template text (1:1) rather than a printed value
    uncertain: bool = False  # printed from placeholder inputs


class Output:
    """Rendered text plus the template range of every piece of it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.segments: list[Segment] = []
        self.length = 0

    def write(
        self, text: str, source: int, source_end: int, literal: bool, uncertain: bool = False
    ) -> None:
        if not text:
            return
        self.parts.append(text)
        self.segments.append(
            Segment(self.length, self.length + len(text), source, source_end, literal, uncertain)
        )
        self.length += len(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def segment_at(self, offset: int) -> Segment | None:
        if not self.segments:
            return None
        starts = [s.start for s in self.segments]
        k = bisect.bisect_right(starts, offset) - 1
        if k < 0:
            return None
        seg = self.segments[k]
        if offset >= seg.end and k + 1 < len(self.segments):
            return self.segments[k + 1]
        return seg

    def source_of(self, offset: int) -> tuple[int, bool, bool]:
        """(template offset, it is literal template text, it is printed from placeholders)."""
        seg = self.segment_at(offset)
        if seg is None:
            return 0, False, False
        if seg.literal:
            return (
                seg.source + min(max(offset - seg.start, 0), seg.end - seg.start - 1),
                True,
                False,
            )
        return seg.source, False, seg.uncertain


# ---------------------------------------------------------------------------------------------
# Executor


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Uncertain(str):
    """A string standing for an input value that only the cluster knows (a provider that is
    not ``Static``). Whatever reads it makes the action's output uncertain."""

    __slots__ = ()


class UncertainMap(dict):
    """The input set of such a provider: every key exists and reads as :class:`Uncertain`."""

    def __missing__(self, key: str) -> Uncertain:
        return Uncertain("placeholder")


MAX_STEPS = 200_000  # evaluation steps per execution: a template loop never stalls a run


class Executor:
    """Runs a parsed template with the operator's function set and ``missingkey=error``."""

    def __init__(
        self, template: Template, functions: dict[str, Callable[..., Any]], go_funcs: Any
    ) -> None:
        self.template = template
        self.functions = functions
        self.go = go_funcs
        self.out = Output()
        self.vars: list[tuple[str, Any]] = [("$", None)]
        self.steps = 0
        self.touched_uncertain = False

    def run(self) -> Output:
        self.walk(self.template.nodes, None)
        return self.out

    def tick(self, pos: int) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise NotEvaluated("the template runs for too long to be evaluated", pos)

    def walk(self, nodes: list[Any], dot: Any) -> None:
        for node in nodes:
            self.tick(getattr(node, "pos", 0))
            if isinstance(node, Text):
                self.out.write(node.text, node.pos, node.pos + len(node.text), True)
            elif isinstance(node, Action):
                self.touched_uncertain = False
                value = self.eval_pipe(node.pipe, dot)
                if isinstance(value, (Uncertain, UncertainMap)):
                    self.touched_uncertain = True
                if not node.pipe.decl:
                    self.out.write(
                        self.go.print_value(value, node.pos),
                        node.pos,
                        node.end,
                        False,
                        self.touched_uncertain,
                    )
            elif isinstance(node, Branch):
                self.branch(node, dot)
            elif isinstance(node, Loop):
                raise _Break() if node.kind == "break" else _Continue()
            elif isinstance(node, TemplateCall):
                self.call_template(node, dot)
            elif isinstance(node, Unsupported):
                raise NotEvaluated(f"cannot evaluate {node.what}", node.pos)

    def call_template(self, node: TemplateCall, dot: Any) -> None:
        """``walkTemplate``: the named template runs with the pipeline's value as dot and
        ``$``, and no other variable (no dynamic scoping)."""
        body = self.template.defined.get(node.name)
        if body is None:
            raise TemplateExecError(f'template "{node.name}" not defined', node.pos)
        value = self.eval_pipe(node.pipe, dot) if node.pipe is not None else None
        saved = self.vars
        self.vars = [("$", value)]
        try:
            self.walk(body, value)
        finally:
            self.vars = saved

    def branch(self, node: Branch, dot: Any) -> None:
        mark = len(self.vars)
        try:
            if node.kind == "range":
                self.range(node, dot)
                return
            value = self.eval_pipe(node.pipe, dot)
            truth = self.go.truth(value)
            if truth:
                self.walk(node.body, value if node.kind == "with" else dot)
            elif node.else_body is not None:
                self.walk(node.else_body, dot)
        finally:
            del self.vars[mark:]

    def range(self, node: Branch, dot: Any) -> None:
        pipe = node.pipe
        decl = pipe.decl
        value = self.eval_pipe(Pipe(pipe.pos, [], False, pipe.commands), dot)
        items: list[tuple[Any, Any]]
        if isinstance(value, dict):
            items = [(k, value[k]) for k in sorted(value, key=self.go.sort_key)]
        elif isinstance(value, (list, tuple)):
            items = list(enumerate(value))
        elif value is None:
            items = []
        elif isinstance(value, int) and not isinstance(value, bool):
            if decl and len(decl) > 1:
                raise TemplateExecError("can't use range over int with two variables", pipe.pos)
            items = [(i, i) for i in range(max(value, 0))]
        else:
            raise TemplateExecError(
                f"range can't iterate over {self.go.print_value(value, pipe.pos)}", pipe.pos
            )
        if not items:
            if node.else_body is not None:
                self.walk(node.else_body, dot)
            return
        mark = len(self.vars)
        for key, elem in items:
            self.tick(node.pos)
            del self.vars[mark:]
            if len(decl) == 1:
                self.set_var(decl[0], elem, pipe.is_assign)
            elif len(decl) == 2:
                self.set_var(decl[0], key, pipe.is_assign)
                self.set_var(decl[1], elem, pipe.is_assign)
            try:
                self.walk(node.body, elem)
            except _Break:
                break
            except _Continue:
                continue

    def set_var(self, name: str, value: Any, assign: bool) -> None:
        if assign:
            for k in range(len(self.vars) - 1, -1, -1):
                if self.vars[k][0] == name:
                    self.vars[k] = (name, value)
                    return
        self.vars.append((name, value))

    def var(self, name: str, pos: int) -> Any:
        for k in range(len(self.vars) - 1, -1, -1):
            if self.vars[k][0] == name:
                return self.vars[k][1]
        raise TemplateExecError(f"undefined variable: {name}", pos)

    def eval_pipe(self, pipe: Pipe, dot: Any) -> Any:
        value: Any = None
        first = True
        for cmd in pipe.commands:
            value = self.eval_command(cmd, dot, None if first else (value,))
            first = False
        for name in pipe.decl:
            self.set_var(name, value, pipe.is_assign)
        return value

    def eval_command(self, cmd: Command, dot: Any, final: tuple[Any] | None) -> Any:
        head = cmd.args[0]
        if head.kind == "func":
            return self.call(head.name, cmd.args[1:], dot, final, head.pos)
        if len(cmd.args) > 1 or final is not None:
            if head.kind in ("field", "chain") or (head.kind == "var" and head.fields):
                pass  # a method call in Go; maps have no methods
            raise TemplateExecError(
                f"can't give argument to non-function {self._text_of(head)}", head.pos
            )
        return self.eval_operand(head, dot)

    def _text_of(self, operand: Operand) -> str:
        if operand.kind == "literal":
            return operand.name or repr(operand.value)
        if operand.kind == "var":
            return operand.name + "".join("." + f for f in operand.fields)
        return "." + ".".join(operand.fields)

    def eval_operand(self, op: Operand, dot: Any) -> Any:
        self.tick(op.pos)
        if op.kind == "literal":
            return op.value
        if op.kind == "dot":
            return dot
        if op.kind == "field":
            return self.fields(dot, op.fields, op.pos)
        if op.kind == "var":
            return self.fields(self.var(op.name, op.pos), op.fields, op.pos)
        if op.kind == "pipe":
            assert op.pipe is not None
            return self.eval_pipe(op.pipe, dot)
        if op.kind == "func":
            return self.call(op.name, [], dot, None, op.pos)
        if op.kind == "chain":
            assert op.inner is not None
            return self.fields(self.eval_operand(op.inner, dot), op.fields, op.pos)
        raise NotEvaluated(f"cannot evaluate operand {op.kind}", op.pos)

    def fields(self, value: Any, names: tuple[str, ...], pos: int) -> Any:
        for name in names:
            value = self.field(value, name, pos)
        return value

    def field(self, value: Any, name: str, pos: int) -> Any:
        if isinstance(value, Uncertain):
            self.touched_uncertain = True
            return value
        if isinstance(value, dict):
            if isinstance(value, UncertainMap):
                self.touched_uncertain = True
            if name in value or isinstance(value, UncertainMap):
                result = value[name]
            else:
                raise TemplateExecError(f'map has no entry for key "{name}"', pos, missing_key=name)
            if isinstance(result, (Uncertain, UncertainMap)):
                self.touched_uncertain = True
            return result
        if value is None:
            raise TemplateExecError(f'nil data; no entry for key "{name}"', pos)
        raise TemplateExecError(
            f"can't evaluate field {name} in type {self.go.type_name(value)}", pos
        )

    def call(
        self, name: str, args: list[Operand], dot: Any, final: tuple[Any] | None, pos: int
    ) -> Any:
        if name in ("and", "or"):
            return self.and_or(name, args, dot, final, pos)
        values = [self.eval_operand(a, dot) for a in args]
        if final is not None:
            values.append(final[0])
        for v in values:
            if isinstance(v, (Uncertain, UncertainMap)):
                self.touched_uncertain = True
        fn = self.functions.get(name)
        if fn is None:
            raise NotEvaluated(f"cannot evaluate the function {name!r}", pos)
        try:
            return fn(*values)
        except TemplateError as exc:
            if exc.pos < 0:
                exc.pos = pos
            if isinstance(exc, TemplateExecError) and not exc.message.startswith(
                ("error calling", "wrong number", "wrong type", "invalid value")
            ):
                exc.message = f"error calling {name}: {exc.message}"
                exc.args = (exc.message,)
            raise

    def and_or(
        self, name: str, args: list[Operand], dot: Any, final: tuple[Any] | None, pos: int
    ) -> Any:
        operands: list[Callable[[], Any]] = [(lambda a=a: self.eval_operand(a, dot)) for a in args]
        if final is not None:
            operands.append(lambda: final[0])
        if not operands:
            raise TemplateExecError(f"wrong number of args for {name}: want at least 1 got 0", pos)
        value: Any = None
        for get in operands:
            value = get()
            truth = self.go.truth(value)
            if (name == "and" and not truth) or (name == "or" and truth):
                return value
        return value


def execute(template: Template, functions: dict[str, Callable[..., Any]], go_funcs: Any) -> Output:
    """Execute a parsed template (dot is nil, as in the operator)."""
    return Executor(template, functions, go_funcs).run()
