"""One form validator module per journey."""
