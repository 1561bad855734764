"""The Kubernetes CEL library in flux_lint.check.cel (format, URLs, quantities, lists) and the
evaluation budget that keeps a bad rule from hanging a run."""

from __future__ import annotations

import re
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
        ("quantity('12345678901234567890').asApproximateFloat()", 12345678901234567890.0),
        ("quantity('100000000Ei').asApproximateFloat()", float(2**63 - 1)),  # binary: capped
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


# --------------------------------------------------------------------------------------------
# Every function of the Kubernetes CEL libraries, with the examples of their documentation
# (kubernetes.io "Common Expression Language in Kubernetes", the godoc of
# k8s.io/apiserver/pkg/cel/library and of cel-go's extensions): each function has cases that
# pass (a value) and cases that fail (false, none, or an error), and a test checks that none is
# left out.


class Err:
    """An expected evaluation error whose message contains ``fragment``."""

    def __init__(self, fragment: str) -> None:
        self.fragment = fragment

    def __repr__(self) -> str:
        return f"Err({self.fragment!r})"


LABEL_ERROR = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN_ERROR = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
DNS1035_ERROR = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
    "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
QUALIFIED_ERROR = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
    "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_ERROR = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)

AUTHZ_NAMES = (
    "path", "group", "serviceAccount", "resource", "subresource", "namespace", "name",
    "check", "errored", "error", "allowed", "reason", "fieldSelector", "labelSelector",
)  # fmt: skip

