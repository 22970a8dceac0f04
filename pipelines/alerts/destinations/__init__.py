"""One module per destination: the request body it documents, and its error bodies as one line."""
