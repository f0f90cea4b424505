"""Renderers: model → markdown text. Pure functions; writing is done by `kb.writer`."""
