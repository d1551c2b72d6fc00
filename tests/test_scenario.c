/* test_scenario.c: the scenario format: defaults, overrides, and every kind
 * of bad input reported with file, line, field, value and what is allowed. */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include "ic_test.h"

#include <math.h>
#include <string.h>

#include "infercost/run.h"
#include "infercost/scenario.h"

static struct ic_diag_buffer diag;
static struct ic_scenario sc;

static int setup(void **state) {
  (void)state;
  memset(&diag, 0, sizeof diag);
  ic_diag_set_sink(ic_diag_buffer_sink, &diag);
  ic_scenario_defaults(&sc);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  ic_diag_set_sink(NULL, NULL);
  return 0;
}

/* Each row: scenario text, the status, and a fragment the message must hold. */
struct bad_case {
  const char *name;
  const char *text;
  const char *expect;
};

static const struct bad_case bad_cases[] = {
    {"unknown_key_suggests", "[serving]\nmax_bacth = 8\n", "s.ini:2: unknown key 'serving.max_bacth' (did you mean 'serving.max_batch'?)"},
    {"key_in_wrong_section", "[traffic]\nmax_batch = 8\n", "s.ini:2: unknown key 'traffic.max_batch' (did you mean 'serving.max_batch'?)"},
    {"negative_value", "[fleet]\nnodes = -3\n", "s.ini:2: fleet.nodes: value -3 is out of range: allowed [1, 100000000] nodes"},
    {"zero_where_positive", "[traffic]\nqueries_per_day = 0\n", "s.ini:2: traffic.queries_per_day: value 0 is out of range: allowed (0, 10000000000000]"},
    {"malformed_number", "[power]\npue = 1.2.3\n", "s.ini:2: power.pue: expected a number, got '1.2.3'"},
    {"fraction_for_integer", "[serving]\nmax_batch = 2.5\n", "s.ini:2: serving.max_batch: expected a whole number, got '2.5'"},
    {"empty_value", "[power]\npue =\n", "s.ini:2: power.pue: expected a number, got ''"},
    {"bad_choice", "[serving]\nrouter = fastest\n", "s.ini:2: serving.router: expected one of round_robin|least_outstanding|random|least_tokens|power_of_two|central|least_work|prefix_aware, got 'fastest'"},
    {"unknown_section", "[servng]\nmax_batch = 8\n", "s.ini:1: unknown section [servng]"},
    {"no_equals", "[fleet]\nnodes 3\n", "s.ini:2: expected 'key = value', got 'nodes 3'"},
    {"key_before_section", "nodes = 3\n", "s.ini:1: key 'nodes' comes before any [section]"},
    {"duplicate_key", "[fleet]\nnodes = 3\nnodes = 4\n", "s.ini:3: fleet.nodes is set twice (first at s.ini:2)"},
    {"broken_header", "[fleet\nnodes = 3\n", "s.ini:1: malformed section header '[fleet': expected [name]"},
    {"infinite", "[power]\npue = inf\n", "s.ini:2: power.pue: expected a number, got 'inf'"},
    {"load_weight_negative", "[power]\nload_compute_weight = -1\n", "s.ini:2: power.load_compute_weight: value -1 is out of range: allowed [0, 10]"},
    {"load_weight_too_big", "[power]\nload_memory_weight = 11\n", "s.ini:2: power.load_memory_weight: value 11 is out of range: allowed [0, 10]"},
    {"load_weight_not_number", "[power]\nload_memory_weight = high\n", "s.ini:2: power.load_memory_weight: expected a number, got 'high'"},
    {"power_model_choice", "[power]\nmodel = dynamic\n", "s.ini:2: power.model: expected one of phase|utilisation|load, got 'dynamic'"},
};

static void run_bad_case(void **state) {
  const struct bad_case *c = *state;
  setup(NULL);
  assert_int_equal(ic_scenario_load_text(&sc, c->text, "s.ini"), IC_EINVAL);
  if (!strstr(diag.text, c->expect)) fail_msg("got: %s\nwanted: %s", diag.text, c->expect);
  teardown(NULL);
}

