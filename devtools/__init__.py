"""Scripts behind ``./dev``: start the app, run the checks and tests, run the demo."""
