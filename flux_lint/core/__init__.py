"""Shared leaf modules every stage may import: findings and spans, how values are quoted in
messages, RE2 regular expressions, placeholder detection, the shipped data folders, small YAML
helpers for flux-lint's own files and atomic writes.

Nothing here imports another flux-lint package: these are the words the stages speak.
"""
