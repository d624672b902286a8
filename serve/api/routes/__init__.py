"""The API's routers, one module per concern: predict (the model), info (/model), ops, pages."""
