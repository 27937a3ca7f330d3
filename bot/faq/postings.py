"""The FAQ index's vectors, searched without scoring every resolved thread (issue 17).

A search wants the best few documents whose cosine with the query reaches a threshold (0.30 on
arrival, 0.10 for `/faq`): curated entries first, then by score. Scoring every row costs in proportion
to the resolved threads of the space; here only *candidates* are scored:

* the rows fitted together (`base`) are also kept column-wise (CSC: a posting list of rows per
  feature), with each feature's largest value in any row and each block's (words, character n-grams)
  largest norm in any row;
* the query's features are set aside from the most common one on, while a row sharing only those
  still scores below a bar (bounded per block by the sum of ``query value × column max``, or by
  Cauchy–Schwarz); the candidates for that bar are the rows of the remaining features' posting lists;
* the search scores candidates in rounds, from a high bar (0.8: a question asked again) down to its
  threshold, and stops at the first round whose bar `limit` hits reach: a row that is not a candidate
  of that round scores below the bar, so it cannot enter the top. Curated rows and the tail are always
  scored (few);
* candidates are scored exactly as a full product scores them (the same rows, the same order of
  additions in float32), so the scores, the hits and their order are those of scoring every row;
* rows appended since (`tail`: questions resolved since the last merge) are merged into the base once
  they reach a sixteenth of it, so an addition costs a constant share of a rebuild, not a copy of
  every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

# Float32 sums of a few hundred unit-vector products are off by ~1e-6: a bound this far below the
# bar never drops a row that reaches it.
BOUND_MARGIN = 1e-3
TAIL_MIN = 64  # rows appended before a merge is considered
TAIL_SHARE = 16  # ... and a merge once the tail holds 1/16 of the base's rows
# The bars of the search's rounds above its threshold: near-duplicates (a question asked again) stop it
# at the first, with few rows scored.
ROUNDS = (0.8, 0.6, 0.45)
FULL_SCAN_ROWS = 1500  # up to this many rows, scoring all of them costs less than the rounds


@dataclass(frozen=True)
class Base:
    """Rows fitted together: row-wise (for scoring) and column-wise (the posting lists)."""

    rows: sparse.csr_matrix
    columns: sparse.csc_matrix
    column_max: np.ndarray  # float32, per feature: its largest value in any row
    n_words: int  # features below this are the word block, the others the character block
    block_norm_max: tuple[float, float]  # the largest norm of a row's word block, and of its character block

    @classmethod
    def of(cls, rows: sparse.csr_matrix, n_words: int) -> Base:
        rows = sparse.csr_matrix(rows)
        columns = rows.tocsc()
        column_max = np.zeros(rows.shape[1], dtype=np.float32)
        if columns.nnz:
            filled = np.flatnonzero(np.diff(columns.indptr))
            column_max[filled] = np.maximum.reduceat(columns.data, columns.indptr[filled])
        squares = rows.data.astype(np.float64) ** 2
        row_of = np.repeat(np.arange(rows.shape[0]), np.diff(rows.indptr))
        is_word = rows.indices < n_words
        norms = [float(np.sqrt(np.max(np.bincount(row_of[mask], squares[mask], minlength=rows.shape[0]), initial=0.0)))
                 for mask in (is_word, ~is_word)]
        return cls(rows, columns, column_max, n_words, (norms[0], norms[1]))

    def candidates(self, indices: np.ndarray, values: np.ndarray, bar: float) -> np.ndarray:
        """Rows (sorted) that may reach `bar` with the query (indices, values).

        The features of the query are set aside from the most common one (the longest posting list)
        on, while a row sharing only those set aside still scores below the bar, bounded per block by
        the smaller of: the sum of ``query value × column max`` and (Cauchy–Schwarz) the norm of the
        query's set-aside values × the largest norm of that block in any row."""
        n = self.rows.shape[0]
        if bar - BOUND_MARGIN <= 0:
            return np.arange(n, dtype=np.int64)
        if not len(indices):
            return np.zeros(0, dtype=np.int64)
        lengths = self.columns.indptr[indices + 1] - self.columns.indptr[indices]
        order = np.argsort(-lengths, kind="stable")
        idx, val = indices[order], values[order].astype(np.float64)
        ub = val * self.column_max[idx]
        is_word = idx < self.n_words
        bound = np.zeros(len(idx))
        for mask, norm in ((is_word, self.block_norm_max[0]), (~is_word, self.block_norm_max[1])):
            by_columns = np.cumsum(np.where(mask, ub, 0.0))
            by_norm = np.sqrt(np.cumsum(np.where(mask, val * val, 0.0))) * norm
            bound += np.minimum(by_columns, by_norm)
        aside = int(np.searchsorted(bound, bar - BOUND_MARGIN, side="left"))
        essential = idx[aside:]
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
    def of(cls, matrix: sparse.csr_matrix, question_ids: Sequence[int], curated: Sequence[bool],
           n_words: int) -> DocRows:
        return cls(Base.of(matrix, n_words), None, np.asarray(question_ids, dtype=np.int64),
                   np.asarray(curated, dtype=bool))

    def __len__(self) -> int:
        return len(self.question_ids)

    @property
    def matrix(self) -> sparse.csr_matrix:
        """Every row as one CSR (the rare paths: a reload after a change)."""
        if self.tail is None:
            return self.base.rows
        return sparse.vstack([self.base.rows, self.tail]).tocsr()

    @classmethod
    def unindexed(cls, matrix: sparse.csr_matrix, question_ids: Sequence[int], curated: Sequence[bool],
                  n_words: int) -> DocRows:
        """Every row in the tail (all scored), until a merge in the executor indexes them: building
        the posting lists costs ~0.1 s per 10,000 rows, too long for the event loop."""
        empty = sparse.csr_matrix((0, matrix.shape[1]), dtype=np.float32)
        return cls(Base.of(empty, n_words), sparse.csr_matrix(matrix), np.asarray(question_ids, dtype=np.int64),
                   np.asarray(curated, dtype=bool))

    def appended(self, rows: sparse.csr_matrix, question_ids: Sequence[int], curated: Sequence[bool]) -> DocRows:
        tail = rows if self.tail is None else sparse.vstack([self.tail, rows]).tocsr()
        ids = np.concatenate([self.question_ids, np.asarray(question_ids, dtype=np.int64)])
        flags = np.concatenate([self.curated, np.asarray(curated, dtype=bool)])
        return DocRows(self.base, tail, ids, flags)

    @property
    def merge_due(self) -> bool:
        tail = 0 if self.tail is None else self.tail.shape[0]
        return tail > 0 and tail >= max(TAIL_MIN, self.base.rows.shape[0] // TAIL_SHARE)

    def merged(self) -> DocRows:
        """Every row in the base (what the build executor runs: arrays in, arrays out)."""
        return DocRows(Base.of(self.matrix, self.base.n_words), None, self.question_ids, self.curated)

    def adopting(self, merged: DocRows, source: DocRows) -> DocRows | None:
        """These rows with `merged` (made from `source`) as their base, if they are `source`'s rows
        plus rows appended since; None if they changed otherwise meanwhile (a reload, a refit)."""
        n = len(merged)
        if self.base is not source.base or len(self) < n or not np.array_equal(self.question_ids[:n],
                                                                               merged.question_ids):
            return None
        assert self.tail is not None  # source had a tail, and rows only get appended to it
        offset = self.base.rows.shape[0]
        rest = self.tail[n - offset:]
        return DocRows(merged.base, rest if rest.shape[0] else None, self.question_ids, self.curated)

    def _scored(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The scores of these rows (sorted), as the product of every row with the query gives them.

        `query` is dense: a sparse matrix times a dense vector adds each row's products in the row's
        order, as the sparse product of the rows with the query's column does (the same float32 sums:
        tests/faq/test_faq_search_equivalence.py), at a small share of its cost. Base and tail are
        multiplied apart: a row's score depends on that row alone, so nothing is stacked or copied."""
        offset = self.base.rows.shape[0]
        split = int(np.searchsorted(rows, offset))
        parts = []
        if split:
            whole = split == offset and rows[split - 1] == offset - 1  # sorted, unique: all of them
            parts.append(self.base.rows if whole else self.base.rows[rows[:split]])
        if split < len(rows):
            assert self.tail is not None
            in_tail = rows[split:] - offset
            whole = len(in_tail) == self.tail.shape[0]  # sorted, unique, all below its length: all of them
            parts.append(self.tail if whole else self.tail[in_tail])
        if not parts:
            return np.zeros(0, dtype=np.float32)
        scores = [np.asarray(part @ query, dtype=np.float32) for part in parts]
        return scores[0] if len(scores) == 1 else np.concatenate(scores)

    def top(self, query: np.ndarray, indices: np.ndarray, values: np.ndarray, threshold: float,
            limit: int, exclude: frozenset[int]) -> list[tuple[int, float]]:
        """(row, score) of the best `limit` rows at or above `threshold`: curated first, then by
        score, then the latest question first — the order of a full scoring's sort.

        Curated and tail rows are all scored (few). The others are scored in rounds, from a high bar
        down to the threshold: once `limit` hits reach a round's bar, a row that cannot reach that bar
        (not a candidate of the round) cannot enter the top either, and the search stops there."""
        offset = self.base.rows.shape[0]
        if len(self) <= FULL_SCAN_ROWS:
            offset = 0  # all rows in one product: fewer steps than the rounds at this size
        rows = np.concatenate([np.flatnonzero(self.curated[:offset]),
                               np.arange(offset, len(self), dtype=np.int64)]).astype(np.int64)
        scores = self._scored(query, rows)

        def hits(bar: float) -> np.ndarray:
            keep = scores >= bar
            if exclude:  # one question or two (the one just asked): a comparison each, not np.isin's sort
                ids = self.question_ids[rows]
                for banned in exclude:
                    keep &= ids != banned
            return keep

        for bar in [b for b in ROUNDS if b > threshold] + [threshold] if offset else []:
            if int((hits(threshold) & self.curated[rows]).sum()) >= limit:
                break  # curated entries fill the top: they rank first whatever the others score
            more = np.setdiff1d(self.base.candidates(indices, values, bar), rows, assume_unique=True)
            if len(more):
                rows = np.concatenate([rows, more])
                scores = np.concatenate([scores, self._scored(query, more)])
            if int(hits(bar).sum()) >= limit:
                break
        keep = hits(threshold)
        rows, scores = rows[keep], scores[keep]
        order = np.lexsort((-self.question_ids[rows], -scores, ~self.curated[rows]))[:limit]
        return [(int(rows[i]), float(scores[i])) for i in order]
