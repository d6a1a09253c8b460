"""Tokens: the OAuth2 password form, expiry, argon2 hashes, demo users only on loopback."""

from __future__ import annotations

import time

import jwt

from tdcoord.service.models import User
from tests.service.conftest import PASSWORD, Env


def test_token_is_an_expiring_bearer_jwt(env: Env) -> None:
    r = env.client.post("/api/v1/auth/token", data={"username": "fsp1", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type"} and body["token_type"] == "bearer"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] > time.time() and claims["role"] == "fsp"
    me = env.client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["username"] == "fsp1"


def test_wrong_password_and_expired_token_are_401(env: Env) -> None:
    r = env.client.post("/api/v1/auth/token", data={"username": "fsp1", "password": "nope"})
    assert r.status_code == 401 and r.json()["code"] == "InvalidCredentials"
    expired = jwt.encode({"sub": "1", "exp": int(time.time()) - 10}, env.plat.secret(),
                         algorithm="HS256")
    r = env.client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401


def test_passwords_are_argon2_hashes(env: Env) -> None:
    with env.plat.store.read() as s:
        hashes = [u.password_hash for u in s.query(User)]
    assert hashes and all(h.startswith("$argon2") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)


def test_demo_users_only_on_loopback(env: Env) -> None:
    with env.plat.store.tx() as s:
        u = s.query(User).filter_by(username="fsp1").one()
        u.demo = True
    env.plat.loopback = False
    r = env.client.post("/api/v1/auth/token", data={"username": "fsp1", "password": PASSWORD})
    assert r.status_code == 401 and r.json()["code"] == "DemoUserOffLoopback"
    env.plat.loopback = True
    r = env.client.post("/api/v1/auth/token", data={"username": "fsp1", "password": PASSWORD})
    assert r.status_code == 200
