"""Values that are not final in the repository: Flux post-build placeholders and SOPS ciphertext.

Such values must not be checked against types, enums, patterns or formats: ``replicas: ${N}`` is a
string here and an integer after kustomize-controller substitutes it, and ``ENC[AES256_GCM,...]``
is whatever it decrypts to.
"""

from __future__ import annotations

import re

from flux_lint.core.regex import lazy

#: ``${VAR}``, ``${VAR:=default}``, ``${VAR:-default}`` and the shell-only forms; ``$${VAR}`` is
#: an escaped literal and is not a placeholder.
PLACEHOLDER = lazy(r"(?<!\$)\$\{[^{}]*\}")
SOPS_VALUE = lazy(r"^ENC\[[A-Z0-9_]+,data:.*\]$", re.DOTALL)


def has_placeholder(value: str) -> bool:
    return "${" in value and PLACEHOLDER.search(value) is not None


def is_sops_value(value: str) -> bool:
    return value.startswith("ENC[") and SOPS_VALUE.match(value) is not None


def is_unresolved(value: object) -> bool:
    """True for a string whose final value is not known statically."""
    return isinstance(value, str) and (has_placeholder(value) or is_sops_value(value))
