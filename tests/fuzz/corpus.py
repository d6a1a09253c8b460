"""The bad-input corpus: every case must end in a named error (exit 2, no traceback, a message
naming the problem) before anything is solved.

Study files are mutations of :data:`STUDY_BASE` (one replacement each); grid files are mutations
of the tiny MATPOWER case of :mod:`tests.fuzz.grid_text`, of a pandapower JSON file and of a
tdcoord grid file; catalogue files are small YAML texts. :mod:`tests.fuzz.make_data` writes them
all to ``tests/fuzz/data/`` (committed), and :data:`CLI_CASES` are flag mistakes. The count is
recorded in ``docs/cli.md`` ("Bad-input corpus").
"""

from __future__ import annotations

STUDY_BASE = """\
name: fuzz
grid:
  transmission: pglib:case14_ieee
  feeders:
    - source: pandapower:create_cigre_network_mv
      buses: [10, 12]
      per_bus: 1
      rating_factor: 1.5
fleet:
  phase: subsequent_phase
  season: winter
  customer_peak_kw: 50
  households_per_customer: 25
  n_intervals: 24
  dt_h: 1.0
  seed: 1
  n_aggregators: 3
  latitude_deg: 50.0
  flexible_share_of_load: 0.1
market:
  preset: eu_generic
  products: [congestion_dso]
  strategy: cost_based
  aggregate: node
compare:
  models: [au.sip, eu.central]
  seed: 3
  non_delivery_probability: 0.02
  delivery_fraction: 1.0
  delay_intervals: 0
  validation: ac
  penalties: {voll_eur_per_mwh: 10000, curtailment_eur_per_mwh: 1000}
"""

