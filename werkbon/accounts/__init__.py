"""Tenants (company accounts), users and their roles, and tenant scoping of every query."""
