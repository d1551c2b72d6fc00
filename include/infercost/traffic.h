/* traffic.h: where requests come from: stochastic generators and trace replay
 * behind one small interface. */
#ifndef IC_TRAFFIC_H
#define IC_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "infercost/blocks.h"
#include "infercost/keys.h"
#include "infercost/simtime.h"
#include "infercost/status.h"
#include "infercost/trace.h"

typedef struct ic_sim ic_sim;

/* Arrival processes (traffic.arrival). */
enum ic_arrival_kind {
  IC_ARRIVAL_POISSON, /* homogeneous (times the weekly pattern, if any) */
  IC_ARRIVAL_DIURNAL, /* non-homogeneous Poisson over a 24-hour profile */
  IC_ARRIVAL_GAMMA,   /* stationary gamma renewal with a given CV */
  IC_ARRIVAL_TRACE    /* replay of traffic.trace_path */
};
#define IC_ARRIVAL_CHOICES "poisson|diurnal|gamma|trace"

/* Length distributions (traffic.prompt_dist, traffic.output_dist). */
enum ic_length_kind {
  IC_LENGTH_FIXED,     /* always <x>_tokens */
  IC_LENGTH_UNIFORM,   /* integers in [<x>_tokens_min, <x>_tokens_max] */
  IC_LENGTH_LOGNORMAL, /* mean <x>_tokens and CV <x>_tokens_cv, or mu/sigma */
  IC_LENGTH_ZIPF,      /* P(k) ~ k^-s on 1..<x>_tokens_max */
  IC_LENGTH_EMPIRICAL  /* the histogram of traffic.trace_path's column */
};
#define IC_LENGTH_CHOICES "fixed|uniform|lognormal|zipf|empirical"
/* How empirical lengths are drawn from traffic.trace_path
 * (traffic.empirical_sampling). */
enum ic_empirical_sampling {
  IC_EMPIRICAL_COLUMNS,  /* each column from its own histogram, independently */
  IC_EMPIRICAL_ROWS,     /* a whole row at random (with replacement): a prompt with its own output */
  IC_EMPIRICAL_EACH_ONCE /* every row once per pass, passes in seeded shuffled orders */
};
#define IC_EMPIRICAL_SAMPLING_CHOICES "columns|rows|each_once"

/* How load is offered (traffic.mode), as benchmarks offer it. */
enum ic_load_mode {
  IC_LOAD_OPEN,    /* arrivals at the times the arrival process draws (MLPerf Server) */
  IC_LOAD_OFFLINE, /* traffic.requests requests all at time 0 (MLPerf Offline, trtllm-bench) */
  IC_LOAD_CLOSED   /* traffic.clients closed-loop clients: next request think_time_s after the last completes */
};
#define IC_LOAD_MODE_CHOICES "open|offline|closed"
/* What happens to a request whose prompt + output exceed the model's
 * context (traffic.over_context). */
enum ic_over_context_policy {
  IC_OVER_CONTEXT_CLAMP,  /* prompt cut to context - 1 if longer, output to what is left; counted */
  IC_OVER_CONTEXT_REJECT, /* refuse it before it reaches the fleet; counted */
  IC_OVER_CONTEXT_ERROR   /* stop: bad input (a trace: its file:line) */
};
#define IC_OVER_CONTEXT_CHOICES "clamp|reject|error"

/* Requests and their tokens, as counted by a source. */
struct ic_request_count {
  uint64_t requests;
  int64_t prompt_tokens, output_tokens;
};

#define IC_TRAFFIC_MAX_CLASSES 16
#define IC_TRAFFIC_NONE "none" /* value of a list key that is not used */

/* [traffic] section of a scenario (keys: docs/traffic.md). Lists are
 * '|'-separated text, "none" when unused. */
