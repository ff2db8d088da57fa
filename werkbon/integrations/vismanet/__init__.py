"""The Visma.net adapter: the only place in Werkbon that knows Visma.net."""
