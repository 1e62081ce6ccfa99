"""The A1111-compatible HTTP server (`promptlab serve`) and its job queue.

Light at import: FastAPI and the backends are imported by the submodules, which callers import explicitly.
"""
