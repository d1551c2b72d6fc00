/* test_hw.c: catalogue values against the datasheets cited in
 * docs/hardware.md, the precision fallback of ic_hw_peak_flops, and the
 * server each accelerator comes in. */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ic_test.h"

#include "infercost/hw.h"

struct gpu_case {
  const char *name;
  double bf16_tflops, fp8_tflops, memory_gb, bw_gbs, tdp_w;
};
/* NVIDIA A100 / H100 / H200 / HGX B200 datasheets, dense tensor FLOP/s;
 * 0 = no FP8 (A100: falls back to BF16, tested below). */
static struct gpu_case gpu_cases[] = {
    {"a100-40gb", 312, 312, 40, 1555, 400}, {"a100-80gb", 312, 312, 80, 2039, 400},
    {"h100-sxm", 989, 1979, 80, 3350, 700},  {"h200", 989, 1979, 141, 4800, 700},
    {"b200", 2250, 4500, 180, 8000, 1000},
};

static void gpu_matches_datasheet(void **state) {
  const struct gpu_case *c = *state;
  const struct ic_gpu_spec *g = ic_hw_find_gpu(c->name);
  assert_non_null(g);
  assert_true(fabs(ic_hw_peak_flops(g, IC_BF16) - c->bf16_tflops * 1e12) < 1e9);
  assert_true(fabs(ic_hw_peak_flops(g, IC_FP8) - c->fp8_tflops * 1e12) < 1e9);
  assert_true(fabs(g->memory_bytes - c->memory_gb * 1e9) < 1.0);
  assert_true(fabs(g->mem_bw_bytes_per_s - c->bw_gbs * 1e9) < 1.0);
  assert_true(g->tdp_w == c->tdp_w);
  /* Phase power is ordered: idle < decode < prefill <= TDP. */
  assert_true(g->idle_w < g->decode_w && g->decode_w < g->prefill_w && g->prefill_w <= g->tdp_w);
}

/* Splitwise (Patel et al., ISCA 2024): A100 63/400/250 W, H100 75/700/380 W. */
static void splitwise_phase_power(void **state) {
  (void)state;
  const struct ic_gpu_spec *a = ic_hw_find_gpu("a100-80gb"), *h = ic_hw_find_gpu("h100-sxm");
  assert_true(a->idle_w == 63 && a->prefill_w == 400 && a->decode_w == 250);
  assert_true(h->idle_w == 75 && h->prefill_w == 700 && h->decode_w == 380);
}

/* DGX user guides: A100 6.5 kW, H100 10.2 kW max; base = max - 8 x TDP. */
static void servers(void **state) {
  (void)state;
  const struct ic_server_spec *a = ic_hw_find_server("dgx-a100"), *h = ic_hw_find_server("dgx-h100");
  assert_non_null(a);
  assert_non_null(h);
  assert_true(a->base_w == 6500 - 8 * 400 && a->gpus == 8 && a->price_usd == 199000);
  assert_true(h->base_w == 10200 - 8 * 700 && h->gpus == 8);
  assert_non_null(ic_hw_find_server("dgx-b200"));
  assert_null(ic_hw_find_server("dgx-z9"));
  assert_null(ic_hw_find_gpu("h100"));
  assert_non_null(strstr(ic_hw_server_names(), "dgx-h200"));
}

/* fleet.server = auto: every catalogue accelerator is held by a catalogue
 * server (a new accelerator must name one), and each maps to its own DGX. */
static void every_gpu_has_a_server(void **state) {
  (void)state;
  char names[512];
  snprintf(names, sizeof names, "%s", ic_hw_gpu_names());
  for (char *save = NULL, *g = strtok_r(names, "|", &save); g; g = strtok_r(NULL, "|", &save)) {
    const struct ic_server_spec *sv = ic_hw_server_for_gpu(g);
    if (!sv) fail_msg("accelerator %s has no catalogue server (src/hw.c: servers[].gpu_types)", g);
    assert_true(ic_hw_server_holds(sv, g));
  }
  assert_string_equal(ic_hw_server_for_gpu("a100-40gb")->name, "dgx-a100");
  assert_string_equal(ic_hw_server_for_gpu("a100-80gb")->name, "dgx-a100");
  assert_string_equal(ic_hw_server_for_gpu("h100-sxm")->name, "dgx-h100");
  assert_string_equal(ic_hw_server_for_gpu("h200")->name, "dgx-h200");
  assert_string_equal(ic_hw_server_for_gpu("b200")->name, "dgx-b200");
  assert_null(ic_hw_server_for_gpu("a100"));  /* whole names only */
  assert_string_equal(ic_hw_resolve_server("auto", "h200")->name, "dgx-h200");
  assert_string_equal(ic_hw_resolve_server("dgx-a100", "h200")->name, "dgx-a100");
  assert_null(ic_hw_resolve_server("my-box", "h200"));
}

