"""Data files shipped with promptlab (read with importlib.resources)."""
