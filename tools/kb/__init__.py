"""kb: the toolchain that keeps the MedAI Notes docsify knowledge base correct."""

__version__ = "0.1.0"
