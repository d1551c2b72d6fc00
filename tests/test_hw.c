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
    /* Issue 14, sources in docs/hardware.md: H800 = H100 less NVLink; H20;
     * L40S (GDDR6); B300 HGX; GB200 / GB300 in NVL72; AMD MI300X, MI325X, MI355X. */
    {"h800", 989, 1979, 80, 3350, 700},      {"h20", 148, 296, 96, 4000, 400},
    {"l40s", 362.05, 733, 48, 864, 350},     {"b300", 2250, 4500, 270, 8000, 1100},
    {"gb200", 2500, 5000, 186, 8000, 1200},  {"gb300", 2500, 5000, 279, 8000, 1400},
    {"mi300x", 1307.4, 2614.9, 192, 5300, 750}, {"mi325x", 1307.4, 2614.9, 256, 6000, 1000},
    {"mi355x", 2500, 5000, 288, 8000, 1400},
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
  return (struct ic_accel_config){a, a, a, a, a, a, a, a, a, a, a, a};
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

/* Every server names a catalogue accelerator, every accelerator has a
 * server, and NVLink per GPU one way is half the datasheet's bidirectional
 * figure: H800 400 -> 200 GB/s, B200/GB300 1,800 -> 900. */
static void servers_match_accelerators(void **state) {
  (void)state;
  const char *servers[] = {"dgx-a100", "dgx-h100", "dgx-h200", "dgx-b200", "dgx-h800", "hgx-h20", "l40s-8",
                           "dgx-b300", "gb200-nvl72", "gb300-nvl72", "mi300x-8", "mi325x-8", "mi355x-8"};
  const char *gpus[] = {"a100-80gb", "h100-sxm", "h200", "b200", "h800", "h20", "l40s",
                        "b300", "gb200", "gb300", "mi300x", "mi325x", "mi355x"};
  for (size_t i = 0; i < sizeof servers / sizeof servers[0]; i++) {
    const struct ic_server_spec *sv = ic_hw_find_server(servers[i]);
    assert_non_null(sv);
    assert_true(ic_hw_server_holds(sv, gpus[i]));
    assert_ptr_equal(ic_hw_server_for_gpu(gpus[i]), sv);
    assert_true(sv->base_w > 0 && sv->price_usd > 0);
    assert_non_null(strstr(ic_hw_server_names(), servers[i]));
    assert_non_null(strstr(ic_hw_gpu_names(), gpus[i]));
  }
  assert_int_equal(ic_hw_find_server("gb200-nvl72")->gpus, 72);
  assert_true(ic_hw_find_server("gb200-nvl72")->base_w == 132000 - 72 * 1200);
  assert_true(ic_hw_find_gpu("h800")->link_bw_bytes_per_s == 200e9);
  assert_true(ic_hw_find_gpu("gb300")->link_bw_bytes_per_s == 900e9);
  assert_true(ic_hw_find_gpu("h100-sxm")->net_bw_bytes_per_s == 50e9); /* ConnectX-7, 400 Gb/s */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      ROW(gpu_matches_datasheet, gpu_cases, 0), ROW(gpu_matches_datasheet, gpu_cases, 1),
      ROW(gpu_matches_datasheet, gpu_cases, 2), ROW(gpu_matches_datasheet, gpu_cases, 3),
      ROW(gpu_matches_datasheet, gpu_cases, 4), ROW(gpu_matches_datasheet, gpu_cases, 5),
      ROW(gpu_matches_datasheet, gpu_cases, 6), ROW(gpu_matches_datasheet, gpu_cases, 7),
      ROW(gpu_matches_datasheet, gpu_cases, 8), ROW(gpu_matches_datasheet, gpu_cases, 9),
      ROW(gpu_matches_datasheet, gpu_cases, 10), ROW(gpu_matches_datasheet, gpu_cases, 11),
      ROW(gpu_matches_datasheet, gpu_cases, 12), ROW(gpu_matches_datasheet, gpu_cases, 13),
      cmocka_unit_test(servers_match_accelerators),
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
