/* test_kernels.c: the measured-kernels table (tests/data/kernels_fixture.csv,
 * made-up times), each row's FLOPs, bytes and predicted time against hand
 * calculations from the catalogue's H100 figures (989 TFLOP/s fp16, 1,979
 * fp8, 3.35 TB/s), and `validate --kernels` on good and bad tables. */
#define _POSIX_C_SOURCE 200809L /* popen */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ic_test_cli.h"
#include "ic_test_diag.h"
#include "infercost/hw.h"
#include "infercost/kernels.h"
#include "infercost/scenario.h"

static const char fixture[] = "tests/data/kernels_fixture.csv";

/* The roofline profile: the perf keys' defaults (compute 0.5, memory 0.8, p = 0). */
static struct ic_perf_params roofline(void) {
  static struct ic_scenario s;
  ic_scenario_defaults(&s);
  return s.perf;
}

static void near(double got, double want) {
  if (!(fabs(got - want) <= 1e-12 * fabs(want))) fail_msg("got %.17g, want %.17g", got, want);
}

static struct ic_kernel_row *load_fixture(size_t *n) {
  struct ic_kernel_row *rows = NULL;
  assert_int_equal(ic_kernel_load(fixture, &rows, n), IC_OK);
  assert_int_equal(*n, 6);
  return rows;
}

/* FIX1, fp16 GEMM 4096 x 8192 x 8192: 2mnk = 549.755813888 GFLOP at
 * 989e12 x 0.5 = 1.1117e-3 s, against (mk + kn) x 2 + mn x 2 = 268,435,456 B
 * at 3.35e12 x 0.8 = 1.0e-4 s: compute-bound. */
static void gemm_compute_bound_by_hand(void **state) {
  (void)state;
  size_t n;
  struct ic_kernel_row *rows = load_fixture(&n);
  const struct ic_kernel_row *r = &rows[0];
  assert_string_equal(r->id, "FIX1");
  assert_int_equal(r->line, 2);
  assert_true(isnan(r->batch) && r->time_us_p90 == 815);
  double flops, bytes;
  ic_kernel_work(r, &flops, &bytes);
  near(flops, 549755813888.0);
  near(bytes, 268435456.0);
  struct ic_perf_params p = roofline();
  near(ic_kernel_predict_s(r, &p), 549755813888.0 / (989e12 * 0.5));
  free(rows);
}

/* FIX2, fp8 GEMM 16 x 8192 x 8192: 1-byte inputs, 2-byte output:
 * 131,072 + 67,108,864 + 262,144 = 67,502,080 B at 3.35e12 x 0.8 = 25.19 us
 * against 2.147 GFLOP at 1979e12 x 0.5 = 2.17 us: memory-bound. The fitted
 * profile's H100 fp8 entry (tests/data/published fit; perf_fitted.c):
 * compute 0.535, memory 0.7836, combined as (c^p + m^p)^(1/p), p = 1.975. */
static void gemm_memory_bound_and_fitted(void **state) {
  (void)state;
  size_t n;
  struct ic_kernel_row *rows = load_fixture(&n);
  const struct ic_kernel_row *r = &rows[1];
  struct ic_perf_params p = roofline();
  near(ic_kernel_predict_s(r, &p), 67502080.0 / (3.35e12 * 0.8));
  struct ic_perf_params f;
  assert_true(ic_perf_fitted("h100-sxm", IC_FP8, &f));
  double c = 2147483648.0 / (1979e12 * 0.535), m = 67502080.0 / (3.35e12 * 0.7836);
  double want = pow(pow(c, 1.975) + pow(m, 1.975), 1 / 1.975);
  assert_true(fabs(ic_kernel_predict_s(r, &f) - want) <= 1e-9 * want);
  /* fp16 has no fitted entry: the CLI says n/a */
  assert_false(ic_perf_fitted("h100-sxm", IC_FP16, &f));
  free(rows);
}

/* FIX3, bf16 decode attention, 8 sequences of 4,095 cached tokens, 32 query
 * heads over 8 KV heads of 128: the model's convention (model.c) counts the
 * new token's own position, 4,096 in all: 4 x 8 x 32 x 128 x 4,096 FLOPs and
 * 2 x 8 x 8 x 128 x 4,096 x 2 B of K and V (read, and the new token's
 * written) = 134,217,728 B at 3.35e12 x 0.8: 50.08 us, memory-bound. */