#: (file stem, text to replace in STUDY_BASE, replacement, expected fragment of the message)
STUDY_CASES: list[tuple[str, str, str, str]] = [
    ("seed_negative", "  seed: 1\n", "  seed: -1\n", "fleet.seed"),
    ("seed_huge", "  seed: 1\n", "  seed: 99999999999999999999\n", "fleet.seed"),
    ("seed_text", "  seed: 1\n", "  seed: one\n", "fleet.seed"),
    ("seed_float", "  seed: 1\n", "  seed: 1.5\n", "fleet.seed"),
    ("compare_seed_negative", "  seed: 3\n", "  seed: -3\n", "compare.seed"),
    ("dt_inf", "dt_h: 1.0", "dt_h: .inf", "fleet.dt_h"),
    ("dt_nan", "dt_h: 1.0", "dt_h: .nan", "fleet.dt_h"),
    ("dt_zero", "dt_h: 1.0", "dt_h: 0", "fleet.dt_h"),
    ("dt_negative", "dt_h: 1.0", "dt_h: -0.25", "fleet.dt_h"),
    ("dt_week", "dt_h: 1.0", "dt_h: 168", "fleet.dt_h"),
    ("intervals_1e9", "n_intervals: 24", "n_intervals: 1.0e+9", "max_intervals"),
    ("intervals_huge", "n_intervals: 24", "n_intervals: 100000", "max_intervals"),
    ("intervals_zero", "n_intervals: 24", "n_intervals: 0", "fleet.n_intervals"),
    ("intervals_negative", "n_intervals: 24", "n_intervals: -24", "fleet.n_intervals"),
    ("intervals_fraction", "n_intervals: 24", "n_intervals: 24.5", "fleet.n_intervals"),
    ("peak_inf", "customer_peak_kw: 50", "customer_peak_kw: .inf", "customer_peak_kw"),
    ("peak_nan", "customer_peak_kw: 50", "customer_peak_kw: .nan", "customer_peak_kw"),
    ("peak_negative", "customer_peak_kw: 50", "customer_peak_kw: -1", "customer_peak_kw"),
    ("peak_zero", "customer_peak_kw: 50", "customer_peak_kw: 0", "customer_peak_kw"),
    ("peak_huge", "customer_peak_kw: 50", "customer_peak_kw: 1e12", "customer_peak_kw"),
    (
        "households_inf",
        "households_per_customer: 25",
        "households_per_customer: .inf",
        "households_per_customer",
    ),
    (
        "households_zero",
        "households_per_customer: 25",
        "households_per_customer: 0",
        "households_per_customer",
    ),
    ("aggregators_negative", "n_aggregators: 3", "n_aggregators: -1", "n_aggregators"),
    ("aggregators_huge", "n_aggregators: 3", "n_aggregators: 10000000", "max_aggregators"),
    ("latitude_100", "latitude_deg: 50.0", "latitude_deg: 100", "latitude_deg"),
    ("latitude_nan", "latitude_deg: 50.0", "latitude_deg: .nan", "latitude_deg"),
    (
        "flex_share_2",
        "flexible_share_of_load: 0.1",
        "flexible_share_of_load: 2",
        "flexible_share_of_load",
    ),
    ("phase_unknown", "phase: subsequent_phase", "phase: third_phase", "fleet.phase"),
    ("season_unknown", "season: winter", "season: monsoon", "fleet.season"),
    (
        "builder_unknown",
        "  phase: subsequent_phase",
        "  builder: magic\n  phase: subsequent_phase",
        "fleet.builder",
    ),
    (
        "builder_simbench_on_pglib",
        "  phase: subsequent_phase",
        "  builder: simbench\n  phase: subsequent_phase",
        "simbench",
    ),
    (
        "shares_percent",
        "  phase: subsequent_phase",
        "  phase: subsequent_phase\n  shares: {pv: 30}",
        "fraction",
    ),
    (
        "shares_unknown_type",
        "  phase: subsequent_phase",
        "  phase: subsequent_phase\n  shares: {fusion: 0.1}",
        "fusion",
    ),
    (
        "shares_nan",
        "  phase: subsequent_phase",
        "  phase: subsequent_phase\n  shares: {pv: .nan}",
        "shares",
    ),
    ("fleet_unknown_key", "  seed: 1\n", "  seed: 1\n  colour: blue\n", "colour"),
    ("duplicate_key_fleet", "  seed: 1\n", "  seed: 1\n  seed: 2\n", "appears twice"),
    ("duplicate_key_top", "name: fuzz\n", "name: fuzz\nname: other\n", "appears twice"),
    ("duplicate_section", "market:\n", "compare: {seed: 1}\nmarket:\n", "appears twice"),
    ("models_empty", "models: [au.sip, eu.central]", "models: []", "compare.models"),
    ("models_unknown", "models: [au.sip, eu.central]", "models: [au.sip, xx.nope]", "xx.nope"),
    ("models_twice", "models: [au.sip, eu.central]", "models: [au.sip, au.sip]", "twice"),
    ("models_number", "models: [au.sip, eu.central]", "models: 5", "compare.models"),
    ("models_word", "models: [au.sip, eu.central]", "models: everything", "compare.models"),
    ("delay_long", "delay_intervals: 0", "delay_intervals: 1000", "delay"),
    ("delay_day", "delay_intervals: 0", "delay_intervals: 24", "delay"),
    ("delay_negative", "delay_intervals: 0", "delay_intervals: -1", "delay_intervals"),
    (
        "nondelivery_2",
        "non_delivery_probability: 0.02",
        "non_delivery_probability: 2",
        "non_delivery_probability",
    ),
    (
        "nondelivery_nan",
        "non_delivery_probability: 0.02",
        "non_delivery_probability: .nan",
        "non_delivery_probability",
    ),
    (
        "delivery_fraction_neg",
        "delivery_fraction: 1.0",
        "delivery_fraction: -0.5",
        "delivery_fraction",
    ),
    ("validation_unknown", "validation: ac", "validation: qc", "compare.validation"),
    ("voll_inf", "voll_eur_per_mwh: 10000", "voll_eur_per_mwh: .inf", "voll_eur_per_mwh"),
    ("voll_nan", "voll_eur_per_mwh: 10000", "voll_eur_per_mwh: .nan", "voll_eur_per_mwh"),
    ("voll_zero", "voll_eur_per_mwh: 10000", "voll_eur_per_mwh: 0", "voll_eur_per_mwh"),
    ("voll_huge", "voll_eur_per_mwh: 10000", "voll_eur_per_mwh: 1e15", "voll_eur_per_mwh"),
    (
        "curtailment_negative",
        "curtailment_eur_per_mwh: 1000",
        "curtailment_eur_per_mwh: -5",
        "curtailment_eur_per_mwh",
    ),
    ("penalty_unknown", "curtailment_eur_per_mwh: 1000", "curtail_eur: 1000", "curtail_eur"),
    (
        "needs_huge",
        "  validation: ac\n",
        "  validation: ac\n  needs: {tso_mw: [" + ", ".join(["1e15"] * 24) + "]}\n",
        "tso_mw",
    ),
    (
        "needs_nan",
        "  validation: ac\n",
        "  validation: ac\n  needs: {tso_mw: [" + ", ".join([".nan"] * 24) + "]}\n",
        "tso_mw",
    ),
    (
        "needs_short",
        "  validation: ac\n",
        "  validation: ac\n  needs: {tso_mw: [1, 2]}\n",
        "tso_mw",
    ),
    (
        "needs_dso_inf",
        "  validation: ac\n",
        "  validation: ac\n  needs: {dso_mw: {f: [" + ", ".join([".inf"] * 24) + "]}}\n",
        "dso_mw",
    ),
    ("per_bus_huge", "per_bus: 1", "per_bus: 100000", "max_per_bus"),
    ("per_bus_zero", "per_bus: 1", "per_bus: 0", "per_bus"),
    ("per_bus_word", "per_bus: 1", "per_bus: many", "per_bus"),
    ("rating_factor_inf", "rating_factor: 1.5", "rating_factor: .inf", "rating_factor"),
    ("rating_factor_zero", "rating_factor: 1.5", "rating_factor: 0", "rating_factor"),
    ("rating_factor_huge", "rating_factor: 1.5", "rating_factor: 1e9", "rating_factor"),
    ("buses_empty", "buses: [10, 12]", "buses: []", "buses"),
    ("buses_text", "buses: [10, 12]", "buses: [ten]", "buses"),
    ("feeder_source_empty", "source: pandapower:create_cigre_network_mv", "source: ''", "source"),
    (
        "grid_two_sources",
        "  transmission: pglib:case14_ieee\n",
        "  transmission: pglib:case14_ieee\n  source: pglib:case5_pjm\n",
        "exactly one",
    ),
    ("grid_no_source", "  transmission: pglib:case14_ieee\n", "", "exactly one"),
    (
        "grid_missing",
        "grid:\n  transmission: pglib:case14_ieee\n  feeders:\n"
        "    - source: pandapower:create_cigre_network_mv\n      buses: [10, 12]\n"
        "      per_bus: 1\n      rating_factor: 1.5\n",
        "",
        "grid",
    ),
    ("name_missing", "name: fuzz\n", "", "name"),
    ("name_empty", "name: fuzz\n", "name: ''\n", "name"),
    ("preset_unknown", "preset: eu_generic", "preset: atlantis", "atlantis"),
    ("preset_file_missing", "preset: eu_generic", "preset: /nonexistent/preset.yaml", "preset"),
    ("product_unknown", "products: [congestion_dso]", "products: [unicorns]", "unicorns"),
    ("products_empty", "products: [congestion_dso]", "products: []", "products"),
    (
        "product_twice",
        "products: [congestion_dso]",
        "products: [congestion_dso, congestion_dso]",
        "twice",
    ),
    ("strategy_unknown", "strategy: cost_based", "strategy: lucky", "lucky"),
    (
        "strategy_param_inf",
        "strategy: cost_based",
        "strategy: cost_based\n  strategy_params: {x: .inf}",
        "strategy_params",
    ),
    ("aggregate_unknown", "aggregate: node", "aggregate: planet", "aggregate"),
    ("limits_unknown", "name: fuzz\n", "name: fuzz\nlimits: {max_fun: 3}\n", "max_fun"),
    ("limits_zero", "name: fuzz\n", "name: fuzz\nlimits: {max_intervals: 0}\n", "max_intervals"),
    ("top_unknown_section", "name: fuzz\n", "name: fuzz\nweather: sunny\n", "weather"),
    ("yaml_syntax", "grid:\n", "grid: [\n", "yaml"),
    ("yaml_tab_indent", "  seed: 1\n", "\tseed: 1\n", "yaml"),
    (
        "yaml_python_object",
        "name: fuzz\n",
        "name: !!python/object/apply:os.system ['true']\n",
        "yaml",
    ),
    ("yaml_list_top", STUDY_BASE, "- a\n- b\n", "mapping"),
    ("yaml_scalar_top", STUDY_BASE, "42\n", "mapping"),
    ("yaml_empty", STUDY_BASE, "", "mapping"),
    ("several_problems", "  seed: 1\n", "  seed: -1\n  dt_h_typo: 2\n", "problems"),
]

