"""rasd model package."""
