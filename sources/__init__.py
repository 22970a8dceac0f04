"""dlt sources, one package per vendor; `http.py` is the HTTP client they share."""
