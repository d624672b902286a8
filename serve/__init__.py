"""rasd serve package."""