struct ic_traffic_config {
  double queries_per_day;     /* mean arrivals per simulated day */
  int64_t prompt_tokens;      /* fixed prompt length, or its mean (lognormal), tokens */
  int64_t output_tokens;      /* fixed output length, or its mean (lognormal), tokens */
  int arrival;                /* enum ic_arrival_kind */
  double arrival_cv;          /* gamma: CV of inter-arrival gaps */
  double diurnal_peak_to_trough;           /* diurnal: busiest / quietest rate */
  double diurnal_peak_hour;                /* diurnal: hour of the peak, [0, 24) */
  char diurnal_hourly_weights[IC_KEY_TEXT_MAX]; /* diurnal: 24 weights, or none */
  char weekly_weights[IC_KEY_TEXT_MAX];    /* 7 day weights from day 0, or none */
  char rate_profile[IC_KEY_TEXT_MAX];      /* poisson, gamma: up to 24 relative rates, or none */
  double rate_profile_bin_s;               /* length of each, s (the profile repeats) */
  int prompt_dist, output_dist;            /* enum ic_length_kind */
  double prompt_tokens_cv, output_tokens_cv;             /* lognormal CV */
  double prompt_lognormal_mu, prompt_lognormal_sigma;    /* NAN = from mean, CV */
  double output_lognormal_mu, output_lognormal_sigma;
  int64_t prompt_tokens_min, prompt_tokens_max;          /* bounds of every draw */
  int64_t output_tokens_min, output_tokens_max;
  double prompt_zipf_s, output_zipf_s;                   /* zipf exponent */
  int empirical_sampling;                     /* enum ic_empirical_sampling */
  double empirical_output_scale;              /* empirical outputs times this, rounded (>= 1 token) */
  char class_names[IC_KEY_TEXT_MAX];          /* e.g. chat|code|api, or none */
  char class_shares[IC_KEY_TEXT_MAX];         /* e.g. 0.6|0.3|0.1 */
  char class_prompt_tokens[IC_KEY_TEXT_MAX];  /* per class, or none */
  char class_output_tokens[IC_KEY_TEXT_MAX];  /* per class, or none */
  char class_ttft_target_s[IC_KEY_TEXT_MAX];  /* per class, s, or none */
  char class_tpot_target_s[IC_KEY_TEXT_MAX];  /* per class, s, or none */
  char class_usd_per_m_input_tokens[IC_KEY_TEXT_MAX];        /* per class, USD/M tokens, or none (the global price) */
  char class_usd_per_m_cached_input_tokens[IC_KEY_TEXT_MAX]; /* per class, USD/M tokens, or none */
  char class_usd_per_m_output_tokens[IC_KEY_TEXT_MAX];       /* per class, USD/M tokens, or none */
  char trace_path[IC_KEY_TEXT_MAX];           /* trace replay / empirical */
  int trace_format;                           /* enum ic_trace_format */
  char trace_time_column[IC_KEY_TEXT_MAX];    /* generic: name or number */
  char trace_prompt_column[IC_KEY_TEXT_MAX];
  char trace_output_column[IC_KEY_TEXT_MAX];
  int trace_time_unit;                        /* enum ic_trace_time_unit */
  bool trace_time_relative;                   /* generic: offsets from 0 */
  double trace_speedup;                       /* 2 = replay twice as fast */
  double trace_start_s;                       /* trace time where replay starts, s */
  bool trace_loop;                            /* start over when it ends */
  bool trace_match_volume;                    /* rescale time to queries_per_day */
  bool trace_skip_bad_rows;                   /* skip and count bad rows */
  char trace_hash_column[IC_KEY_TEXT_MAX];    /* jsonl: field of block ids, or none */
  char trace_class_column[IC_KEY_TEXT_MAX];   /* column or field naming the class, or none */
  int64_t trace_block_tokens;                 /* tokens per block of hash ids */
  int trace_zero_output;                      /* enum ic_zero_output */
  double trace_rate_scale;                    /* k: k-fold rate from shifted / thinned copies */
  double trace_rate_scale_shift_s;            /* copies spread over this much time, s */
  /* generated prefixes (blocks of trace_block_tokens) */
  int64_t system_prompts;                     /* N shared system prompts per class; 0 = none */
  int64_t system_prompt_tokens;               /* S: tokens of each, added before the prompt */
  double system_prompt_zipf_s;                /* popularity: P(prompt k) ~ k^-s */
  double session_turns;                       /* mean turns per conversation (geometric); 1 = none */
  double session_think_s;                     /* mean think time between turns (exponential), s */
  int mode;                                   /* enum ic_load_mode */
  int64_t requests;       /* offline, closed: requests sent in all (0: closed, until the run ends) */
  int64_t clients;        /* closed: clients, each with one request in flight or thinking */
  double think_time_s;    /* closed: pause between a completion and that client's next request, s */
  int over_context;                           /* enum ic_over_context_policy */
  /* Token prices (revenue; 0: none). */
  double usd_per_m_input_tokens;              /* uncached prompt tokens */
  double usd_per_m_cached_input_tokens;       /* prompt tokens served from a prefix cache */
  double usd_per_m_output_tokens;
};

