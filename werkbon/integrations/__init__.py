"""Integrations with accounting systems: activation, settings, status, log and jobs.

Adapter-neutral code lives here; everything Visma.net-specific is in ``vismanet/`` below.
"""
