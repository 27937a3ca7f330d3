"""Matrix adapter (matrix-nio): rooms ↔ channels, m.thread ↔ threads, DMs, reactions, edits, redactions, E2EE."""

from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.client import MatrixLoginError
from adapters.matrix.run import start_matrix

__all__ = ["MatrixAdapter", "MatrixLoginError", "start_matrix"]
