"""Property-based API tests (schemathesis, few examples per operation to keep CI fast):

* the platform's own OpenAPI document: no server error on any generated request;
* the UMEI document on ``/umei/v1`` (its operations this facade serves): no server error, and
  every status code, content type and body as the document declares."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from tests.service.conftest import Env, make_env  # noqa: E402
from tests.service.helpers import market, qualified_portfolio, session  # noqa: E402
from tests.service.umei_doc import checks, umei_document  # noqa: E402

UNSERVED = ("/FlexibilityZones", "/BaselineIntervals/import", "/MeterReadings/import")
SETTINGS = settings(max_examples=4, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def _seeded(tmp: Path) -> Env:
    env = make_env(f"sqlite:///{tmp / 'p.db'}")
    qualified_portfolio(env, name="fuzz-p")
    session(env, market(env, name="fuzz-m"))
    return env


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    env = _seeded(tmp_path_factory.mktemp("fuzz"))
    yield env
    env.plat.store.dispose()


@pytest.fixture(scope="module")
def own_schema(fuzz_env: Env) -> Any:
    app = fuzz_env.client.app
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module")
def umei_schema(fuzz_env: Env) -> Any:
    schema = schemathesis.openapi.from_dict(umei_document())
    schema.app = fuzz_env.client.app
    return schema.exclude(path_regex="|".join(f"^{p}" for p in UNSERVED))


def _run(schema: Any, env: Env, check_list: list[Any]) -> list[str]:
    """Every operation of ``schema``, a few generated cases each; the failures."""
    failures: list[str] = []
    calls = 0
    for result in schema.get_all_operations():
        op = result.ok()

        @SETTINGS
        @given(case=op.as_strategy())
        def run(case: Any) -> None:
            nonlocal calls
            calls += 1
            case.call_and_validate(headers=env.h("fsp1"), checks=check_list)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, then report them all
            failures.append(f"{op.label}: {str(exc)[:400]}")
    assert calls >= 40, f"only {calls} generated calls"
    return failures


def test_platform_api_has_no_server_errors(own_schema: Any, fuzz_env: Env) -> None:
    failures = _run(own_schema, fuzz_env, [not_a_server_error])
    assert failures == [], "\n".join(failures)


def test_umei_facade_conforms(umei_schema: Any, fuzz_env: Env) -> None:
    failures = _run(umei_schema, fuzz_env, checks())
    assert failures == [], "\n".join(failures)
