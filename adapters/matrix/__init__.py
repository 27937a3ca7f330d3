"""Matrix adapter (matrix-nio): rooms ↔ channels, m.thread ↔ threads, DMs, reactions, edits, redactions."""

from adapters.matrix.adapter import E2EE_NOTICE, MatrixAdapter
from adapters.matrix.client import MatrixLoginError
from adapters.matrix.run import start_matrix

__all__ = ["E2EE_NOTICE", "MatrixAdapter", "MatrixLoginError", "start_matrix"]
