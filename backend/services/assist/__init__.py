"""Assistance for customers and agents: knowledge-base answers and handoff summaries.

Offline by default (BM25 retrieval, extractive answers and summaries); with a LangChain chat
model passed in, the same chains generate. Nothing here builds a model: the caller does, from
settings (`backend.adapters.llm`), so the use cases stay free of provider configuration.
"""