/* What trace replay does with rows of 0 output tokens (traffic.trace_zero_output). */
enum ic_zero_output { IC_ZERO_OUTPUT_KEEP, IC_ZERO_OUTPUT_DROP };
#define IC_ZERO_OUTPUT_CHOICES "keep|drop"

/* One request as it arrives. */
struct ic_request {
  uint64_t id;             /* arrival order, from 0 */
  ic_time_ns arrival_ns;   /* absolute simulated arrival time */
  int64_t prompt_tokens;   /* input tokens (>= 1, <= IC_REQUEST_TOKENS_MAX) */
  int64_t output_tokens;   /* tokens to generate (>= 1, <= IC_REQUEST_TOKENS_MAX) */
  int class_id;            /* index into ic_traffic_classes, 0 when one class */
  /* Prefix blocks of the prompt, when the source knows them: the chained
   * hashes (blocks.h) of blocks 0..block_count-1 sit at positions
   * block_pos.. of the source's ring (ic_source_blocks), one per
   * ic_block_ring_block_tokens tokens, the last one possibly partial.
   * block_count is 0 when the source has no block identities. */
  uint32_t block_count;
  uint64_t block_pos;
};

/* A request class: its share of arrivals, lengths and latency targets. */
struct ic_traffic_class {
  char name[32];
  double share;            /* fraction of arrivals, sums to 1 */
  int64_t prompt_tokens;   /* fixed value or mean, tokens */
  int64_t output_tokens;   /* fixed value or mean, tokens */
  double ttft_target_s;    /* time-to-first-token target, s; NAN = none */
  double tpot_target_s;    /* time per output token target, s; NAN = none */
  bool priced;             /* a class_usd_per_m_* list is set: revenue is summed per class */
  double usd_per_m_input_tokens, usd_per_m_cached_input_tokens, usd_per_m_output_tokens; /* the class's or the global */
};

/* A source of requests in non-decreasing arrival order. */
typedef struct ic_source ic_source;

struct ic_source_ops {
  const char *name;
  /* Fills *out with the next request: IC_OK, IC_ENOENT when the source is
   * exhausted, another status (already reported via ic_diag) on bad input. */
  ic_status (*next)(ic_source *src, struct ic_request *out);
  void (*free)(ic_source *src);
  /* Optional (NULL: nothing to do): the run is over; reads what the
   * source's checks and input_hash still need. IC_OK or an error (reported). */
  ic_status (*finish)(ic_source *src);
};

/* ops and blocks are the source's; the fields below them belong to
 * ic_source_next and ic_traffic_open, and a source zeroes them (no context
 * limit, no input files) apart from input_hash when it reads a trace. */
struct ic_source {
  const struct ic_source_ops *ops;
  ic_block_ring *blocks;            /* owned by the source; NULL: no block identities */
  int64_t context_max_tokens;       /* <= 0: no limit */
  int over_context;                 /* enum ic_over_context_policy */
  struct ic_request_count offered;  /* every request made, before the context limit */
  struct ic_request_count over;     /* longer than the context: clamp: tokens cut; reject: theirs */
  uint64_t delivered;               /* requests handed out: the next id */
  uint64_t input_hash;              /* FNV-1a 64 of the trace files read (0: none) */
  ic_time_ns count_from_ns;         /* offered and over count arrivals from here (warm-up) */
};

/* --- create --------------------------------------------------------------- */

/* Builds the source the [traffic] section describes: a generator drawing
 * from the streams "traffic.arrivals", "traffic.lengths", "traffic.classes"
 * of `sim`, or a trace replay. Arrivals stop before `end_ns`; a request
 * whose prompt + output exceed context_max_tokens (<= 0: no limit) is
 * clamped, rejected or an error as traffic.over_context says, and counted
 * (ic_source_over_context). A trace is read once: the replay checks every
 * row it reads (its class and, with over_context = error, its length), and
 * ic_source_finish checks the rows after the run's end, so bad input fails
 * the run (before it starts when the first rows are bad, with
 * traffic.trace_match_volume before it starts in any case). IC_OK and *out (free with ic_source_free);
 * IC_EINVAL (reported, naming traffic.<key> or file:line); IC_EIO; IC_ENOMEM. */