/* int4 math has no tensor rate on these parts: it runs at the int8 rate. */
static void int4_falls_back(void **state) {
  (void)state;
  const struct ic_gpu_spec *h = ic_hw_find_gpu("h100-sxm");
  assert_true(ic_hw_peak_flops(h, IC_INT4) == ic_hw_peak_flops(h, IC_INT8));
}

static void bad_accelerator_is_reported(void **state) {
  (void)state;
  struct ic_diag_buffer buf = {0};
  ic_diag_set_sink(ic_diag_buffer_sink, &buf);
  struct ic_gpu_spec g = {.name = "mine", .peak_flops = {[IC_BF16] = 1e14}, .memory_bytes = 0,
                          .mem_bw_bytes_per_s = 1e12, .link_bw_bytes_per_s = 1e11};
  assert_int_equal(ic_hw_check_gpu(&g, "s.ini"), IC_EINVAL);
  assert_non_null(strstr(buf.text, "s.ini: accelerator 'mine': memory must be positive, got 0 bytes"));
  g.memory_bytes = 1e10;
  assert_int_equal(ic_hw_check_gpu(&g, "s.ini"), IC_OK);
  ic_diag_set_sink(NULL, NULL);
}

#define ROW(fn, table, i) cmocka_unit_test_prestate(fn, (void *)&table[i])
static struct ic_accel_config all_auto(void) {
  const double a = (double)NAN;
  return (struct ic_accel_config){a, a, a, a, a, a, a, a, a, a};
}

/* A catalogue entry with one override keeps everything else. */
static void accelerator_override(void **state) {
  (void)state;
  struct ic_accel_config c = all_auto();
  c.memory_gb = 96;
  struct ic_gpu_spec g;
  assert_int_equal(ic_hw_resolve_gpu("h100-sxm", &c, &g, "t.ini"), IC_OK);
  assert_true(fabs(g.memory_bytes - 96e9) < 1.0);
  assert_true(fabs(g.mem_bw_bytes_per_s - 3350e9) < 1.0);
  assert_true(fabs(ic_hw_peak_flops(&g, IC_BF16) - 989e12) < 1e9);
}

/* A user-defined accelerator: its own figures, phase power from its TDP at
 * the H100's ratios (350 W: idle 37.5 W, prefill 350 W, decode 190 W), and
 * a clear error when the TDP is missing. */
static void user_defined_accelerator(void **state) {
  (void)state;
  struct ic_accel_config c = all_auto();
  c.peak_tflops_bf16 = 400;
  c.memory_gb = 64;
  c.bandwidth_gb_per_s = 1600;
  c.tdp_w = 350;
  struct ic_gpu_spec g;
  assert_int_equal(ic_hw_resolve_gpu("my-asic", &c, &g, "t.ini"), IC_OK);
  assert_string_equal(g.name, "my-asic");
  assert_true(fabs(ic_hw_peak_flops(&g, IC_FP8) - 400e12) < 1e9); /* fp8 runs as bf16 */
  assert_true(fabs(g.idle_w - 37.5) < 1e-9 && fabs(g.prefill_w - 350) < 1e-9 && fabs(g.decode_w - 190) < 1e-9);
  c.tdp_w = (double)NAN;
  struct ic_diag_buffer buf = {0};
  ic_diag_set_sink(ic_diag_buffer_sink, &buf);
  assert_int_equal(ic_hw_resolve_gpu("my-asic", &c, &g, "t.ini"), IC_EINVAL);
  ic_diag_set_sink(NULL, NULL);
  assert_non_null(strstr(buf.text, "t.ini: accelerator 'my-asic' is not built in"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      ROW(gpu_matches_datasheet, gpu_cases, 0), ROW(gpu_matches_datasheet, gpu_cases, 1),
      ROW(gpu_matches_datasheet, gpu_cases, 2), ROW(gpu_matches_datasheet, gpu_cases, 3),
      ROW(gpu_matches_datasheet, gpu_cases, 4),
      cmocka_unit_test(splitwise_phase_power),
      cmocka_unit_test(servers),
      cmocka_unit_test(int4_falls_back),
      cmocka_unit_test(every_gpu_has_a_server),
      cmocka_unit_test(bad_accelerator_is_reported),
      cmocka_unit_test(accelerator_override),
      cmocka_unit_test(user_defined_accelerator),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
