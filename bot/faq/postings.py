"""The FAQ index's vectors, searched without scoring every resolved thread (issue 17).

A search wants the documents whose cosine with the query reaches a threshold (0.30 on arrival, 0.10
for `/faq`), curated entries first, then by score. Scoring every row costs in proportion to the
resolved threads of the space; here only *candidates* are scored:

* the rows fitted together (`base`) are also kept column-wise (CSC: a posting list of rows per
  feature) with each feature's largest value in any row;
* a feature's contribution to any score is at most ``query value × that largest value``. Features
  are taken from the weakest bound up while their bounds add up to less than the threshold (minus a
  margin far above float32 rounding): a row that shares only those features cannot reach it
  (MaxScore). The candidates are the rows of the remaining, *essential*, features' posting lists —
  rare, weighty words; the common stems and n-grams, shared by most rows, are skipped;
* candidates are scored exactly as a full product scores them (the same rows, the same order of
  additions in float32), so the scores, the hits and their order are those of scoring every row;
* rows appended since (`tail`: questions resolved since the last merge) are few and all scored; the
  tail is merged into the base once it reaches a sixteenth of it, so an addition costs a constant
  share of a rebuild, not a copy of every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

# Float32 sums of a few hundred unit-vector products are off by ~1e-6: a bound this far below the
# threshold never drops a row that reaches it.
BOUND_MARGIN = 1e-3
TAIL_MIN = 64  # rows appended before a merge is considered
TAIL_SHARE = 16  # ... and a merge once the tail holds 1/16 of the base's rows


@dataclass(frozen=True)
class Base:
    """Rows fitted together: row-wise (for scoring) and column-wise (the posting lists)."""

    rows: sparse.csr_matrix
    columns: sparse.csc_matrix
    column_max: np.ndarray  # float32, per feature

    @classmethod
    def of(cls, rows: sparse.csr_matrix) -> Base:
        rows = sparse.csr_matrix(rows)
        columns = rows.tocsc()
        column_max = np.zeros(rows.shape[1], dtype=np.float32)
        if columns.nnz:
            lengths = np.diff(columns.indptr)
            filled = np.flatnonzero(lengths)
            column_max[filled] = np.maximum.reduceat(columns.data, columns.indptr[filled])
        return cls(rows, columns, column_max)

    def candidates(self, indices: np.ndarray, values: np.ndarray, threshold: float) -> np.ndarray:
        """Rows (sorted) that may reach `threshold` with the query (indices, values)."""
        n = self.rows.shape[0]
        if threshold - BOUND_MARGIN <= 0:
            return np.arange(n, dtype=np.int64)
        bounds = values.astype(np.float64) * self.column_max[indices]
        order = np.argsort(bounds, kind="stable")
        below = int(np.searchsorted(np.cumsum(bounds[order]), threshold - BOUND_MARGIN, side="left"))
        essential = indices[order[below:]]
        if not len(essential):
            return np.zeros(0, dtype=np.int64)
        starts, ends = self.columns.indptr[essential], self.columns.indptr[essential + 1]
        lists = [self.columns.indices[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True) if e > s]
        if not lists:
            return np.zeros(0, dtype=np.int64)
        return np.unique(np.concatenate(lists)).astype(np.int64)


@dataclass(frozen=True)
class DocRows:
    """One unit row per document, in the documents' order: `base` rows, then `tail` rows."""

    base: Base
    tail: sparse.csr_matrix | None
    question_ids: np.ndarray  # int64, per row
    curated: np.ndarray  # bool, per row

    @classmethod
    def of(cls, matrix: sparse.csr_matrix, question_ids: Sequence[int], curated: Sequence[bool]) -> DocRows:
        return cls(Base.of(matrix), None, np.asarray(question_ids, dtype=np.int64), np.asarray(curated, dtype=bool))

    def __len__(self) -> int:
        return len(self.question_ids)

    @property
    def matrix(self) -> sparse.csr_matrix:
        """Every row as one CSR (the rare paths: a reload after a change)."""
        if self.tail is None:
            return self.base.rows
        return sparse.vstack([self.base.rows, self.tail]).tocsr()

    def appended(self, rows: sparse.csr_matrix, question_ids: Sequence[int], curated: Sequence[bool]) -> DocRows:
        tail = rows if self.tail is None else sparse.vstack([self.tail, rows]).tocsr()
        ids = np.concatenate([self.question_ids, np.asarray(question_ids, dtype=np.int64)])
        flags = np.concatenate([self.curated, np.asarray(curated, dtype=bool)])
        if tail.shape[0] >= max(TAIL_MIN, self.base.rows.shape[0] // TAIL_SHARE):
            return DocRows(Base.of(sparse.vstack([self.base.rows, tail]).tocsr()), None, ids, flags)
        return DocRows(self.base, tail, ids, flags)

    def scores(self, column: sparse.spmatrix, indices: np.ndarray, values: np.ndarray,
               threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """(rows, their scores) of every row that may reach `threshold`; the others score below it.
        `column` is the query as a one-column sparse matrix (the product a full scoring does)."""
        rows = self.base.candidates(indices, values, threshold)
        picked = self.base.rows[rows] if len(rows) else None
        if self.tail is not None:
            offset = self.base.rows.shape[0]
            tail_rows = np.arange(offset, offset + self.tail.shape[0], dtype=np.int64)
            picked = self.tail if picked is None else sparse.vstack([picked, self.tail]).tocsr()
            rows = np.concatenate([rows, tail_rows])
        if picked is None:
            return rows, np.zeros(0, dtype=np.float32)
        return rows, np.asarray((picked @ column).todense()).ravel()

    def top(self, column: sparse.spmatrix, indices: np.ndarray, values: np.ndarray, threshold: float,
            limit: int, exclude: frozenset[int]) -> list[tuple[int, float]]:
        """(row, score) of the best `limit` rows at or above `threshold`: curated first, then by
        score, then the latest question first — the order of a full scoring's sort."""
        rows, scores = self.scores(column, indices, values, threshold)
        keep = scores >= threshold
        if exclude:
            keep &= ~np.isin(self.question_ids[rows], np.fromiter(exclude, dtype=np.int64))
        rows, scores = rows[keep], scores[keep]
        order = np.lexsort((-self.question_ids[rows], -scores, ~self.curated[rows]))[:limit]
        return [(int(rows[i]), float(scores[i])) for i in order]
