"""Authoring helpers: a skeleton for new derivations and a JSON Schema of the format for editors."""
