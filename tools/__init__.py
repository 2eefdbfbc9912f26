"""Maintainer tools: slide metadata (`python -m tools.slides`) and the static site (`python -m tools.site`)."""
