"""A tenant's knowledge base: markdown files split into passages at their headings.

Each tenant has a folder `backend/knowledge/<tenant_slug>/` of markdown pages (fees, products,
repayment, privacy, ...). A passage is the text under one heading, so a cited source points at the
paragraph that answers the question rather than at a whole page. Splitting uses LangChain's
`MarkdownHeaderTextSplitter`, which keeps the heading path as metadata.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from langchain_core.documents import Document
from langchain_text_splitters import MarkdownHeaderTextSplitter

KNOWLEDGE_ROOT = Path(__file__).resolve().parents[2] / "knowledge"
HEADINGS = [("#", "page"), ("##", "section"), ("###", "subsection")]
# A tenant slug is used as a folder name: anything else could walk out of the knowledge root.
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class UnknownKnowledgeBase(LookupError):
    """The tenant has no knowledge folder; answers then say "I'm not sure" rather than guess."""


def split_page(markdown: str, source: str) -> list[Document]:
    """Passages of one page, each with `source` (the file name) and `title` (its own heading)."""
    splitter = MarkdownHeaderTextSplitter(headers_to_split_on=HEADINGS, strip_headers=True)
    passages = []
    for doc in splitter.split_text(markdown):
        text = " ".join(doc.page_content.split())
        if not text:
            continue
        meta = doc.metadata
        title = meta.get("subsection") or meta.get("section") or meta.get("page") or source
        passages.append(
            Document(page_content=text, metadata={"source": source, "title": title, "page": meta.get("page")})
        )
    return passages


def load_knowledge(tenant: str, root: Path = KNOWLEDGE_ROOT) -> tuple[Document, ...]:
    """Every passage of the tenant's pages, in file-name order (stable ids for tests and caching)."""
    return _load(tenant, root)


@lru_cache(maxsize=64)
def _load(tenant: str, root: Path) -> tuple[Document, ...]:
    if not _SLUG.match(tenant) or not (root / tenant).is_dir():
        raise UnknownKnowledgeBase(tenant)
    passages: list[Document] = []
    for path in sorted((root / tenant).glob("*.md")):
        passages.extend(split_page(path.read_text(encoding="utf-8"), path.name))
    return tuple(passages)
