"""flux-lint: a static linter and migration checker for Flux CD GitOps repositories."""

__version__ = "0.1.0"