static void decode_attention_by_hand(void **state) {
  (void)state;
  size_t n;
  struct ic_kernel_row *rows = load_fixture(&n);
  const struct ic_kernel_row *r = &rows[2];
  double flops, bytes;
  ic_kernel_work(r, &flops, &bytes);
  near(flops, 4.0 * 8 * 32 * 128 * 4096);
  near(bytes, 134217728.0);
  struct ic_perf_params p = roofline();
  near(ic_kernel_predict_s(r, &p), 134217728.0 / (3.35e12 * 0.8));
  /* Attention's own efficiencies apply: half the read rate, twice the time. */
  p.attention_memory_efficiency = 0.5;
  near(ic_kernel_predict_s(r, &p), 134217728.0 / (3.35e12 * 0.8 * 0.5));
  free(rows);
}

/* FIX4, fp8 causal prefill of 2,048 tokens: 4 x 32 x 128 x 2048 x 2049 / 2
 * FLOPs; the K and V written, 2 x 8 x 128 x 2,048 x 1 B. */
static void prefill_attention_by_hand(void **state) {
  (void)state;
  size_t n;
  struct ic_kernel_row *rows = load_fixture(&n);
  double flops, bytes;
  ic_kernel_work(&rows[3], &flops, &bytes);
  near(flops, 4.0 * 32 * 128 * 2048.0 * 2049.0 / 2.0);
  near(bytes, 2.0 * 8 * 128 * 2048);
  free(rows);
}

/* A kernel is timed as ic_perf_iter_s times that work inside an iteration:
 * the decode attention of a one-layer model with no LM head on one H100 is
 * the attention part of its iteration, to the bit. */
static void kernel_matches_iteration_attention(void **state) {
  (void)state;
  size_t n;
  struct ic_kernel_row *rows = load_fixture(&n);
  const struct ic_kernel_row *r = &rows[2];
  struct ic_model_spec m = {.name = "one-layer", .layers = 1, .hidden = 4096, .heads = 32, .kv_heads = 8,
                            .head_dim = 128, .ffn = 14336, .gated_ffn = true, .vocab = 0, .context_max = 8192,
                            .experts = 1, .experts_active = 1};
  struct ic_precisions prec = {.weights = IC_BF16, .activations = IC_BF16, .kv = IC_BF16, .experts = IC_BF16};
  struct ic_perf_params params = roofline();
  params.roofline_p = 1.975; /* the combination carries over too */
  params.attention_compute_efficiency = 0.7;
  struct ic_perf perf;
  assert_int_equal(ic_perf_init(&perf, &m, ic_hw_find_gpu("h100-sxm"), 1, &prec, &params, "t"), IC_OK);
  struct ic_iter_shape s = ic_iter_shape_decode(8, 4095);
  struct ic_perf_breakdown b;
  ic_perf_iter_s(&perf, &s, &b);
  assert_true(b.attention_s == ic_kernel_predict_s(r, &params));
  free(rows);
}

/* FIX6, a Llama-3.1-8B decode step of one sequence on an H100: memory-bound,
 * so its GPU work is about the weights it streams at 3.35e12 x 0.8 B/s. By
 * hand from the model's configuration (32 layers, hidden 4096, 32/8 heads of
 * 128, gated FFN 14336, vocabulary 128,256): per layer 4096 x (4096 + 2 x
 * 1024 + 4096) attention + 3 x 4096 x 14336 FFN = 218,103,808 weights, x 32 =
 * 6,979,321,856, plus the LM head 525,336,576: 7,504,658,432 x 2 bytes =
 * 15.009 GB, 5.601 ms. The KV cache (512 tokens x 32 layers x 2 x 1024 x 2 B =
 * 67 MB) and activations add under 1%; the prediction holds no overhead. */
