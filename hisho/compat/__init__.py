"""The only place that may touch a third-party library's private API (DESIGN rule 8).

Each wrapper here pins one private behaviour Hisho relies on, and tests/compat/ has a
focused test per wrapper, so an upgrade that changes it fails there first — not as a
500 somewhere else. tests/architecture/test_private_imports.py fails when any other
module imports a library's `internal` or `_private` module.
"""
