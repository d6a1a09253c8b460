# The two commands of the quick start. Both set up what they need (uv, the locked environment).
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := .venv/bin/python

.PHONY: demo test setup lint typecheck bench clean

$(UV):
	python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras --python 3.11 --compile-bytecode
	touch $@

setup: .venv/.synced

demo: setup  ## run the main job on the bundled default study (out/demo: kpis.json, *.parquet, report.html)
	.venv/bin/tdcoord demo --out out/demo

lint: setup
	.venv/bin/ruff check src tests

typecheck: setup
	.venv/bin/mypy --strict src/tdcoord

test: setup lint typecheck  ## ruff, mypy --strict and the whole test suite
	.venv/bin/pytest -q -n 2

bench: setup  ## peers (linopy, pyomo, cvxpy) come from the bench dependency group
	$(UV) sync --frozen --all-extras --group bench --python 3.11 --compile-bytecode
	$(PY) benchmarks/bench_dcopf.py build
	$(PY) benchmarks/bench_dcopf.py e2e
	$(PY) benchmarks/bench_feeder.py
	$(PY) benchmarks/bench_joint.py scale
	$(PY) benchmarks/bench_joint.py moonshot --sample 0
	$(PY) benchmarks/bench_front_door.py
	$(PY) benchmarks/bench_sweep.py
	$(PY) benchmarks/bench_soak.py

clean:
	rm -rf .venv out .pytest_cache .mypy_cache .ruff_cache
