"""End-to-end tests: the real app in a subprocess (own database, own media dir) driven by Chromium."""
