"""Publishing: derivations checked where they are published (the MkDocs plugin)."""
