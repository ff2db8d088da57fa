"""Signal receivers of the Visma.net adapter (connected when the app is ready)."""
