"""The Kubernetes authorizer library's names, so that a rule naming them fails the way it
fails on a cluster: with an error, never a crash.

``authorizer.group('apps').resource('deployments').check('create').allowed()`` and friends
work only where the API server binds an ``authorizer`` variable (admission policies, not CRD
validation rules and not flux-lint's user rules), and flux-lint never has one. The names are
declared so that an expression compiles as far as it would on a cluster (the missing
``authorizer`` variable is reported as an undeclared reference); applied to anything, they
evaluate to a ``no such overload`` error, because no value of the authorizer's types exists.
"""

from __future__ import annotations

from typing import Any

from flux_lint.check.cel.registry import EXTENSIONS, CelFunction, no_overload

#: The methods of ``Authorizer``, ``PathCheck``, ``ResourceCheck`` and ``Decision``
#: (including the field and label selector methods of Kubernetes 1.31).
NAMES = (
    "path", "group", "serviceAccount", "resource", "subresource", "namespace", "name",
    "check", "errored", "error", "allowed", "reason", "fieldSelector", "labelSelector",
)  # fmt: skip


def _stub(name: str) -> CelFunction:
    def method(*args: Any) -> Any:
        return no_overload(name, *args)

    return method


for _name in NAMES:
    EXTENSIONS[_name] = _stub(_name)
