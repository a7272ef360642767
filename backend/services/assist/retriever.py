"""BM25 over a tenant's passages, as a LangChain retriever with a relevance threshold.

BM25 (Okapi, via `rank_bm25`) needs no model, no download and no network, and ranks well on short
FAQ-like passages. Two additions make it fit customers' questions:

- a heading bonus: customers ask in the words of headings ("late fee", "how to pay"), and on a
  small knowledge base a common word like "pay" has almost no BM25 weight, so the share of the
  heading's words the question uses is added to the score;
- a relevance gate: an answer needs a score of at least `min_score` AND the passage must contain
  at least half of the question's words, so one incidental shared word ("match", "car") never
  turns an unrelated passage into a confident answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, PrivateAttr
from rank_bm25 import BM25Okapi

from backend.services.assist.normalise import correct, tokens

# Tuned on the demo knowledge base (tests/unit/test_assist_answers.py): right passages score 3
# and above; questions the pages do not cover either share no word or fail the coverage gate.
DEFAULT_MIN_SCORE = 2.5
MIN_COVERAGE = 0.5
HEADING_WEIGHT = 2.0


@dataclass(frozen=True, slots=True)
class Scored:
    document: Document
    score: float
    coverage: float


def passage_tokens(doc: Document) -> list[str]:
    return tokens(f"{doc.metadata.get('title') or ''} {doc.page_content}")


class KnowledgeRetriever(BaseRetriever):
    """The passages that pass the gate, best first, at most `k`; each returned document carries
    its `score` in metadata (a copy: the loaded passages are shared and never mutated)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    passages: Sequence[Document]
    k: int = 3
    min_score: float = DEFAULT_MIN_SCORE
    min_coverage: float = MIN_COVERAGE
    _bm25: BM25Okapi | None = PrivateAttr(default=None)
    _vocabulary: frozenset[str] = PrivateAttr(default=frozenset())
    _token_sets: list[frozenset[str]] = PrivateAttr(default_factory=list)
    _titles: list[frozenset[str]] = PrivateAttr(default_factory=list)

    def model_post_init(self, __context: object) -> None:
        corpus = [passage_tokens(d) for d in self.passages]
        self._vocabulary = frozenset(t for doc in corpus for t in doc)
        self._token_sets = [frozenset(doc) for doc in corpus]
        self._titles = [frozenset(tokens(str(d.metadata.get("title") or ""))) for d in self.passages]
        self._bm25 = BM25Okapi(corpus) if corpus else None

    def scored(self, query: str) -> list[Scored]:
        """Every passage with its score and coverage, best first."""
        if self._bm25 is None:
            return []
        query_tokens = correct(tokens(query), self._vocabulary)
        if not query_tokens:
            return []
        asked = frozenset(query_tokens)
        bm25 = self._bm25.get_scores(query_tokens)
        ranked = []
        for doc, base, words, title in zip(self.passages, bm25, self._token_sets, self._titles, strict=True):
            heading = len(title & asked) / len(title) if title else 0.0
            score = float(base) + HEADING_WEIGHT * heading
            ranked.append(Scored(doc, score, len(asked & words) / len(asked)))
        ranked.sort(key=lambda s: -s.score)
        return ranked

    def relevant(self, query: str) -> list[Scored]:
        return [
            s
            for s in self.scored(query)[: self.k]
            if s.score >= self.min_score and s.coverage >= self.min_coverage
        ]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(
                page_content=s.document.page_content,
                metadata={**s.document.metadata, "score": round(s.score, 3)},
            )
            for s in self.relevant(query)
        ]
