"""Matching hashes the way the service does (DESIGN.md sections 8 and 9): pure, no database."""