#: (file name, expected fragment): raw bytes or odd files for the study argument.
STUDY_RAW: list[tuple[str, bytes, str]] = [
    ("binary.yaml", bytes(range(256)) * 4, "utf-8"),
    ("latin1.yaml", "name: café\n".encode("latin-1"), "utf-8"),
    ("nul.yaml", b"name: a\x00b\n", "yaml"),
]

#: (file name, kind, mutation, expected fragment) of MATPOWER cases; see make_data.
MATPOWER_CASES: list[tuple[str, str, tuple[object, ...], str]] = [
    ("cost_nan.m", "gencost", (0, 5, "NaN"), "cost"),
    ("cost_inf.m", "gencost", (1, 5, "Inf"), "cost"),
    ("cost_model_9.m", "gencost", (0, 0, 9), "cost model"),
    (
        "cost_degree_5.m",
        "gencost_rows",
        ([[2, 0, 0, 6, 1, 1, 1, 1, 1, 1], [2, 0, 0, 3, 0, 20, 0]],),
        "degree",
    ),
    ("vlimits_upside.m", "bus", (1, 12, 1.2), "upside down"),
    ("vlimits_kv.m", "bus_kv", (), "kv"),
    ("vmax_nan.m", "bus", (2, 11, "NaN"), "nan"),
    ("load_nan.m", "bus", (1, 2, "NaN"), "PD"),
    ("load_inf.m", "bus", (1, 3, "Inf"), "QD"),
    ("load_kw.m", "bus", (1, 2, 1e8), "kw"),
    ("rating_nan.m", "branch", (0, 5, "NaN"), "rate_a"),
    ("rating_negative.m", "branch", (1, 5, -100), "rate_a"),
    ("r_nan.m", "branch", (0, 2, "NaN"), "br_r"),
    ("x_inf.m", "branch", (0, 3, "Inf"), "br_x"),
    ("zero_impedance.m", "branch_z0", (), "zero impedance"),
    ("tap_nan.m", "branch", (2, 8, "NaN"), "tap"),
    ("unknown_bus_branch.m", "branch", (0, 1, 99), "unknown bus"),
    ("unknown_bus_gen.m", "gen", (0, 0, 42), "unknown bus"),
    ("self_loop.m", "branch", (0, 1, 1), "itself"),
    ("pmax_nan.m", "gen", (0, 8, "NaN"), "pmax"),
    ("pmin_above_pmax.m", "gen", (0, 9, 500), "p_min_mw > p_max_mw"),
    ("no_reference.m", "bus", (0, 1, 2), "reference"),
    ("island.m", "island", (), "island"),
    ("base_zero.m", "base", (0,), "basemva"),
    ("base_nan.m", "base", ("NaN",), "basemva"),
    ("text_in_matrix.m", "bus", (1, 2, "abc"), "matpower"),
    ("truncated.m", "truncate", (), "matpower"),
    ("empty.m", "empty", (), "matpower"),
    ("binary.m", "binary", (), "matpower"),
    ("dup_bus.m", "bus", (1, 0, 1), "duplicate"),
]

