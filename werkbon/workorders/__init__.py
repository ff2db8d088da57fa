"""Work orders and the records they stand on: customers, work addresses, items, forms.

This app knows nothing of any integration (checked by import-linter).
"""
