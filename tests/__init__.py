"""Tests of the kb toolchain (a package, so module names never clash with tests/browser)."""
