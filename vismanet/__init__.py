"""Python client for the Visma.net ERP API and the Sales Orders v3 API."""
