"""Mapping between Visma.net records and Werkbon field values (pure functions)."""
