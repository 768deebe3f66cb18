"""Errors icsim raises in Python. ScenarioError lives here, apart from the compiled module, so that
it exists (for ``except``) whether or not icsim._core is built."""


class ScenarioError(ValueError):
    """A bad scenario, setting or sweep: the one-line message `icsim` prints for the same input
    (the file, the key and what is allowed)."""