#: (file name, mutation, expected fragment) of pandapower JSON files; see make_data.
PANDAPOWER_CASES: list[tuple[str, str, str]] = [
    ("pp_module_this.json", "module_this", "does not load"),
    ("pp_module_os.json", "module_os", "does not load"),
    ("pp_nested_module.json", "nested_module", "does not load"),
    ("pp_class_other.json", "class_other", "does not load"),
    ("pp_truncated.json", "truncate", "not valid json"),
    ("pp_not_json.json", "not_json", "not valid json"),
    ("pp_array_top.json", "array_top", "neither"),
    ("pp_plain_object.json", "plain_object", "neither"),
    ("pp_binary.json", "binary", "not valid json"),
    ("pp_deep.json", "deep", "nested too deeply"),
    ("pp_empty.json", "empty", "not valid json"),
]

#: (file name, mutation, expected fragment) of tdcoord grid files; see make_data.
NATIVE_CASES: list[tuple[str, str, str]] = [
    ("native_missing_transmission.json", "drop_transmission", "missing or malformed"),
    ("native_missing_buses.json", "drop_buses", "missing or malformed"),
    ("native_ragged.json", "ragged", "rows"),
    ("native_truncated.json", "truncate", "not valid json"),
    ("native_version_9.json", "version", "version"),
    ("native_cost_nan.json", "cost_nan", "cost"),
    ("native_rating_negative.json", "rating_negative", "rating_mva"),
    ("native_rating_nan.json", "rating_nan", "rating_mva"),
    ("native_text_number.json", "text_number", "missing or malformed"),
    ("native_vlimits_upside.json", "vlimits_upside", "upside down"),
    ("native_feeders_not_list.json", "feeders_not_list", "missing or malformed"),
    ("native_base_negative.json", "base_negative", "base_mva"),
]

