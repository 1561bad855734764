"""The Kubernetes CEL library in flux_lint.check.cel (format, URLs, quantities, lists) and the
evaluation budget that keeps a bad rule from hanging a run."""

from __future__ import annotations

import time
from typing import Any

import pytest

from flux_lint.check import cel
from flux_lint.check.cel import Budget, CelEvalError


def run(source: str, value: Any = None, budget: Budget | None = cel.DEFAULT_BUDGET) -> Any:
    program = cel.compile_expression(source, ["self"])
    return cel.to_python(cel.evaluate(program, {"self": value}, budget))


def error_of(source: str, value: Any = None, budget: Budget | None = cel.DEFAULT_BUDGET):
    with pytest.raises(CelEvalError) as info:
        run(source, value, budget)
    return info.value


def test_implemented_library_names_are_not_marked_unsupported():
    program = cel.compile_expression(
        "isURL(self) && url(self).getHost() != '' && quantity('1').isInteger() "
        "&& '%s'.format([1]) != '' && [1].min() == 1",
        ["self"],
    )
    assert program.unsupported == frozenset()
    assert cel.compile_expression("math.abs(self)", ["self"]).unsupported == {"math.abs"}


# --------------------------------------------------------------------------------------------
# Strings and lists


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'%s is %d'.format(['podinfo', 3])", "podinfo is 3"),
        ("'%.2f|%f|%e'.format([2.5, 1, 1234.5])", "2.50|1.000000|1.234500e+03"),
        ("'%x %X %o %b'.format([255, 255, 8, 5])", "ff FF 10 101"),
        ("'%x'.format(['hi'])", "6869"),
        ("'100%% %s'.format([true])", "100% true"),
        ("'%s'.format([[1, 'a']])", "[1, a]"),
        ("'%s'.format([{'k': 1}])", "{k: 1}"),
        ("'%s %s %s'.format([1e6, 0.5, 1.0])", "1e+06 0.5 1"),
        ("'%s'.format([null])", "null"),
        ("[4, 2, 3].min()", 2),
        ("[2.5, 1.5].min()", 1.5),
        ("['b', 'a'].min()", "a"),
        ("[1, 2, 3].sum()", 6),
        ("['a', 'b', 'b'].isSorted()", True),
        ("'a-b-c'.replace('-', '')", "abc"),
    ],
)
def test_strings_and_lists(source: str, expected: Any):
    assert run(source) == expected


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("'%d'.format(['x'])", "decimal clause can only be used on integers"),
        ("'%s %s'.format(['x'])", "index 1 out of range"),
        ("'%5d'.format([1])", "invalid verb"),
        ("'%q'.format([1])", "unrecognized formatting clause `%q`"),
        ("[].min()", "min called on an empty list"),
    ],
)
def test_string_and_list_errors(source: str, fragment: str):
    assert fragment in error_of(source).message


# --------------------------------------------------------------------------------------------
# URLs: Go's net/url, as the Kubernetes library uses it


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("url('https://example.com:8080/a%20b?x=1&y=2&x=3').getScheme()", "https"),
        ("url('HTTPS://example.com').getScheme()", "https"),
        ("url('https://example.com:8080/a%20b?x=1').getHost()", "example.com:8080"),
        ("url('https://example.com:8080/').getHostname()", "example.com"),
        ("url('https://example.com:8080/').getPort()", "8080"),
        ("url('https://example.com/').getPort()", ""),
        ("url('https://[::1]:80/p').getHost()", "[::1]:80"),
        ("url('https://[::1]:80/p').getHostname()", "::1"),
        ("url('https://user:pw@example.com/').getHost()", "example.com"),
        ("url('https://example.com/a%20b').getEscapedPath()", "/a%20b"),
        ("url('https://example.com/a b').getEscapedPath()", "/a%20b"),
        ("url('https://example.com/a%2Fb').getEscapedPath()", "/a%2Fb"),
        ("url('https://example.com/caf\u00e9').getEscapedPath()", "/caf%C3%A9"),
        ("url('/api/v1').getEscapedPath()", "/api/v1"),
        (
            "url('https://example.com/?x=1&y=a+b&x=3&bad=%zz;').getQuery()",
            {"x": ["1", "3"], "y": ["a b"]},
        ),
        ("url('https://example.com/p?x=1#frag').getQuery()", {"x": ["1"]}),
        ("url('https://example.com').getEscapedPath()", ""),
        ("isURL('https://example.com')", True),
        ("isURL('/absolute/path')", True),
        ("isURL('mailto:someone@example.com')", True),
        ("isURL('ftp://')", True),
        ("isURL('example.com')", False),
        ("isURL('')", False),
        ("isURL('https://exa mple.com')", False),
        ("isURL('https://example.com:http/')", False),
        ("isURL('https://example.com/%zz')", False),
        ("isURL('https://[::1/')", False),
        ("isURL(':no-scheme')", False),
        ("isURL('https://example.com/\\t')", False),
    ],
)
def test_urls(source: str, expected: Any):
    assert run(source) == expected


def test_url_errors():
    assert error_of("url('example.com')").message == (
        "URL parse error during conversion from string: invalid URI for request"
    )
    assert "no such overload" in error_of("'x'.getHost()").message
    assert "no such overload" in error_of("url(1)").message


