"""incidents: a command-line tail for incident streams."""

__version__ = "0.1.0"