static void step_is_the_weights_streamed(void **state) {
  (void)state;
  size_t n;
  struct ic_kernel_row *rows = load_fixture(&n);
  const struct ic_kernel_row *r = &rows[5];
  struct ic_perf_params params = roofline();
  double by_hand = 7504658432.0 * 2 / (3.35e12 * 0.8);
  double t = ic_kernel_predict_s(r, &params);
  if (!(t >= by_hand && t <= by_hand * 1.01)) fail_msg("step %.6g s, weights alone %.6g s", t, by_hand);
  params.overhead_s = 0.5; /* an iteration's overheads are not a step's GPU work */
  near(ic_kernel_predict_s(r, &params), t); /* to rounding: (x + 0.5) - 0.5 */
  free(rows);
}

/* The committed table of kernels timed on a lent H100 and H200
 * (tests/data/published/kernels.csv): every row reads, and the command's
 * overall figure is the one docs/validation-kernels.md states. */
static void committed_table(void **state) {
  (void)state;
  static char out[1 << 18];
  assert_int_equal(ic_test_infercost("validate --kernels --no-plot", out, sizeof out), 0);
  assert_non_null(strstr(out, "overall                          rows 810  median   26.1%  p90   63.0%"));
  assert_non_null(strstr(out, "step_prefill tokens > 1024       rows   6  median    6.2%  p90    8.2%"));
}

/* The command on the fixture: a row per kernel, fp16 and bf16 fitted n/a
 * (empty in the CSV), and the summary's groups. */
static void cli_on_the_fixture(void **state) {
  (void)state;
  static char out[16384];
  assert_int_equal(ic_test_infercost("validate --kernels tests/data/kernels_fixture.csv -o test_kernels_out --no-plot",
                                     out, sizeof out), 0);
  assert_non_null(strstr(out, "n/a"));
  assert_non_null(strstr(out, "gemm m <= 64"));
  assert_non_null(strstr(out, "profile fitted:"));
  FILE *f = fopen("test_kernels_out/kernels.csv", "r");
  assert_non_null(f);
  char line[1024];
  size_t rows = 0;
  bool fix1_na = false;
  while (fgets(line, sizeof line, f)) {
    rows++;
    /* FIX1 (h100-sxm fp16): roofline 1111.74 us, error +0.3897, fitted empty */
    if (!strncmp(line, "FIX1,", 5)) fix1_na = strstr(line, ",800,1111.74,0.3897,,,") != NULL;
  }
  fclose(f);
  assert_int_equal(rows, 7);
  assert_true(fix1_na);
  remove("test_kernels_out/kernels.csv");
  remove("test_kernels_out/kernels_summary.csv");
  remove("test_kernels_out");
}

/* Bad tables: exit 2, each message names file:line and the column; under
 * a refused header the rows are not read (no message of theirs). */
