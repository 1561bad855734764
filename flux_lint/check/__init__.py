"""Stage 3, checking: rules run on objects and on the repository model, and give problems.

Takes objects and the model; gives findings. The rule registry (descriptors from ``rules/``),
the check context, the engine that runs every enabled rule (``engine``), schema validation
(``schema/``), CEL (``cel/``), the API lifecycle table (``lifecycle``), user rules, and the
Python halves of the rules (``rules/``).
"""
