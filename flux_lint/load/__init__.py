"""Stage 1, loading: paths → files → decoded text → YAML documents with positions.

Takes the paths of a run; gives the sorted files of the repository (``discover``), each file's
text or why it cannot be read (``source``), its YAML documents with node positions and its YAML
problems (``yaml``), its inline ``# flux-lint:`` directives (``directives``), and the mapping of
a JSON pointer back to a line and column (``positions``).
"""
