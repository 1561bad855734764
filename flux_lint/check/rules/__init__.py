"""Python rule implementations, one module per topic.

A rule descriptor names the function that implements it (``check: module.function``, or
``repositoryCheck:`` for a repository check); a run imports a module the first time it runs one
of its functions (registry.BoundCheck). :func:`import_all` imports every module, for the tests
that hold descriptors and functions together.
"""

import importlib


def import_all() -> list[str]:
    """Import every rule module (so that each ``@check`` has registered); their names."""
    import pkgutil  # here: every run imports this package, only the tests list its modules

    names = [module.name for module in pkgutil.iter_modules(__path__)]
    for name in names:
        importlib.import_module(f"{__name__}.{name}")
    return names