/* Three problems in one file: all three reported, each with its line. */
static void every_error_in_a_file_is_reported(void **state) {
  (void)state;
  assert_int_equal(ic_scenario_load_file(&sc, "tests/data/bad_scenario.ini"), IC_EINVAL);
  assert_non_null(strstr(diag.text, "tests/data/bad_scenario.ini:4: unknown key 'traffic.prompt_tokns'"));
  assert_non_null(strstr(diag.text, "tests/data/bad_scenario.ini:7: serving.max_batch: value -4 is out of range"));
  assert_non_null(strstr(diag.text, "tests/data/bad_scenario.ini:8: serving.batch_timeout_s: expected a number, got '0.o5'"));
}

static void missing_file_is_reported(void **state) {
  (void)state;
  assert_int_equal(ic_scenario_load_file(&sc, "tests/data/no_such_file.ini"), IC_EIO);
  assert_non_null(strstr(diag.text, "tests/data/no_such_file.ini: cannot open scenario"));
}

static void comments_and_values_parse(void **state) {
  (void)state;
  const char *text = "\xEF\xBB\xBF# comment\n; another\n[traffic]\nqueries_per_day = 2.5e7  # trailing\n"
                     "[serving]\r\nrouter = round_robin\r\n[power]\ngpu_idle_w = 71.25\nnode_base_w = auto\n";
  assert_int_equal(ic_scenario_load_text(&sc, text, "ok.ini"), IC_OK);
  assert_true(sc.traffic.queries_per_day == 2.5e7);
  assert_int_equal(sc.serving.router, IC_ROUTER_ROUND_ROBIN);
  assert_true(sc.power.gpu_idle_w == 71.25);
  assert_true(isnan(sc.power.node_base_w));
  assert_string_equal(ic_scenario_origin(&sc, "traffic.queries_per_day"), "ok.ini:4");
  assert_string_equal(ic_scenario_origin(&sc, "fleet.nodes"), "default");
  assert_int_equal(diag.len, 0);
}

static void overrides_are_validated_the_same_way(void **state) {
  (void)state;
  assert_int_equal(ic_scenario_set(&sc, "serving.max_batch=64", "-s #1"), IC_OK);
  assert_int_equal(sc.serving.max_batch, 64);
  assert_int_equal(ic_scenario_set(&sc, "serving.max_batch=abc", "-s #2"), IC_EINVAL);
  assert_non_null(strstr(diag.text, "-s #2: serving.max_batch: expected an integer, got 'abc'"));
  assert_int_equal(ic_scenario_set(&sc, "fleet.gpu_count=4", "-s #3"), IC_EINVAL);
  assert_non_null(strstr(diag.text, "-s #3: unknown key 'fleet.gpu_count'"));
  assert_int_equal(ic_scenario_set(&sc, "nodes", "-s #4"), IC_EINVAL);
  assert_non_null(strstr(diag.text, "-s #4: expected section.key=value, got 'nodes'"));
  assert_int_equal(sc.serving.max_batch, 64); /* failed overrides change nothing */
}

/* The defaults are the published ChatGPT-2023 figures (docs/scenarios.md):
 * 13 M daily users x 15 queries = 195 M queries/day; the source article's
 * 3,617 DGX A100 servers. */
static void defaults_are_the_chatgpt_like_service(void **state) {
  (void)state;
  assert_true(sc.traffic.queries_per_day == 195e6);
  assert_int_equal(sc.fleet.nodes, 3617);
  assert_string_equal(sc.model.name, "gpt3-175b");
  assert_string_equal(sc.source, "built-in default");
  assert_int_equal(ic_scenario_check(&sc), IC_OK);
}

static void cross_key_checks_point_at_the_line(void **state) {
  (void)state;
  assert_int_equal(ic_scenario_load_text(&sc, "[fleet]\ngpus_per_node = 8\ngpus_per_replica = 3\n[model]\nname = gpt5\n", "x.ini"), IC_OK);
  assert_int_equal(ic_scenario_check(&sc), IC_EINVAL);
  assert_non_null(strstr(diag.text, "x.ini:5: model.name: unknown model"));
  assert_non_null(strstr(diag.text, "x.ini:3: fleet.gpus_per_replica: a replica must fit inside one node"));
}

/* A replica across nodes takes whole nodes, the fleet whole replicas, and a
 * speculative draft is mtp or a catalogue model. */
