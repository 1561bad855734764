"""The run: the pipeline from paths to findings, and what wraps it.

``pipeline`` drives the stages in order (load → model → check → report-ready findings);
``cache`` remembers per-file results between runs and ``workers`` spreads per-file work over
processes. The stages never import this package: it wraps them from outside.
"""
