"""The prompt language: A1111 syntax, NovelAI conversion, rendering."""
