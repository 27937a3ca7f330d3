"""Matrix adapter (matrix-nio): rooms ↔ channels, m.thread ↔ threads, DMs, reactions, edits, redactions."""

from adapters.matrix.adapter import E2EE_NOTICE, MatrixAdapter

__all__ = ["E2EE_NOTICE", "MatrixAdapter"]