static void replicas_across_nodes(void **state) {
  (void)state;
  assert_int_equal(ic_scenario_load_text(&sc, "[fleet]\ngpus_per_node = 8\nnodes = 6\ngpus_per_replica = 32\n"
                                              "[model]\nspeculative_draft = tiny\n", "y.ini"), IC_OK);
  assert_int_equal(ic_scenario_check(&sc), IC_EINVAL);
  assert_non_null(strstr(diag.text, "y.ini:3: fleet.nodes: 6 nodes are not whole replicas of 4 nodes each"));
  assert_non_null(strstr(diag.text, "y.ini:6: model.speculative_draft: not none, mtp or a built-in model"));
  diag.len = 0;
  diag.text[0] = 0;
  assert_int_equal(ic_scenario_set(&sc, "fleet.gpus_per_replica=12", "-s #1"), IC_OK);
  assert_int_equal(ic_scenario_set(&sc, "model.speculative_draft=mtp", "-s #2"), IC_OK);
  assert_int_equal(ic_scenario_check(&sc), IC_EINVAL);
  assert_non_null(strstr(diag.text, "-s #1: fleet.gpus_per_replica: a replica across nodes must be a whole number "
                                    "of nodes (8 GPUs per node)"));
  diag.len = 0;
  diag.text[0] = 0;
  assert_int_equal(ic_scenario_set(&sc, "perf.expert_imbalance=1.4", "-s #5"), IC_OK);
  assert_int_equal(ic_scenario_check(&sc), IC_EINVAL);
  assert_non_null(strstr(diag.text, "-s #5: perf.expert_imbalance: has no effect without perf.expert_parallel = true"));
  assert_int_equal(ic_scenario_set(&sc, "perf.expert_parallel=true", "-s #6"), IC_OK);
  diag.len = 0;
  diag.text[0] = 0;
  assert_int_equal(ic_scenario_set(&sc, "fleet.gpus_per_replica=16", "-s #3"), IC_OK);
  assert_int_equal(ic_scenario_set(&sc, "fleet.nodes=8", "-s #4"), IC_OK);
  assert_int_equal(ic_scenario_check(&sc), IC_OK);
}

/* Speculative keys without a draft would change nothing: an error; a draft
 * set to none on purpose turns speculation off quietly. */
static void speculation_needs_a_draft(void **state) {
  (void)state;
  assert_int_equal(ic_scenario_load_text(&sc, "[model]\nspeculative_tokens = 4\n", "z.ini"), IC_OK);
  assert_int_equal(ic_scenario_check(&sc), IC_EINVAL);
  assert_non_null(strstr(diag.text, "z.ini:2: model.speculative_tokens: has no effect without model.speculative_draft"));
  assert_int_equal(ic_scenario_set(&sc, "model.speculative_draft=none", "-s #1"), IC_OK);
  assert_int_equal(ic_scenario_check(&sc), IC_OK);
}

/* A user-defined accelerator with a bf16 peak only, asked for fp16 math:
 * fp16 falls back to fp32, which it lacks, so every iteration would take
 * forever. Refused at check time, at the line of the precision (or of
 * fleet.gpu when the precision is the default), naming the key to set. */
static void accelerator_without_activation_peak_is_refused(void **state) {
  (void)state;
  static const char text[] = "[fleet]\ngpu = my-asic\ngpus_per_replica = 1\nserver = my-box\n[accelerator]\n"
                             "peak_tflops_bf16 = 400\nmemory_gb = 64\nbandwidth_gb_per_s = 1600\ntdp_w = 350\n"
                             "[power]\nnode_base_w = 1200\n[cost]\nserver_price_usd = 90000\n";
  assert_int_equal(ic_scenario_load_text(&sc, text, "a.ini"), IC_OK);
  assert_int_equal(ic_scenario_check(&sc), IC_EINVAL);
  assert_non_null(strstr(diag.text, "a.ini:2: model.activation_precision = fp16: accelerator 'my-asic' (fleet.gpu) "
                                    "has no peak FLOP/s for fp16 math or a wider precision it falls back to: set "
                                    "accelerator.peak_tflops_fp16"));
  diag.len = 0;
  diag.text[0] = '\0';
  assert_int_equal(ic_scenario_set(&sc, "model.activation_precision=fp32", "-s #1"), IC_OK);
  assert_int_equal(ic_scenario_check(&sc), IC_EINVAL);
  assert_non_null(strstr(diag.text, "-s #1: model.activation_precision = fp32: accelerator 'my-asic'"));
  /* bf16 math on it is fine, and fp8 falls back to bf16 */
  assert_int_equal(ic_scenario_set(&sc, "model.activation_precision=fp8", "-s #2"), IC_OK);
  diag.len = 0;
  diag.text[0] = '\0';
  assert_int_equal(ic_scenario_check(&sc), IC_OK);
}

