"""The Baseline partner client (DESIGN.md section 10). No Django: it talks to a Baseline service
over its REST API and works on files."""

__version__ = "0.1.0"