static void bad_tables(void **state) {
  (void)state;
  static const char header[] =
      "id,source,gpu,kernel,precision,m,n,k,batch,heads,kv_heads,head_dim,context,time_us,time_us_p10,time_us_p90,"
      "reps,note,implementation,model\n";
  static const char good[] = "G1,fixture,h100-sxm,gemm,fp16,64,4096,4096,,,,,,12.5,12,13,10,ok,cublaslt,\n";
  static const struct {
    const char *name, *body, *expect;
  } cases[] = {
      {"missing_column", "id,source,gpu,kernel,precision,m,n,k\nB1,fixture,h100-sxm,gemm,fp16,64,4096,4096\n",
       ":1: header: missing column 'batch'"},
      {"unknown_column", "id,sauce\n", ":1: header: column 2: unknown column 'sauce'"},
      {"non_numeric", "B1,fixture,h100-sxm,gemm,fp16,abc,4096,4096,,,,,,12.5,12,13,10,x,cublaslt,\n",
       ":3: column 6 (m): expected a positive whole number, got 'abc'"},
      {"unknown_kernel", "B1,fixture,h100-sxm,conv,fp16,64,4096,4096,,,,,,12.5,12,13,10,x,cublaslt,\n",
       ":3: column 4 (kernel): expected gemm|attn_decode|attn_prefill|step_decode|step_prefill, got 'conv'"},
      {"unknown_gpu", "B1,fixture,h999,gemm,fp16,64,4096,4096,,,,,,12.5,12,13,10,x,cublaslt,\n",
       ":3: column 3 (gpu): expected a catalogue GPU (a100-40gb|"},
      {"no_source", "B1,,h100-sxm,gemm,fp16,64,4096,4096,,,,,,12.5,12,13,10,x,cublaslt,\n",
       ":3: columns id, source, gpu, kernel, precision, time_us: each row needs all six"},
      {"unknown_precision", "B1,fixture,h100-sxm,gemm,fp4,64,4096,4096,,,,,,12.5,12,13,10,x,cublaslt,\n",
       ":3: column 5 (precision): expected fp16|bf16|fp8, got 'fp4'"},
      {"size_missing", "B1,fixture,h100-sxm,attn_decode,bf16,,,,8,32,8,128,,12.5,12,13,10,x,cublaslt,\n",
       ":3: column 13 (context): kernel attn_decode needs it"},
      {"size_of_other_kind", "B1,fixture,h100-sxm,gemm,bf16,64,4096,4096,8,,,,,12.5,12,13,10,x,cublaslt,\n",
       ":3: column 9 (batch): kernel gemm leaves it empty"},
      {"short_row", "B1,fixture,h100-sxm,gemm\n", ":3: expected 20 fields as in the header, got 4"},
      {"duplicate_id", "G1,fixture,h100-sxm,gemm,fp16,64,4096,4096,,,,,,12.5,12,13,10,x,cublaslt,\n",
       ":3: column 1 (id): 'G1' already on line 2"},
      {"step_without_model", "B1,fixture,h100-sxm,step_decode,bf16,,,,8,,,,512,12.5,12,13,10,x,graph,\n",
       ":3: column 20 (model): kernel step_decode needs it"},
      {"unknown_model", "B1,fixture,h100-sxm,step_decode,bf16,,,,8,,,,512,12.5,12,13,10,x,graph,gpt9\n",
       ":3: column 20 (model): expected a catalogue model (gpt3-175b|"},
      {"model_on_a_gemm", "B1,fixture,h100-sxm,gemm,fp16,64,4096,4096,,,,,,12.5,12,13,10,x,cublaslt,llama3.1-8b\n",
       ":3: column 20 (model): kernel gemm leaves it empty"},
      {"median_outside_spread", "B1,fixture,h100-sxm,gemm,fp16,64,4096,4096,,,,,,14,12,13,10,x,cublaslt,\n",
       ":3: column 14 (time_us): the median 14 is outside its p10 12 and p90 13"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char path[64], args[256], want[256];
    static char out[8192];
    snprintf(path, sizeof path, "test_kernels_%s.csv", cases[i].name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    if (strncmp(cases[i].body, "id,", 3)) fprintf(f, "%s%s", header, good);
    fputs(cases[i].body, f);
    fclose(f);
    snprintf(args, sizeof args, "validate --kernels %s --no-plot", path);
    int rc = ic_test_infercost(args, out, sizeof out);
    snprintf(want, sizeof want, "%s%s", path, cases[i].expect);
    if (rc != 2 || !strstr(out, want)) fail_msg("%s: exit %d, want 2 and '%s', got:\n%s", cases[i].name, rc, want, out);
    if (!strncmp(cases[i].body, "id,", 3) && strstr(out, ":2:")) fail_msg("%s: a row was read:\n%s", cases[i].name, out);
    remove(path);
  }
}

/* A file that is not there, and an unknown option. */
static void bad_command_lines(void **state) {
  (void)state;
  char out[4096];
  assert_int_equal(ic_test_infercost("validate --kernels tests/data/no-such-kernels.csv", out, sizeof out), 2);
  assert_non_null(strstr(out, "cannot open the measured-kernels table"));
  assert_int_equal(ic_test_infercost("validate --kernels tests/data/kernels_fixture.csv --quick", out, sizeof out), 2);
  assert_non_null(strstr(out, "unknown option '--quick'"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gemm_compute_bound_by_hand),
      cmocka_unit_test(gemm_memory_bound_and_fitted),
      cmocka_unit_test(decode_attention_by_hand),
      cmocka_unit_test(prefill_attention_by_hand),
      cmocka_unit_test(kernel_matches_iteration_attention),
      cmocka_unit_test(step_is_the_weights_streamed),
      cmocka_unit_test(committed_table),
      cmocka_unit_test(cli_on_the_fixture),
      cmocka_unit_test(bad_tables),
      cmocka_unit_test(bad_command_lines),
  };
  return cmocka_run_group_tests_name("kernels", tests, diag_capture, diag_release);
}
