"""A local emulator of the Visma.net ERP API, the Sales Orders v3 API and Visma Connect."""