LIBRARY_CASES: dict[str, list[tuple[str, Any]]] = {
    "standard": [
        ("size('hello')", 5),
        ("size(null)", Err("no such overload: size(null_type)")),
        ("'hello'.matches('^h')", True),
        ("'hello'.matches('^e')", False),
        ("'hello'.matches('(')", Err("invalid regular expression")),
    ],
    "strings": [
        ("'hello'.charAt(4)", "o"),
        ("'hello'.charAt(5)", ""),
        ("'hello'.charAt(-1)", Err("index out of range: -1")),
        ("'hello mellow'.indexOf('')", 0),
        ("'hello mellow'.indexOf('ello')", 1),
        ("'hello mellow'.indexOf('jello')", -1),
        ("'hello mellow'.indexOf('', 2)", 2),
        ("'hello mellow'.indexOf('ello', 2)", 7),
        ("'hello mellow'.indexOf('ello', 20)", -1),
        ("'hello mellow'.indexOf('ello', -1)", Err("index out of range: -1")),
        ("[1, 2, 2, 3].indexOf(2)", 1),
        ("[1.0].indexOf(1.1)", -1),
        ("[].indexOf('string')", -1),
        ("'hello mellow'.lastIndexOf('')", 12),
        ("'hello mellow'.lastIndexOf('ello')", 7),
        ("'hello mellow'.lastIndexOf('jello')", -1),
        ("'hello mellow'.lastIndexOf('ello', 6)", 1),
        ("'hello mellow'.lastIndexOf('ello', 20)", -1),
        ("'hello mellow'.lastIndexOf('ello', -1)", Err("index out of range: -1")),
        ("['a', 'b', 'b', 'c'].lastIndexOf('b')", 2),
        ("'TacoCat'.lowerAscii()", "tacocat"),
        ("'TacoCÆt Xii'.lowerAscii()", "tacocÆt xii"),
        ("lowerAscii(1)", Err("no such overload: lowerAscii")),
        ("'TacoCat'.upperAscii()", "TACOCAT"),
        ("'TacoCÆt Xii'.upperAscii()", "TACOCÆT XII"),
        ("upperAscii(1)", Err("no such overload: upperAscii")),
        ("'hello hello'.replace('he', 'we')", "wello wello"),
        ("'hello hello'.replace('he', 'we', -1)", "wello wello"),
        ("'hello hello'.replace('he', 'we', 1)", "wello hello"),
        ("'hello hello'.replace('he', 'we', 0)", "hello hello"),
        ("'hello hello'.replace('', '_')", "_h_e_l_l_o_ _h_e_l_l_o_"),
        ("'hello hello'.replace('h', '')", "ello ello"),
        ("'hello'.replace(1, 'x')", Err("no such overload: replace")),
        ("'hello hello hello'.split(' ')", ["hello", "hello", "hello"]),
        ("'hello hello hello'.split(' ', 0)", []),
        ("'hello hello hello'.split(' ', 1)", ["hello hello hello"]),
        ("'hello hello hello'.split(' ', 2)", ["hello", "hello hello"]),
        ("'hello hello hello'.split(' ', -1)", ["hello", "hello", "hello"]),
        ("'hello'.split(1)", Err("no such overload: split")),
        ("'tacocat'.substring(4)", "cat"),
        ("'tacocat'.substring(0, 4)", "taco"),
        ("'tacocat'.substring(-1)", Err("index out of range: -1")),
        ("'tacocat'.substring(2, 1)", Err("invalid substring range. start: 2, end: 1")),
        ("'  \\ttrim\\n    '.trim()", "trim"),
        ("trim(1)", Err("no such overload: trim")),
        ("['hello', 'mellow'].join()", "hellomellow"),
        ("['hello', 'mellow'].join(' ')", "hello mellow"),
        ("[].join()", ""),
        ("[].join('/')", ""),
        ("[1, 2].join()", Err("no such overload: join")),
        ("'gums'.reverse()", "smug"),
        ("'John Smith'.reverse()", "htimS nhoJ"),
        ("[5, 3, 1, 2].reverse()", [2, 1, 3, 5]),
        ("reverse(1)", Err("no such overload: reverse")),
        (
            "strings.quote('single-quote with \"double quote\"')",
            '"single-quote with \\"double quote\\""',
        ),
        ('strings.quote("two escape sequences \\a\\n")', '"two escape sequences \\a\\n"'),
        ("strings.quote(1)", Err("no such overload: strings.quote")),
    ],
    "format": [
        (
            '"this is a string: %s\\nand an integer: %d".format(["str", 42])',
            "this is a string: str\nand an integer: 42",
        ),
        (
            '"a double substituted with %%s: %s".format([64.2])',
            "a double substituted with %s: 64.2",
        ),
        (
            '"timestamp: %s".format([timestamp("2023-02-03T23:31:20+00:00")])',
            "timestamp: 2023-02-03T23:31:20Z",
        ),
        ('"duration: %s".format([duration("1h45m47s")])', "duration: 6347s"),
        ('"%f".format([3.14])', "3.140000"),
        ('"5 in binary: %b".format([5])', "5 in binary: 101"),
        ('"26 in hex: %x".format([26])', "26 in hex: 1a"),
        ('"26 in hex (uppercase): %X".format([26])', "26 in hex (uppercase): 1A"),
        ('"30 in octal: %o".format([30])', "30 in octal: 36"),
        (
            '"true bool: %s - false bool: %s\\nbinary bool: %b".format([true, false, true])',
            "true bool: true - false bool: false\nbinary bool: 1",
        ),
        ('"%b".format(["a string"])', Err("only integers and bools can be formatted as binary")),
        ('"%d %d %d".format([1, 2])', Err("index 2 out of range")),
    ],
    "regex": [
        ("'abc 123'.find('[0-9]+')", "123"),
        # The godoc says '123' for '[0-9]*'; Go's leftmost match is the empty one at 0.
        ("'abc 123'.find('[0-9]*')", ""),
        ("'abc 123'.find('xyz')", ""),
        ("'abc'.find('(')", Err("invalid regular expression")),
        ("'123 abc 456'.findAll('[0-9]+')", ["123", "456"]),
        ("'123 abc 456'.findAll('[0-9]+', 1)", ["123"]),
        ("'123 abc 456'.findAll('xyz')", []),
        ("'1, 2, 3, 4'.findAll('[0-9]*')", ["1", "", "2", "", "3", "", "4"]),
        ("'1, 2, 3, 4'.findAll('[0-9]*').map(x, int(x)).sum() < 100", Err("")),
        ("'abc'.findAll('(')", Err("invalid regular expression")),
    ],
    "lists": [
        ("[1, 2, 3].isSorted()", True),
        ("['a', 'b', 'b', 'c'].isSorted()", True),
        ("[2.0, 1.0].isSorted()", False),
        ("[1].isSorted() && [].isSorted()", True),
        ("[1, 3].sum()", 4),
        ("[1.0, 3.0].sum()", 4.0),
        ("[duration('1m'), duration('1s')].sum() == duration('1m1s')", True),
        ("[].sum()", 0),
        ("['a', 1].sum()", Err("no such overload: sum")),
        ("[1, 3].min()", 1),
        ("[1].min()", 1),
        ("[].min()", Err("min called on an empty list")),
        ("[1, 3].max()", 3),
        ("[].max()", Err("max called on an empty list")),
        ("[1, 2, 3, 4].slice(1, 3)", [2, 3]),
        ("[1, 2, 3, 4].slice(2, 4)", [3, 4]),
        ("[1, 2, 3, 4].slice(3, 1)", Err("start index must be less than or equal to end index")),
        ("[1, 2].slice(0, 3)", Err("cannot slice(0, 3), list is length 2")),
        ("[1, [2, 3], [4]].flatten()", [1, 2, 3, 4]),
        ("[1, [2, [3, 4]]].flatten()", [1, 2, [3, 4]]),
        ("[1, 2, [], [], [3, 4]].flatten()", [1, 2, 3, 4]),
        ("[1, [2, [3, [4]]]].flatten(2)", [1, 2, 3, [4]]),
        ("[1, [2, [3, [4]]]].flatten(-1)", Err("level must be non-negative")),
        ("[1, 2, 2, 3, 3, 3].distinct()", [1, 2, 3]),
        ("['b', 'b', 'c', 'a', 'c'].distinct()", ["b", "c", "a"]),
        ("[1, 'b', 2, 'b'].distinct()", [1, "b", 2]),
        ("'abc'.distinct()", Err("no such overload: distinct")),
        ("[3, 2, 1].sort()", [1, 2, 3]),
        ("['b', 'c', 'a'].sort()", ["a", "b", "c"]),
        ("[1, 'b'].sort()", Err("list elements must have the same type")),
        ("[[1, 2, 3]].sort()", Err("list elements must be comparable")),
        (
            "[{'name': 'foo', 'score': 0}, {'name': 'bar', 'score': -10}, "
            "{'name': 'baz', 'score': 1000}].sortBy(e, e.score).map(e, e.name)",
            ["bar", "foo", "baz"],
        ),
        ("[{'a': 1}, {'a': 'x'}].sortBy(e, e.a)", Err("list elements must have the same type")),
        ("lists.range(5)", [0, 1, 2, 3, 4]),
        ("lists.range('x')", Err("no such overload: lists.range")),
    ],
    "urls": [
        ("isURL('https://user:pass@example.com:80/path?query=val#fragment')", True),
        ("isURL('/absolute-path')", True),
        ("isURL('https://a:b:c/')", False),
        ("isURL('../relative-path')", False),
        ("url('/absolute-path').getEscapedPath()", "/absolute-path"),
        ("url('https://a:b:c/')", Err("URL parse error during conversion from string")),
        ("url('../relative-path')", Err("invalid URI for request")),
        ("url('/path').getScheme()", ""),
        ("url('https://example.com/').getScheme()", "https"),
        ("getScheme('https://example.com/')", Err("no such overload: getScheme")),
        ("url('https://example.com:80/').getHost()", "example.com:80"),
        ("url('https://example.com/').getHost()", "example.com"),
        ("url('https://[::1]:80/').getHost()", "[::1]:80"),
        ("url('https://[::1]/').getHost()", "[::1]"),
        ("url('/path').getHost()", ""),
        ("getHost('https://example.com/')", Err("no such overload: getHost")),
        ("url('https://example.com:80/').getHostname()", "example.com"),
        ("url('https://127.0.0.1:80/').getHostname()", "127.0.0.1"),
        ("url('https://[::1]:80/').getHostname()", "::1"),
        ("url('/path').getHostname()", ""),
        ("getHostname('/path')", Err("no such overload: getHostname")),
        ("url('https://example.com:80/').getPort()", "80"),
        ("url('https://example.com/').getPort()", ""),
        ("url('/path').getPort()", ""),
        ("getPort('/path')", Err("no such overload: getPort")),
        ("url('https://example.com/path').getEscapedPath()", "/path"),
        ("url('https://example.com/path with spaces/').getEscapedPath()", "/path%20with%20spaces/"),
        ("url('https://example.com').getEscapedPath()", ""),
        ("getEscapedPath('/path')", Err("no such overload: getEscapedPath")),
        (
            "url('https://example.com/path?k1=a&k2=b&k2=c').getQuery()",
            {"k1": ["a"], "k2": ["b", "c"]},
        ),
        (
            "url('https://example.com/path?key with spaces=value with spaces').getQuery()",
            {"key with spaces": ["value with spaces"]},
        ),
        ("url('https://example.com/path?').getQuery()", {}),
        ("url('https://example.com/path').getQuery()", {}),
        ("getQuery('/path')", Err("no such overload: getQuery")),
    ],
    "quantity": [
        ("isQuantity('1.3G')", True),
        ("isQuantity('1.3Gi')", True),
        ("isQuantity('1,3G')", False),
        ("isQuantity('10000k')", True),
        ("isQuantity('200K')", False),
        ("isQuantity('Three')", False),
        # The godoc says false; ParseQuantity reads a suffix without digits as zero.
        ("isQuantity('Mi')", True),
        ("quantity('1.5G').asApproximateFloat()", 1.5e9),
        ("quantity('200K')", Err("unable to parse quantity's suffix")),
        ("quantity('Three')", Err("quantities must match the regular expression")),
        ("quantity('500000G').isInteger()", True),
        ("quantity('50k').asInteger()", 50000),
        ("quantity('9999999999999999999999999999999999999G').isInteger()", False),
        (
            "quantity('9999999999999999999999999999999999999G').asInteger()",
            Err("cannot convert value to integer"),
        ),
        ("quantity('9999999999999999999999999999999999999G').asApproximateFloat()", 1e46),
        ("asApproximateFloat('1')", Err("no such overload: asApproximateFloat")),
        ("quantity('50k').add(quantity('20k')) == quantity('70k')", True),
        ("quantity('50k').add(20) == quantity('50020')", True),
        ("quantity('50k').add('20k')", Err("no such overload: add")),
        ("quantity('50k').sub(20000) == quantity('30k')", True),
        ("quantity('50k').add(20).sub(quantity('100k')).sub(-50000) == quantity('20')", True),
        ("quantity('50k').sub('20k')", Err("no such overload: sub")),
        ("quantity('200M').compareTo(quantity('0.2G'))", 0),
        ("quantity('50M').compareTo(quantity('100M'))", -1),
        ("quantity('1').compareTo(1)", Err("no such overload: compareTo")),
        ("quantity('150Mi').isGreaterThan(quantity('100Mi'))", True),
        ("quantity('50Mi').isGreaterThan(quantity('100Mi'))", False),
        ("quantity('50M').isLessThan(quantity('100M'))", True),
        ("quantity('100M').isLessThan(quantity('50M'))", False),
        ("quantity('-1').sign()", -1),
        ("quantity('0').sign()", 0),
        ("quantity('1').sign()", 1),
        ("sign(1)", Err("no such overload: sign")),
    ],
    "network": [
        ("string(ip('127.0.0.1'))", "127.0.0.1"),
        ("string(ip('::1'))", "::1"),
        ("ip('127.0.0.256')", Err('IP Address "127.0.0.256" parse error during conversion')),
        ("ip(':::1')", Err("parse error during conversion from string")),
        ("ip('::ffff:1.2.3.4')", Err('IPv4-mapped IPv6 address "::ffff:1.2.3.4" is not allowed')),
        ("ip('fe80::1%eth0')", Err('IP address "fe80::1%eth0" with zone value is not allowed')),
        ("ip('127.0.0.01')", Err("parse error")),
        ("isIP('127.0.0.1')", True),
        ("isIP('::1')", True),
        ("isIP('127.0.0.256')", False),
        ("isIP(':::1')", False),
        ("ip.isCanonical('127.0.0.1')", True),
        ("ip.isCanonical('2001:db8::abcd')", True),
        ("ip.isCanonical('2001:DB8::ABCD')", False),
        ("ip.isCanonical('2001:db8::0:0:0:abcd')", False),
        ("ip.isCanonical('127.0.0.1.0')", Err("parse error")),
        ("ip('127.0.0.1').family()", 4),
        ("ip('::1').family()", 6),
        ("family('::1')", Err("no such overload: family")),
        ("ip('0.0.0.0').isUnspecified()", True),
        ("ip('127.0.0.1').isUnspecified()", False),
        ("ip('::').isUnspecified()", True),
        ("ip('::1').isUnspecified()", False),
        ("ip('127.0.0.1').isLoopback()", True),
        ("ip('192.168.0.1').isLoopback()", False),
        ("ip('::1').isLoopback()", True),
        ("ip('2001:db8::abcd').isLoopback()", False),
        ("ip('224.0.0.1').isLinkLocalMulticast()", True),
        ("ip('224.0.1.1').isLinkLocalMulticast()", False),
        ("ip('ff02::1').isLinkLocalMulticast()", True),
        ("ip('fd00::1').isLinkLocalMulticast()", False),
        ("ip('169.254.169.254').isLinkLocalUnicast()", True),
        ("ip('192.168.0.1').isLinkLocalUnicast()", False),
        ("ip('fe80::1').isLinkLocalUnicast()", True),
        ("ip('fd80::1').isLinkLocalUnicast()", False),
        ("ip('192.168.0.1').isGlobalUnicast()", True),
        ("ip('255.255.255.255').isGlobalUnicast()", False),
        ("ip('2001:db8::abcd').isGlobalUnicast()", True),
        ("ip('ff00::1').isGlobalUnicast()", False),
        ("isGlobalUnicast('1.2.3.4')", Err("no such overload: isGlobalUnicast")),
        ("string(cidr('192.168.0.0/16'))", "192.168.0.0/16"),
        ("string(cidr('::1/128'))", "::1/128"),
        ("cidr('192.168.0.0/33')", Err("prefix length out of range")),
        ("cidr('::1/129')", Err("prefix length out of range")),
        ("cidr('192.168.0.0/016')", Err("bad bits after slash")),
        ("cidr('::ffff:1.2.3.4/120')", Err("IPv4-mapped IPv6 address")),
        ("isCIDR('192.168.0.0/16')", True),
        ("isCIDR('::1/128')", True),
        ("isCIDR('192.168.0.0/33')", False),
        ("isCIDR('::1/129')", False),
        ("cidr('192.168.0.0/24').containsIP(ip('192.168.0.1'))", True),
        ("cidr('192.168.0.0/24').containsIP(ip('192.168.1.1'))", False),
        ("cidr('192.168.0.0/24').containsIP('192.168.0.1')", True),
        ("cidr('192.168.0.0/24').containsIP('192.168.1.1')", False),
        ("cidr('192.168.0.0/24').containsIP(ip('::1'))", False),
        ("cidr('192.168.0.0/24').containsIP('x')", Err("parse error")),
        ("cidr('192.168.0.0/16').containsCIDR(cidr('192.168.10.0/24'))", True),
        ("cidr('192.168.1.0/24').containsCIDR(cidr('192.168.2.0/24'))", False),
        ("cidr('192.168.0.0/16').containsCIDR('192.168.10.0/24')", True),
        ("cidr('192.168.1.0/24').containsCIDR('192.168.2.0/24')", False),
        ("cidr('192.168.1.0/24').containsCIDR('192.168.0.0/16')", False),
        ("cidr('192.168.1.0/24').containsCIDR(1)", Err("no such overload: containsCIDR")),
        ("cidr('192.168.0.1/24').ip() == ip('192.168.0.1')", True),
        ("cidr('192.168.0.1/24').ip().family()", 4),
        ("cidr('::1/128').ip() == ip('::1')", True),
        ("cidr('::1/128').ip().family()", 6),
        ("cidr('192.168.0.0/24').masked() == cidr('192.168.0.0/24')", True),
        ("cidr('192.168.0.1/24').masked() == cidr('192.168.0.0/24')", True),
        ("cidr('192.168.0.0/24') == cidr('192.168.0.0/24').masked()", True),
        ("cidr('192.168.0.1/24') == cidr('192.168.0.1/24').masked()", False),
        ("masked(ip('1.2.3.4'))", Err("no such overload: masked")),
        ("cidr('192.168.0.0/16').prefixLength()", 16),
        ("cidr('::1/128').prefixLength()", 128),
        ("prefixLength(ip('::1'))", Err("no such overload: prefixLength")),
    ],
    "semver": [
        ("string(semver('1.0.0'))", "1.0.0"),
        ("string(semver('0.1.0-alpha.1'))", "0.1.0-alpha.1"),
        ("semver('200K')", Err("No Major.Minor.Patch elements found")),
        ("semver('Three')", Err("No Major.Minor.Patch elements found")),
        ("semver('Mi')", Err("No Major.Minor.Patch elements found")),
        ("semver('v1.0.0', true) == semver('1.0.0')", True),
        ("semver('1.0', true) == semver('1.0.0')", True),
        ("semver('01.01.01', true) == semver('1.1.1')", True),
        ("semver('1-rc', true)", Err("short version cannot contain PreRelease/Build meta data")),
        ("semver('1.01.0')", Err('Minor number must not contain leading zeroes "01"')),
        ("isSemver('1.0.0')", True),
        ("isSemver('hello')", False),
        ("isSemver('v1.0')", False),
        ("isSemver('v1.0', true)", True),
        ("isSemver('1.0.0-01')", False),
        ("semver('1.2.3').major()", 1),
        ("major('1.2.3')", Err("no such overload: major")),
        ("semver('1.2.3').minor()", 2),
        ("minor('1.2.3')", Err("no such overload: minor")),
        ("semver('1.2.3').patch()", 3),
        ("patch('1.2.3')", Err("no such overload: patch")),
        ("semver('1.2.3').compareTo(semver('1.2.3'))", 0),
        ("semver('1.2.3').compareTo(semver('2.0.0'))", -1),
        ("semver('1.2.3').compareTo(semver('0.1.2'))", 1),
        ("semver('1.0.0-alpha.1').compareTo(semver('1.0.0-alpha.beta'))", -1),
        ("semver('1.0.0+build.1').compareTo(semver('1.0.0+build.2'))", 0),
        ("semver('1.2.3').compareTo('1.2.3')", Err("no such overload: compareTo")),
        ("semver('2.0.0').isGreaterThan(semver('1.9.9'))", True),
        ("semver('1.0.0-rc.1').isGreaterThan(semver('1.0.0'))", False),
        ("semver('1.0.0-rc.1').isLessThan(semver('1.0.0'))", True),
        ("semver('1.0.0').isLessThan(semver('1.0.0'))", False),
    ],
    "sets": [
        ("sets.contains([], [])", True),
        ("sets.contains([], [1])", False),
        ("sets.contains([1, 2, 3, 4], [2, 3])", True),
        ("sets.contains([1, 2.0, 3u], [1.0, 2u, 3])", True),
        ("sets.contains(1, [1])", Err("no such overload: sets.contains")),
        ("sets.equivalent([], [])", True),
        ("sets.equivalent([1], [1, 1])", True),
        ("sets.equivalent([1], [1u, 1.0])", True),
        ("sets.equivalent([1, 2, 3], [3u, 2.0, 1])", True),
        ("sets.equivalent([1, 2], [2, 2, 2])", False),
        ("sets.intersects([1], [])", False),
        ("sets.intersects([1], [1, 2])", True),
        ("sets.intersects([[1], [2, 3]], [[1, 2], [2, 3.0]])", True),
    ],
    "formats": [
        ("format.dns1123Label().validate('my-label-name').hasValue()", False),
        ("format.dns1123Label().validate('contains a space').value()", [LABEL_ERROR]),
        ("format.dns1123Label().validate('a.b').value()", ["must not contain dots"]),
        ("format.dns1123Subdomain().validate('apiextensions.k8s.io').hasValue()", False),
        ("format.dns1123Subdomain().validate('contains a space').value()", [SUBDOMAIN_ERROR]),
        ("format.dns1035Label().validate('my-label-name').hasValue()", False),
        ("format.dns1035Label().validate('contains a space').value()", [DNS1035_ERROR]),
        ("format.qualifiedName().validate('apiextensions.k8s.io/v1beta1').hasValue()", False),
        ("format.qualifiedName().validate('my.name').hasValue()", False),
        ("format.qualifiedName().validate('contains a space').value()", [QUALIFIED_ERROR]),
        ("format.dns1123LabelPrefix().validate('my-label-prefix-').hasValue()", False),
        ("format.dns1123LabelPrefix().validate('contains a space-').value()", [LABEL_ERROR]),
        ("format.dns1123SubdomainPrefix().validate('mysubdomain.prefix.-').hasValue()", False),
        (
            "format.dns1123SubdomainPrefix().validate('contains a space-').value()",
            [SUBDOMAIN_ERROR],
        ),
        ("format.dns1035LabelPrefix().validate('my-label-prefix-').hasValue()", False),
        ("format.dns1035LabelPrefix().validate('contains a space-').value()", [DNS1035_ERROR]),
        ("format.labelValue().validate('my_value').hasValue()", False),
        ("format.labelValue().validate('-x').value()", [LABEL_VALUE_ERROR]),
        ("format.uri().validate('http://example.com').hasValue()", False),
        (
            "format.uri().validate('example.com').value()",
            ['parse "example.com": invalid URI for request'],
        ),
        ("format.uuid().validate('123e4567-e89b-12d3-a456-426614174000').hasValue()", False),
        ("format.uuid().validate('123e4567').value()", ["does not match the UUID format"]),
        ("format.byte().validate('aGVsbG8=').hasValue()", False),
        ("format.byte().validate('aGVsbG8').value()", ["invalid base64"]),
        ("format.date().validate('2021-01-01').hasValue()", False),
        ("format.date().validate('2020-01-32').value()", ["invalid date"]),
        ("format.datetime().validate('2021-01-01T00:00:00Z').hasValue()", False),
        ("format.datetime().validate('2020-01-32T00:00:00Z').value()", ["invalid datetime"]),
        ("format.named('dns1123Label').value().validate('a').hasValue()", False),
        ("format.named('unknown').hasValue()", False),
        ("format.named(1)", Err("no such overload: format.named")),
        ("format.uuid().validate(1)", Err("no such overload: validate")),
    ],
    "optional": [
        ("optional.of(10).value()", 10),
        ("optional.of(10) == optional.none()", False),
        ("optional.ofNonZeroValue([1, 2, 3]).hasValue()", True),
        ("optional.ofNonZeroValue([]).hasValue()", False),
        ("optional.ofNonZeroValue(0).hasValue() || optional.ofNonZeroValue('').hasValue()", False),
        ("optional.none().hasValue()", False),
        ("optional.none() == optional.none()", True),
        ("optional.of(b'hello').hasValue()", True),
        ("optional.ofNonZeroValue({}).hasValue()", False),
        ("hasValue(1)", Err("no such overload: hasValue")),
        ("optional.of(b'hello').value()", b"hello"),
        ("optional.ofNonZeroValue({}).value()", Err("optional.none() dereference")),
        ("optional.none().or(optional.of(1)).value()", 1),
        ("optional.of(2).or(optional.of(1)).value()", 2),
        ("optional.none().or(optional.none()).hasValue()", False),
        ("optional.none().orValue(42)", 42),
        ("optional.of(1).orValue(42)", 1),
        ("orValue(1, 2)", Err("no such overload: orValue")),
        ("optional.of(2).optMap(x, x * 2).value()", 4),
        ("optional.none().optMap(x, x * 2).hasValue()", False),
        ("optional.of(2).optFlatMap(x, optional.of(x + 1)).value()", 3),
        ("optional.of(2).optFlatMap(x, optional.none()).hasValue()", False),
        ("optional.of(2).optFlatMap(x, x)", Err("no such overload: optFlatMap")),
        ("optional.unwrap([optional.of(42), optional.none()])", [42]),
        ("optional.unwrap([])", []),
        ("optional.unwrap([1])", Err("no such overload: optional.unwrap")),
        ("[optional.of(42), optional.none()].unwrapOpt()", [42]),
        ("[1].unwrapOpt()", Err("no such overload: optional.unwrap")),
        ("[1, 2].first().value()", 1),
        ("[].first().hasValue()", False),
        ("[1, 2].last().value()", 2),
        ("[].last().hasValue()", False),
        ("{'a': {'b': 1}}.?a.?b.orValue(0)", 1),
        ("{'a': {}}.?a.?b.orValue(0)", 0),
        ("{'a': {}}.?a.b.orValue(0)", 0),  # an optional selection is viral
        ("{'a': 1}[?'a'].value()", 1),
        ("[1, 2][?5].hasValue()", False),
        ("[?optional.of(1), ?optional.none(), 3]", [1, 3]),
        ("{?'a': optional.of(1), ?'b': optional.none()}", {"a": 1}),
        ("[?1]", Err("no such overload: optional list item")),
    ],
    "comprehensions": [
        ("[1, 2, 3].all(i, j, i < j)", True),
        ("{'hello': 'world', 'taco': 'taco'}.all(k, v, k != v)", False),
        (
            "{'h': ['hello', 'hi'], 'j': ['joke', 'jog']}.all(k, vals, vals.all(v,"
            " v.startsWith(k)))",
            True,
        ),
        (
            "{'greeting': 'hello', 'farewell': 'goodbye'}.exists(k, v, k.startsWith('good') ||"
            " v.endsWith('bye'))",
            True,
        ),
        ("[1, 2, 4, 8, 16].exists(i, v, v == 1024 && i == 10)", False),
        ("[1, 2, 1, 3, 1, 4].existsOne(i, v, i == 1 || v == 1)", False),
        ("[1, 1, 2, 2, 3, 3].existsOne(i, v, i == 2 && v == 2)", True),
        ("{'i': 0, 'j': 1, 'k': 2}.existsOne(i, v, i == 'l' || v == 1)", True),
        ("[1, 2, 2].existsOne(i, i < 2)", True),
        ("[1, 2].existsOne(i, v, v.missing)", Err("does not support field selection")),
        (
            "[1, 2, 3].transformList(indexVar, valueVar, (indexVar * valueVar) + valueVar)",
            [1, 4, 9],
        ),
        (
            "[1, 2, 3].transformList(indexVar, valueVar, indexVar % 2 == 0, (indexVar * valueVar)"
            " + valueVar)",
            [1, 9],
        ),
        (
            "{'greeting': 'hello', 'farewell': 'goodbye'}.transformList(k, _, k)",
            ["greeting", "farewell"],
        ),
        (
            "{'greeting': 'hello', 'farewell': 'goodbye'}.transformList(_, v, v)",
            ["hello", "goodbye"],
        ),
        ("[1].transformList(i, v, 'x', v)", Err("filter is not a bool")),
        (
            "[1, 2, 3].transformMap(indexVar, valueVar, (indexVar * valueVar) + valueVar)",
            {0: 1, 1: 4, 2: 9},
        ),
        (
            "[1, 2, 3].transformMap(indexVar, valueVar, indexVar % 2 == 0, (indexVar * valueVar)"
            " + valueVar)",
            {0: 1, 2: 9},
        ),
        ("{'greeting': 'hello'}.transformMap(k, v, v + '!')", {"greeting": "hello!"}),
        ("'x'.transformMap(k, v, v)", Err("no such overload: transformMap on string")),
        (
            "{'greeting': 'hello'}.transformMapEntry(keyVar, valueVar, {valueVar: keyVar})",
            {"hello": "greeting"},
        ),
        (
            "[1, 2, 3].transformMapEntry(indexVar, valueVar, {valueVar: indexVar})",
            {1: 0, 2: 1, 3: 2},
        ),
        (
            "{'greeting': 'aloha', 'farewell': 'aloha'}.transformMapEntry(keyVar, valueVar,"
            " {valueVar: keyVar})",
            Err("insert failed: key aloha already exists"),
        ),
    ],
    "encoders": [
        ("base64.decode('aGVsbG8=')", b"hello"),
        ("base64.decode('aGVsbG8')", b"hello"),
        ("base64.decode('a$')", Err("illegal base64 data")),
        ("base64.encode(b'hello')", "aGVsbG8="),
        ("base64.encode('hello')", Err("no such overload: base64.encode")),
    ],
    "authz": [(f"{name}('x')", Err(f"no such overload: {name}(string)")) for name in AUTHZ_NAMES],
}

