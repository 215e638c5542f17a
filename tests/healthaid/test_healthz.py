import pytest


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_healthz_says_what_is_down(client, settings, monkeypatch):
    from healthaid.celery import app

    monkeypatch.setattr(
        app, "connection_for_write", lambda: app.connection("redis://127.0.0.1:1/0")
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("error")