# --------------------------------------------------------------------------------------------
# Quantities: resource.ParseQuantity


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("quantity('1Gi').asInteger()", 1073741824),
        ("quantity('1e3').asInteger()", 1000),
        ("quantity('1k').asInteger()", 1000),
        ("quantity('1000m').asInteger()", 1),
        ("quantity('9E').isInteger()", True),
        ("quantity('10E').isInteger()", False),
        ("quantity('100m').isInteger()", False),
        ("quantity('1.5Ki').isInteger()", False),  # kept as a decimal by Kubernetes
        ("quantity('1.5Ki').asApproximateFloat()", 1536.0),
        ("quantity('500m').compareTo(quantity('1'))", -1),
        ("quantity('1').compareTo(quantity('1000m'))", 0),
        ("quantity('2Gi').compareTo(quantity('2G'))", 1),
        ("quantity('1') == quantity('1000m')", True),
        ("quantity('1Gi').isGreaterThan(quantity('512Mi'))", True),
        ("quantity('1Gi').isLessThan(quantity('512Mi'))", False),
        ("quantity('1k').add(5).asInteger()", 1005),
        ("quantity('1').sub(quantity('250m')).asApproximateFloat()", 0.75),
        ("quantity('-1.5').sign()", -1),
        ("quantity('0').sign()", 0),
        ("quantity('0.1n').asApproximateFloat()", 1e-9),  # rounded up to a nano
        ("quantity('1e100').asApproximateFloat()", 1e100),  # an int64 at scale 100: exact
        ("quantity('12345678901234567890').asApproximateFloat()", float(2**63 - 1)),  # capped
        ("quantity('1e999999999').isGreaterThan(quantity('1E'))", True),
        ("isQuantity('250m')", True),
        ("isQuantity('+1.5Gi')", True),
        ("isQuantity('1e-3')", True),
        ("isQuantity('1Gb')", False),
        ("isQuantity('1.2.3')", False),
        ("isQuantity('')", False),
        ("isQuantity('1 Gi')", False),
    ],
)
def test_quantities(source: str, expected: Any):
    assert run(source) == expected


def test_quantity_errors():
    assert error_of("quantity('100m').asInteger()").message == "cannot convert value to integer"
    assert error_of("quantity('1ki')").message == "unable to parse quantity's suffix"
    assert error_of("quantity('1Gb')").message.startswith("quantities must match")
    assert error_of("quantity('1.2.3')").message.startswith("quantities must match")
    assert "no such overload" in error_of("quantity('1').add('x')").message


# --------------------------------------------------------------------------------------------
# The budget


def steps_needed(source: str, value: Any) -> int:
    """The smallest step budget ``source`` evaluates within (by bisection)."""
    low, high = 1, 50_000
    while low < high:
        middle = (low + high) // 2
        try:
            run(source, value, Budget(steps=middle, seconds=60))
        except CelEvalError as exc:
            assert exc.budget
            low = middle + 1
        else:
            high = middle
    return low


def test_steps_are_counted_through_macros_and_are_deterministic():
    nested = "self.all(a, self.all(b, a + b >= 0))"
    small, large = steps_needed(nested, list(range(6))), steps_needed(nested, list(range(12)))
    assert small > 36  # every iteration of the inner macro counts
    assert 3.5 < large / small < 4.5  # nested macros multiply
    assert steps_needed(nested, list(range(6))) == small  # the same count every time
    error = error_of(nested, list(range(100)), Budget(steps=small))
    assert error.budget and error.message == f"evaluation budget exceeded: more than {small} steps"
    assert run(nested, list(range(30)), None) is True  # no budget, no limit


def test_wall_clock_deadline():
    error = error_of("self.all(a, a >= 0)", list(range(1_000)), Budget(seconds=0.0))
    assert error.budget and "took longer than 0 s" in error.message


def test_values_cannot_grow_without_bound():
    doubling = "['a']" + "".join(f".map(x{i}, x{i} + x{i})" for i in range(25)) + ".size() > 0"
    error = error_of(doubling)
    assert error.budget and "more than 1000000 characters or items" in error.message
    replacing = "'a'" + ".replace('a', 'aaaaaaaaaa')" * 7 + ".size() > 0"
    started = time.perf_counter()
    assert error_of(replacing).budget
    assert time.perf_counter() - started < 1  # refused before the string was built


def test_join_and_format_are_sized():
    big = ["a" * 1000] * 1001
    assert error_of("self.join('')", big).budget
    assert run("self.join('').size()", big[:10]) == 10_000


def test_logical_operators_skip_the_operand_that_does_not_matter():
    expensive = "self.all(a, self.all(b, a + b >= 0))"
    value = list(range(1_000))
    assert run(f"true || {expensive}", value, Budget(steps=100)) is True
    assert run(f"false && {expensive}", value, Budget(steps=100)) is False
    # An error on the left still needs the right operand, as in cel-go.
    assert run("self.missing || true", {}) is True
    assert run("self.missing && false", {}) is False
    assert "no such key" in error_of("self.missing || false", {}).message


def test_a_crd_rule_on_a_large_object_fits_the_default_budget():
    rule = "self.all(i, !has(i.name) || (size(i.name) < 64 && i.name.matches('^[a-z0-9-]+$')))"
    items = [{"name": f"item-{n}"} for n in range(500)]
    assert run(rule, items) is True
