"""Storage: the catalog (SQLite: documents, pages, chunks, BM25, sentence vectors), the vector store, the
embedder, and the figures table."""
