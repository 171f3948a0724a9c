"""Matching hashes against the list (DESIGN.md section 9); `vpdq` compares videos (section 8)."""
