/* published_configs.h: the submissions' own scheduler settings
 * (tests/data/published/submission_configs.csv): per MLPerf experiment and
 * mode, the batch cap, token budget and scheduling knobs read from the
 * submission's published code and configuration (docs/validation-published.md,
 * "Fifth round (S)"). */
#ifndef IC_PUBLISHED_CONFIGS_H
#define IC_PUBLISHED_CONFIGS_H

#include <stdbool.h>
#include <stddef.h>

#include "infercost/status.h"

/* One experiment and mode; a count is 0 where the source states none. */
struct ic_pub_config {
  char experiment[96], mode[16];
  long max_batch;          /* TensorRT-LLM gpu_batch_size; vLLM max_num_seqs (and AMD's decode-batch target) */
  long max_num_tokens;     /* tokens an iteration: TensorRT-LLM max_num_tokens, vLLM max_num_batched_tokens */
  bool chunked;            /* the engine chunks prompts (TensorRT-LLM enable_chunked_context, vLLM V1) */
  long scheduler_steps;    /* vLLM num_scheduler_steps */
  long prefill_min_queue;  /* AMD's VLLM_LLAMA2_MLPERF_MIN_REQUIRE_PREFILL_QUERY */
  double gpu_memory_utilization; /* vLLM's share of the GPU's memory for weights, activations and KV
                                    cache, (0, 1]; 0 where the source states none */
  long prefill_chunk_max_tokens; /* prompt tokens one request may take an iteration: vLLM
                                    long_prefill_token_threshold */
  int line;                /* in the file, for messages */
};

/* Reads the file. IC_OK and *configs (free()) of *count; IC_EIO, or
 * IC_EINVAL with file, line and column reported (a missing column (only
 * gpu_memory_utilization and prefill_chunk_max_tokens may be left out), a count
 * that is not a whole number >= 0, a memory share outside (0, 1], a mode or chunked_prefill not of its
 * choices, an experiment and mode given twice); IC_ENOMEM. */
/* Feeds the CSV file `path` through libcsv's callbacks (`ctx` is theirs),
 * stopping once a callback sets *st. A parse error is reported against the
 * line after the `*line` records read so far and sets *st = IC_EINVAL.
 * Returns IC_EIO when the file cannot be opened (naming `what`), IC_ENOMEM
 * when libcsv cannot start, otherwise *st. Shared by both table loaders. */
ic_status ic_pub_read_csv(const char *path, const char *what, void (*field)(void *, size_t, void *),
                          void (*record)(int, void *), void *ctx, const int *line, ic_status *st);

/* ic_pub_read_csv for a table that must hold rows: also IC_EINVAL ("the
 * table has no rows", reported at `path`) when *count is 0 after reading.
 * The caller frees its rows on any status but IC_OK. */
ic_status ic_pub_read_rows(const char *path, const char *what, void (*field)(void *, size_t, void *),
                           void (*record)(int, void *), void *ctx, const int *line, ic_status *st, const size_t *count);

/* A libcsv field (`data` may be NULL for an empty one) as a string in buf,
 * cut at size - 1 bytes. */
void ic_pub_field_text(char *buf, size_t size, const void *data, size_t len);

/* Makes room for one more row in *rows (of `elem_size` bytes each, `count`
 * used of *cap; the first allocation holds `first_cap`). IC_OK or IC_ENOMEM,
 * *rows untouched then. Shared by both table loaders. */
ic_status ic_pub_grow(void **rows, size_t *cap, size_t count, size_t elem_size, size_t first_cap);

ic_status ic_pub_load_configs(const char *path, struct ic_pub_config **configs, size_t *count);

/* The settings of `experiment` in `mode`; NULL if none. */
const struct ic_pub_config *ic_pub_find_config(const struct ic_pub_config *configs, size_t count, const char *experiment,
                                               const char *mode);

#endif
