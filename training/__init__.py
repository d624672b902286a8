"""rasd training package."""
