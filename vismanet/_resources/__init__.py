"""One resource object per Visma.net resource."""
