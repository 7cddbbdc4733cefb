"""Built-in formats: each module here exposes ``FORMAT`` and is discovered by the registry."""
