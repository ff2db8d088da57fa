"""One module per emulated resource: handlers, validation and DTO rendering."""