/* The server follows the GPU (issue 11 item 2). An H100 fleet with no
 * server named is priced as DGX H100s: one node, capital only (no network,
 * facility or maintenance), straight line over 5 years of 365 days:
 * 400,000 / 1,825 = 219.178082 USD/day (a DGX A100 would be 109.04). A
 * catalogue server that disagrees with the GPU type or count is an error
 * naming both keys and where each was set. */
static void server_follows_the_gpu(void **state) {
  (void)state;
  static const char *const sets[] = {"fleet.gpu=h100-sxm", "fleet.nodes=1", "cost.network_usd_per_node=0",
                                     "cost.facility_usd_per_kw=0", "cost.maintenance_frac_per_year=0"};
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) assert_int_equal(ic_scenario_set(&sc, sets[i], "t"), IC_OK);
  assert_int_equal(ic_scenario_check(&sc), IC_OK);
  assert_true(fabs(ic_run_fixed_usd_per_day(&sc) - 400000.0 / 1825.0) < 1e-9);
  /* a named server holding another GPU */
  assert_int_equal(ic_scenario_load_text(&sc, "[fleet]\ngpu = h100-sxm\nserver = dgx-a100\n", "g.ini"), IC_OK);
  assert_int_equal(ic_scenario_check(&sc), IC_EINVAL);
  assert_non_null(strstr(diag.text, "g.ini:3: fleet.server: dgx-a100 holds a100-40gb|a100-80gb, not fleet.gpu = "
                                    "h100-sxm (at g.ini:2): use fleet.server = auto (dgx-h100)"));
  /* an 8-GPU DGX charged to a one-GPU node */
  diag.len = 0;
  diag.text[0] = '\0';
  ic_scenario_defaults(&sc);
  assert_int_equal(ic_scenario_load_text(&sc, "[fleet]\ngpu = b200\nserver = dgx-b200\ngpus_per_node = 1\n"
                                              "gpus_per_replica = 1\n", "n.ini"), IC_OK);
  assert_int_equal(ic_scenario_check(&sc), IC_EINVAL);
  assert_non_null(strstr(diag.text, "n.ini:4: fleet.gpus_per_node = 1 disagrees with fleet.server = dgx-b200 (at "
                                    "n.ini:3), which holds 8 GPUs"));
  /* the same node as a server of the user's own, priced as the user says */
  assert_int_equal(ic_scenario_set(&sc, "fleet.server=b200-x1", "t"), IC_OK);
  assert_int_equal(ic_scenario_set(&sc, "power.node_base_w=800", "t"), IC_OK);
  assert_int_equal(ic_scenario_set(&sc, "cost.server_price_usd=64375", "t"), IC_OK);
  diag.len = 0;
  diag.text[0] = '\0';
  assert_int_equal(ic_scenario_check(&sc), IC_OK);
}

/* `sc` printed resolved and read back into `back`. */
static struct ic_scenario back;
static void write_and_read_back(void) {
  static char buf[65536];
  FILE *f = fmemopen(buf, sizeof buf, "w");
  ic_scenario_write(&sc, f);
  fclose(f);
  ic_scenario_defaults(&back);
  assert_int_equal(ic_scenario_load_text(&back, buf, "resolved"), IC_OK);
}

/* The resolved printout can be read back and gives the same scenario. */
static void resolved_scenario_round_trips(void **state) {
  (void)state;
  assert_int_equal(ic_scenario_set(&sc, "power.pue=1.37", "t"), IC_OK);
  write_and_read_back();
  assert_true(back.power.pue == 1.37);
  assert_int_equal(ic_scenario_digest(&back), ic_scenario_digest(&sc));
}

