"""One module per runtime technology, each implementing a port from `ports.py`."""
