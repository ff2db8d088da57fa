"""pydantic models, one module per resource."""