/* Integers are parsed as integers and doubles printed so that they read
 * back bit-exact: 2^53 + 1 = 9007199254740993 is not a double (it would
 * become ...992), 0.1 + 0.2 = 0.30000000000000004 and 1234.5678901234567
 * need 17 significant digits, 2.385e-7 needs 4. Every key of the read-back
 * scenario must equal the original's, compared as stored (memcmp). */
static void many_digit_values_round_trip_exactly(void **state) {
  (void)state;
  static const char *const sets[] = {
      "run.seed=9007199254740993", "run.run=9199999999999999999", "run.duration_s=1234.5678901234567",
      "perf.compute_efficiency=0.30000000000000004", "perf.link_latency_s=2.385e-7",
      "traffic.queries_per_day=123456789.12345679", "power.pue=1.0000000000000002",
      "traffic.prompt_tokens_max=4e6"};
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) assert_int_equal(ic_scenario_set(&sc, sets[i], "t"), IC_OK);
  assert_true(sc.run.seed == INT64_C(9007199254740993));
  assert_true(sc.run.run == INT64_C(9199999999999999999));
  assert_true(sc.traffic.prompt_tokens_max == 4000000);
  assert_true(sc.perf.compute_efficiency == 0.1 + 0.2);
  write_and_read_back();
  for (size_t i = 0; i < ic_scenario_section_count; i++) {
    const struct ic_section_def *sec = &ic_scenario_sections[i];
    for (size_t j = 0; j < sec->key_count; j++) {
      const struct ic_key_def *k = &sec->keys[j];
      size_t size = k->type == IC_KEY_REAL ? sizeof(double) : k->type == IC_KEY_INT ? sizeof(int64_t)
                  : k->type == IC_KEY_BOOL ? sizeof(bool) : k->type == IC_KEY_CHOICE ? sizeof(int) : IC_KEY_TEXT_MAX;
      const char *a = (const char *)&sc + sec->offset + k->offset, *b = (const char *)&back + sec->offset + k->offset;
      if (k->type == IC_KEY_TEXT) size = strlen(a) + 1;
      if (memcmp(a, b, size) != 0) fail_msg("%s.%s does not read back as it was", sec->name, k->name);
    }
  }
  /* beyond 2^53 an exponent form cannot be exact: refused, not rounded */
  assert_int_equal(ic_scenario_set(&sc, "run.seed=1e17", "-s #1"), IC_EINVAL);
  assert_non_null(strstr(diag.text, "-s #1: run.seed: expected an integer written in digits"));
}

/* Every key is documented: docs/scenario-format.md names each `section.key`
 * (regenerate its table with docs/gen_keys_table.sh). */
static void every_key_is_documented(void **state) {
  (void)state;
  FILE *f = fopen("docs/scenario-format.md", "rb");
  assert_non_null(f);
  static char doc[1 << 17];
  size_t n = fread(doc, 1, sizeof doc - 1, f);
  doc[n] = '\0';
  fclose(f);
  for (size_t i = 0; i < ic_scenario_section_count; i++)
    for (size_t j = 0; j < ic_scenario_sections[i].key_count; j++) {
      char name[200];
      snprintf(name, sizeof name, "`%s.%s`", ic_scenario_sections[i].name, ic_scenario_sections[i].keys[j].name);
      if (!strstr(doc, name)) fail_msg("%s is not documented in docs/scenario-format.md", name);
    }
}

int main(void) {
  struct CMUnitTest tests[40];
  size_t n = 0;
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
    tests[n++] = (struct CMUnitTest){bad_cases[i].name, run_bad_case, NULL, NULL, (void *)(uintptr_t)&bad_cases[i]};
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(every_error_in_a_file_is_reported, setup, teardown);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(missing_file_is_reported, setup, teardown);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(comments_and_values_parse, setup, teardown);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(overrides_are_validated_the_same_way, setup, teardown);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(defaults_are_the_chatgpt_like_service, setup, teardown);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(cross_key_checks_point_at_the_line, setup, teardown);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(replicas_across_nodes, setup, teardown);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(speculation_needs_a_draft, setup, teardown);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(resolved_scenario_round_trips, setup, teardown);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(many_digit_values_round_trip_exactly, setup, teardown);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(accelerator_without_activation_peak_is_refused, setup, teardown);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test_setup_teardown(server_follows_the_gpu, setup, teardown);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(every_key_is_documented);
  return _cmocka_run_group_tests("scenario", tests, n, NULL, NULL);
}