#: (file name, YAML text, expected fragment) for ``tdcoord models --catalogue``.
CATALOGUE_CASES: list[tuple[str, str, str]] = [
    ("cat_not_yaml.yaml", "- id: [\n", "yaml"),
    ("cat_scalar.yaml", "42\n", "list of models"),
    (
        "cat_duplicate_key.yaml",
        "- id: my.a\n  id: my.b\n  name: A\n  region: x\n  scheme: local\n",
        "appears twice",
    ),
    ("cat_unknown_scheme.yaml", "- id: my.a\n  name: A\n  region: x\n  scheme: magic\n", "scheme"),
    ("cat_reused_id.yaml", "- id: au.sip\n  name: A\n  region: x\n  scheme: local\n", "source"),
    ("cat_unknown_key.yaml", "- id: my.a\n  colour: red\n", "colour"),
    ("cat_binary.yaml", "\udcff", "utf-8"),
]

#: (argument list, expected fragment): flag mistakes. ``{tmp}`` is a temporary folder.
CLI_CASES: list[tuple[list[str], str]] = [
    (["compare", "--models", ",,,", "--out", "{tmp}/o"], "names no model"),
    (["compare", "--models", "", "--out", "{tmp}/o"], "names no model"),
    (["compare", "--models", "au.sip", "--all", "--out", "{tmp}/o"], "exclude each other"),
    (["compare", "--models", "nope.nope", "--out", "{tmp}/o"], "nope.nope"),
    (["compare", "--jobs", "-1", "--out", "{tmp}/o"], "jobs"),
    (["compare", "--jobs", "100000", "--out", "{tmp}/o"], "max_jobs"),
    (["compare", "--out", "/dev/null/x"], "not a folder"),
    (["compare", "{tmp}/missing.yaml", "--out", "{tmp}/o"], "no such study file"),
    (["compare", "{tmp}", "--out", "{tmp}/o"], "not a file"),
    (["demo", "--jobs", "-1", "--out", "{tmp}/d"], "jobs"),
    (["demo", "--out", "/dev/null/x"], "not a folder"),
    (["demo", "--study", "{tmp}/missing.yaml", "--out", "{tmp}/d"], "no such study file"),
    (["opf", "dc", "{tiny}", "--periods", "100000000"], "max_periods"),
    (["opf", "dc", "{tiny}", "--periods", "0"], "--periods"),
    (["opf", "dc", "{tiny}", "--voll", "inf"], "--voll"),
    (["opf", "dc", "{tiny}", "--voll", "nan"], "--voll"),
    (["opf", "dc", "{tiny}", "--voll", "-5"], "--voll"),
    (["opf", "dc", "{tiny}", "--method", "magic"], "--method"),
    (["opf", "dc", "{tiny}", "--convention", "mine"], "--convention"),
    (["opf", "dc", "{tiny}", "--method", "magic", "--periods", "0"], "problems"),
    (["opf", "dc", "pandapower:case33bw"], "no transmission"),
    (["opf", "feeder", "pandapower:case33bw", "--facets", "100000000"], "max_facets"),
    (["opf", "feeder", "pandapower:case33bw", "--facets", "2"], "--facets"),
    (["opf", "feeder", "pandapower:case33bw", "--price", "nan"], "--price"),
    (["opf", "feeder", "pandapower:case33bw", "--model", "ac"], "--model"),
    (["opf", "feeder", "pandapower:case33bw", "--feeder", "nope"], "no feeder"),
    (["opf", "feeder", "{tiny}"], "loop"),
    (["opf", "feeder", "{two_roots}"], "2 supply points"),
    (["opf", "joint", "pglib:case14_ieee", "--per-bus", "100000"], "max_per_bus"),
    (["opf", "joint", "pglib:case14_ieee", "--per-bus", "two"], "--per-bus"),
    (["opf", "joint", "pglib:case14_ieee", "--algorithm", "magic"], "--algorithm"),
    (["opf", "joint", "pglib:case14_ieee", "--facets", "100000000"], "max_facets"),
    (["opf", "joint", "pglib:case14_ieee", "--periods", "100000000"], "max_periods"),
    (["grid", "info", "pandapower:runpp"], "not a network function"),
    (["grid", "info", "pandapower:from_json"], "not a network function"),
    (["grid", "info", "pandapower:__import__"], "not a network function"),
    (["grid", "info", "pandapower:"], "needs a name"),
    (["grid", "info", "pglib:nope"], "no case"),
    (["grid", "info", "simbench:"], "needs a name"),
    (["grid", "info", "{tmp}/nothing.m"], "no such file"),
    (["grid", "info", "{tmp}/x.m"], "folder"),
    (["grid", "info", "{tmp}/grid.txt"], "unknown file type"),
    (["grid", "check", "pandapower:runpp"], "not a network function"),
    (["models", "--catalogue", "{tmp}/missing.yaml"], "not found"),
    (["fleet", "build", "{tmp}/missing.yaml"], "no such study file"),
]
