"""ASCII-only character classes. ``str.isdigit`` also accepts '³', '²' and other
Unicode digits, which a latin-1 decoded FIX value can contain and ``int()`` rejects."""


def digits(text: str) -> bool:
    """One or more ASCII digits 0-9, nothing else."""
    return text.isascii() and text.isdigit()
