"""Stage 4, reporting: findings → what the user sees and what changes on disk.

Takes the sorted findings of a run; gives the output formats (``output/``), fixes applied to
files (``fix``), baselines (``baseline``), rule documentation (``docs``) and the GitHub Action's
job summary (``action_summary``).
"""
