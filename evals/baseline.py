"""The baseline: the pipeline a user would assemble from LangChain defaults, scored by the same metrics.

Same files, same loading and cleaning, same embedding model; then what the tutorials do:
`RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)`, a dense-only `langchain_chroma.Chroma`
top-4, and as "answer" the top chunk's text, citing that whole chunk. It never declines and never calculates.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Iterable

from assistant.config import Settings
from assistant.types import Answer, Citation

__all__ = ["BaselinePipeline"]

CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 1000, 200, 4


class BaselinePipeline:
    """Dense-only top-4 retrieval over default-split chunks, in a throwaway in-memory Chroma collection."""

    def __init__(self, settings: Settings, paths: Iterable[Path]):
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from assistant.store.embeddings import make_embedder
        from ingest.cleaning import clean_pages
        from ingest.loaders import load_file
        from ingest.manifest import document_metadata, load_manifest
        from ingest.pipeline import discover

        self._documents: dict[str, str] = {}
        self._chunks: dict[str, str] = {}
        docs: list[Document] = []
        manifests: dict[Path, dict] = {}
        for path in discover(paths):
            folder = path.parent.resolve()
            if folder not in manifests:
                manifests[folder] = load_manifest(folder)
            loaded = load_file(path, max_pdf_pages=settings.max_pdf_pages)
            meta = document_metadata(path, manifests[folder].get(str(path.resolve())), loaded.title)
            pages = clean_pages(loaded.pages)
            self._documents[meta["doc_id"]] = "\n\n".join(p.text for p in pages)
            for page in pages:
                docs.append(Document(page_content=page.text, metadata={
                    "doc_id": meta["doc_id"], "title": meta["title"], "page": page.number if page.number else -1,
                    "url": meta["url"] or "", "publisher": meta["publisher"] or "",
                    "published": meta["published"] or ""}))
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        splits = splitter.split_documents(docs)
        ids = [f"baseline-{i}" for i in range(len(splits))]
        self._chunks = {i: d.page_content for i, d in zip(ids, splits)}
        # An in-memory client with telemetry off, and our own embedder: Chroma's default embedding function
        # would try to download a model.
        self._client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        self._name = f"baseline-{uuid.uuid4().hex[:12]}"
        self.store = Chroma(collection_name=self._name, embedding_function=make_embedder(settings), client=self._client)
        if splits:
            self.store.add_documents(splits, ids=ids)
        self.chunk_count = len(splits)

    def ask(self, question: str, history: list[dict] | None = None) -> Answer:
        """The top chunk as the answer, cited whole; `history` is ignored, as in the tutorials."""
        start = time.perf_counter()
        hits = self.store.similarity_search(question, k=TOP_K)
        took = (time.perf_counter() - start) * 1000
        if not hits:
            return Answer(question, "No documents.", declined=True, timings={"retrieve": took, "total": took})
        top = hits[0]
        m = top.metadata
        cite = Citation(1, str(top.id or ""), m.get("doc_id", ""), m.get("title", ""),
                        None if m.get("page", -1) == -1 else m.get("page"), top.page_content,
                        m.get("url") or None, m.get("publisher") or None, m.get("published") or None,
                        top.page_content)
        return Answer(question, f"{top.page_content} [1]", declined=False, citations=(cite,),
                      timings={"retrieve": took, "answer": 0.0, "total": took})

    def chunk_text(self, chunk_id: str) -> str | None:
        return self._chunks.get(chunk_id)

    def document_text(self, doc_id: str) -> str:
        return self._documents.get(doc_id, "")

    def close(self) -> None:
        """Drop the throwaway collection."""
        self._client.delete_collection(self._name)
