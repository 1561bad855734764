"""Python rule implementations, one module per topic.

Importing this package imports every module in it, so a new module's ``@check`` functions
register without being listed anywhere else.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
