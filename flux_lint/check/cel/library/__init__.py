"""The Kubernetes CEL libraries, one module each, as the API server of Kubernetes 1.34-1.36
offers them: strings (:mod:`.strings`, :mod:`.string_format`), lists (:mod:`.lists`), regex
(:mod:`.regex`), URLs (:mod:`.urls`), quantities (:mod:`.quantity`), IP addresses and CIDRs
(:mod:`.network`), semantic versions (:mod:`.semver`), sets (:mod:`.sets`), named formats
(:mod:`.formats`), optional values (:mod:`.optional`), the authorizer's names
(:mod:`.authz`), base64 (:mod:`.encoders`), and the standard functions cel-python gets wrong
(:mod:`.standard`).

Importing this package registers every function in :data:`flux_lint.check.cel.registry.EXTENSIONS`.
"""

from __future__ import annotations

from flux_lint.check.cel.library import (
    authz,
    compare,
    encoders,
    formats,
    lists,
    network,
    optional,
    quantity,
    regex,
    semver,
    sets,
    standard,
    string_format,
    strings,
    urls,
)

#: The library modules, by the name the documentation uses.
MODULES = {
    "standard": standard,
    "strings": strings,
    "format": string_format,
    "lists": lists,
    "regex": regex,
    "urls": urls,
    "quantity": quantity,
    "compare": compare,
    "network": network,
    "semver": semver,
    "sets": sets,
    "formats": formats,
    "optional": optional,
    "authz": authz,
    "encoders": encoders,
}
