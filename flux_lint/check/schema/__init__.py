"""Schemas: building the shipped bundles from upstream CRDs, loading them, defaulting and
structural validation as the API server does it, and CRDs found in the repository."""