_CALL = re.compile(r"(?:\b([a-z0-9]+)\.)?([A-Za-z_]\w*)\s*\(")
_MACRO_NAMES = {
    "sortBy", "optMap", "optFlatMap", "existsOne", "transformList", "transformMap",
    "transformMapEntry",
}  # fmt: skip


def _called(source: str) -> set[str]:
    """The library names an expression calls (``sets.contains``, ``lowerAscii`` ...)."""
    names = set(cel.EXTENSIONS) | _MACRO_NAMES
    found = set()
    for namespace, name in _CALL.findall(source):
        qualified = f"{namespace}.{name}"
        found.add(qualified if namespace and qualified in names else name)
    return found & names


def _cases() -> list[tuple[str, str, Any]]:
    return [(lib, source, want) for lib, cases in LIBRARY_CASES.items() for source, want in cases]


@pytest.mark.parametrize(("library", "source", "expected"), _cases())
def test_kubernetes_library(library: str, source: str, expected: Any):
    if isinstance(expected, Err):
        error = error_of(source)
        assert expected.fragment in error.message
        assert not error.unsupported and not error.budget
    else:
        result = run(source)
        assert result == expected and type(result) is type(expected)


def test_every_library_function_has_passing_and_failing_cases():
    passing: set[str] = set()
    failing: set[str] = set()
    for _library, source, expected in _cases():
        called = _called(source)
        if isinstance(expected, Err) or expected is False or (expected == [] and "first" in source):
            failing |= called
        if not isinstance(expected, Err):
            passing |= called
    # `of` is `or` under the name the embedded-expression check compiles it with.
    functions = (set(cel.EXTENSIONS) - cel.KUBERNETES_LIBRARY - {"of"}) | _MACRO_NAMES
    from flux_lint.check.cel.library import authz

    assert functions - failing == set()
    assert functions - set(authz.NAMES) - passing == set()  # the authorizer's give no values


def test_every_library_module_is_documented_in_the_user_guide():
    from pathlib import Path

    guide = (Path(__file__).parent.parent / "docs" / "user-rules.md").read_text(encoding="utf-8")
    functions = (set(cel.EXTENSIONS) - cel.KUBERNETES_LIBRARY - {"of"}) | _MACRO_NAMES
    missing = sorted(name for name in functions if f"`{name}`" not in guide)
    assert missing == []