ic_status ic_traffic_open(const struct ic_traffic_config *cfg, ic_sim *sim, ic_time_ns end_ns,
                          int64_t context_max_tokens, ic_source **out);

/* Poisson arrivals at `rate_per_s` with fixed lengths, until `end_ns`
 * (exclusive). Draws from `rng`, which the caller keeps alive. NULL when out
 * of memory. */
ic_source *ic_source_poisson_fixed(gsl_rng *rng, double rate_per_s, int64_t prompt_tokens,
                                   int64_t output_tokens, ic_time_ns end_ns);

/* --- use -------------------------------------------------------------------- */

/* The source's next request that fits the context (see ic_traffic_open),
 * numbered in delivery order from 0; a clamped one keeps the block hashes
 * of the blocks its prompt still covers. IC_EINVAL (reported) when one
 * does not fit and the policy is error. */
ic_status ic_source_next(ic_source *src, struct ic_request *out);

/* The run is over: a trace replay reads the rest of its trace, checking
 * every row, so that input_hash covers the whole file. IC_OK or an error
 * (reported: a bad row after the run's end still fails the run). */
ic_status ic_source_finish(ic_source *src);

/* The ring holding the block hashes of the source's requests, NULL when it
 * has none (a replay makes it at the first row that names blocks). Positions stay valid for the ring's capacity of later pushes. */
const ic_block_ring *ic_source_blocks(const ic_source *src);

/* Requests longer than the context met so far (clamped or rejected): for
 * clamp the tokens cut, for reject the rejected requests' tokens. */
const struct ic_request_count *ic_source_over_context(const ic_source *src);

/* Every request the source made so far, before the context limit. */
const struct ic_request_count *ic_source_offered(const ic_source *src);

/* Counts (offered, over the context) only requests arriving at or after
 * `from_ns`, e.g. after a warm-up; 0 (the default) counts all. */
void ic_source_count_from(ic_source *src, ic_time_ns from_ns);

/* A hash of the content of every file the source read (a trace, an
 * empirical histogram's trace), computed while reading; 0 when none. A
 * replay's covers the whole trace after ic_source_finish. */
uint64_t ic_source_input_hash(const ic_source *src);

/* Checks the '|'-lists and key combinations of the section without reading
 * files; reports each problem naming traffic.<key>. IC_OK or IC_EINVAL. */
ic_status ic_traffic_check(const struct ic_traffic_config *cfg);

/* The request classes: one named "default" with share 1 when class_names is
 * none. Fills out[0..*count). IC_OK or IC_EINVAL (reported). */
ic_status ic_traffic_classes(const struct ic_traffic_config *cfg, struct ic_traffic_class out[IC_TRAFFIC_MAX_CLASSES],
                             size_t *count);

/* --- samplers and their densities, in the style of gsl_ran_* --------------- */

/* Lognormal parameters with mean `mean` and coefficient of variation `cv`:
 * sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2. */
void ic_lognormal_from_mean_cv(double mean, double cv, double *mu, double *sigma);

/* Gamma-distributed gap with mean `mean_s` and CV `cv` (shape 1/cv^2);
 * its CDF. */
double ic_ran_gamma_gap(const gsl_rng *r, double mean_s, double cv);
double ic_cdf_gamma_gap_P(double x_s, double mean_s, double cv);

/* Zipf on 1..n with P(k) = k^-s / H(n, s), s > 0 (rejection-inversion,
 * Hoermann and Derflinger 1996: O(1) time and memory); its pdf (O(n)). */
unsigned long ic_ran_zipf(const gsl_rng *r, double s, unsigned long n);
double ic_ran_zipf_pdf(unsigned long k, double s, unsigned long n);

/* Relative arrival rate of the diurnal profile at `hour` in [0, 24):
 * 1 + a cos(2 pi (hour - peak_hour) / 24), a = (r - 1) / (r + 1); its mean
 * over a day is 1, its max / min is r = peak_to_trough. */
double ic_diurnal_factor(double hour, double peak_to_trough, double peak_hour);

/* --- destroy ---------------------------------------------------------------- */

/* Frees a source; NULL does nothing. */
void ic_source_free(ic_source *src);

#endif
