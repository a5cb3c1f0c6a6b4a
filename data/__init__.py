"""Shipped data: the topic catalog and the Mexico–US Consular Dialogue sample (read-only)."""
