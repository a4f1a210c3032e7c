import pytest

from support import admin_client


@pytest.fixture
def api(local_server):
    """An admin client on an empty pool."""
    with admin_client(local_server.url) as client:
        assert client.post("/api/keys/delete", json={"all": True}).status_code == 200
        yield client
