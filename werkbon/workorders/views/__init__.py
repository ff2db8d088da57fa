"""The work-order app's screens, one module per concern (see ``werkbon/workorders/urls.py``)."""
