"""``POST /api/v1/auth/token`` takes the standard OAuth2 password form (RFC 6749 §4.3.2) beside JSON
(issue 13, "the token endpoint refuses the standard OAuth2 form post")."""

from __future__ import annotations


def test_the_oauth2_password_form_signs_in(fresh_client, web_fixture_data):
    password_of = web_fixture_data["password_of"]
    form = {
        "grant_type": "password",
        "username": "chaoyang",
        "password": password_of("chaoyang"),
        "scope": "",
        "client_id": "swagger",
    }  # what OAuth2 clients send; scope and client ignored
    answer = fresh_client.post("/api/v1/auth/token", data=form)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["token_type"], body["user"]["username"], body["user"]["region"]) == (
        "bearer",
        "chaoyang",
        "110105",
    )
    me = fresh_client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["username"] == "chaoyang"
    wrong = fresh_client.post("/api/v1/auth/token", data={**form, "password": "not-it"})
    assert wrong.status_code == 401
    as_json = fresh_client.post(
        "/api/v1/auth/token", json={"username": "chaoyang", "password": password_of("chaoyang")}
    )
    assert as_json.status_code == 200


def test_the_openapi_document_shows_both_encodings(client):
    body = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/auth/token"]["post"]["requestBody"]
    assert set(body["content"]) == {"application/json", "application/x-www-form-urlencoded"}
    assert body["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]["grant_type"][
        "enum"
    ] == ["password"]
