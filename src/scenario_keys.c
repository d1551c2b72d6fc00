/* scenario_keys.c: every scenario key, its default, range, unit and meaning.
 *
 * This table is the single place where input is declared; scenario.c
 * validates everything through it. The defaults together form the built-in
 * ChatGPT-like scenario; their sources are in docs/scenarios.md. Changing a
 * name here breaks users' scenario files and sweeps: add, do not rename. */
#include <math.h>
#include <stddef.h>

#include "infercost/scenario.h"

#define BIG 1e300
#define KEY(sec_struct, field, type, def, lo, hi, open, choices, unit, doc) \
  {#field, type, offsetof(struct sec_struct, field), def, lo, hi, open, choices, unit, doc}

static const struct ic_key_def run_keys[] = {
    KEY(ic_run_config, seed, IC_KEY_INT, "42", 0, 9.2e18, false, NULL, "", "base seed of every random stream"),
    KEY(ic_run_config, run, IC_KEY_INT, "0", 0, 9.2e18, false, NULL, "", "replication index: independent streams for the same seed"),
    KEY(ic_run_config, duration_s, IC_KEY_REAL, "3600", 0, 3.2e7, true, NULL, "s", "simulated span; per-day figures are scaled to 86,400 s"),
    KEY(ic_run_config, warmup_s, IC_KEY_REAL, "auto", 0, 3.2e7, false, NULL, "s", "simulated before the counted window, not counted (auto: 4 x a mean request's time alone on a replica, at least 60 s; 0 for offline and fixed-count closed loads)"),
    KEY(ic_run_config, series_interval_s, IC_KEY_REAL, "60", 0, 3.2e7, true, NULL, "s", "row length of timeseries.csv (run -o)"),
    KEY(ic_run_config, shards, IC_KEY_INT, "1", 1, 4096, false, NULL, "", "split the fleet and its traffic into this many independent sub-fleets run in parallel and merged (an approximation: routing within a shard; docs/performance.md)"),
    KEY(ic_run_config, shard_workers, IC_KEY_INT, "0", 0, 4096, false, NULL, "processes", "local processes running the shards (0: one per CPU online, at most run.shards); results do not depend on it"),
};

static const struct ic_key_def traffic_keys[] = {
    KEY(ic_traffic_config, queries_per_day, IC_KEY_REAL, "195e6", 0, 1e13, true, NULL, "queries/day", "mean number of requests per day"),
    KEY(ic_traffic_config, prompt_tokens, IC_KEY_INT, "1000", 1, 1e7, false, NULL, "tokens", "prompt (input) length: the fixed value, or the mean of a lognormal"),
    KEY(ic_traffic_config, output_tokens, IC_KEY_INT, "350", 1, 1e7, false, NULL, "tokens", "generated (output) length: the fixed value, or the mean of a lognormal"),
    KEY(ic_traffic_config, arrival, IC_KEY_CHOICE, "poisson", 0, 0, false, IC_ARRIVAL_CHOICES, "", "arrival process (docs/traffic.md)"),
    KEY(ic_traffic_config, arrival_cv, IC_KEY_REAL, "1", 0, 100, true, NULL, "", "gamma: coefficient of variation of inter-arrival gaps (1 = Poisson, > 1 bursty)"),
    KEY(ic_traffic_config, diurnal_peak_to_trough, IC_KEY_REAL, "2", 1, 1e6, false, NULL, "", "diurnal: busiest / quietest rate of the daily sinusoid"),
    KEY(ic_traffic_config, diurnal_peak_hour, IC_KEY_REAL, "14", 0, 24, false, NULL, "h", "diurnal: hour of the day with the peak rate"),
    KEY(ic_traffic_config, diurnal_hourly_weights, IC_KEY_TEXT, "none", 0, 0, false, NULL, "", "diurnal, gamma: 24 relative rates from midnight, separated by vertical bars (replace the sinusoid)"),
    KEY(ic_traffic_config, weekly_weights, IC_KEY_TEXT, "none", 0, 0, false, NULL, "", "poisson, diurnal, gamma: 7 relative daily volumes from day 0, separated by vertical bars"),
    KEY(ic_traffic_config, rate_profile, IC_KEY_TEXT, "none", 0, 0, false, NULL, "", "poisson, gamma: up to 24 relative rates of consecutive bins from time 0, repeated (trace fit writes it)"),
    KEY(ic_traffic_config, rate_profile_bin_s, IC_KEY_REAL, "3600", 1, 3.2e7, false, NULL, "s", "length of each rate_profile bin (at least 1 s: arrivals walk the bins)"),
    KEY(ic_traffic_config, prompt_dist, IC_KEY_CHOICE, "fixed", 0, 0, false, IC_LENGTH_CHOICES, "", "prompt length distribution"),
    KEY(ic_traffic_config, prompt_tokens_cv, IC_KEY_REAL, "1", 0, 100, true, NULL, "", "lognormal prompt: coefficient of variation"),
    KEY(ic_traffic_config, prompt_lognormal_mu, IC_KEY_REAL, "auto", -100, 100, false, NULL, "", "lognormal prompt: mu of ln(tokens) (auto: from prompt_tokens and prompt_tokens_cv)"),
    KEY(ic_traffic_config, prompt_lognormal_sigma, IC_KEY_REAL, "auto", 0, 100, true, NULL, "", "lognormal prompt: sigma of ln(tokens) (auto: from prompt_tokens_cv)"),
    KEY(ic_traffic_config, prompt_tokens_min, IC_KEY_INT, "1", 1, 1e7, false, NULL, "tokens", "smallest prompt drawn (uniform: the range's low end)"),
    KEY(ic_traffic_config, prompt_tokens_max, IC_KEY_INT, "1e6", 1, 1e7, false, NULL, "tokens", "largest prompt drawn (uniform: high end; zipf: support 1..max)"),
    KEY(ic_traffic_config, prompt_zipf_s, IC_KEY_REAL, "1.2", 0, 100, true, NULL, "", "zipf prompt: exponent s of P(k) ~ k^-s"),
    KEY(ic_traffic_config, output_dist, IC_KEY_CHOICE, "fixed", 0, 0, false, IC_LENGTH_CHOICES, "", "output length distribution"),
    KEY(ic_traffic_config, output_tokens_cv, IC_KEY_REAL, "1", 0, 100, true, NULL, "", "lognormal output: coefficient of variation"),
    KEY(ic_traffic_config, output_lognormal_mu, IC_KEY_REAL, "auto", -100, 100, false, NULL, "", "lognormal output: mu of ln(tokens) (auto: from output_tokens and output_tokens_cv)"),
    KEY(ic_traffic_config, output_lognormal_sigma, IC_KEY_REAL, "auto", 0, 100, true, NULL, "", "lognormal output: sigma of ln(tokens) (auto: from output_tokens_cv)"),
    KEY(ic_traffic_config, output_tokens_min, IC_KEY_INT, "1", 1, 1e7, false, NULL, "tokens", "smallest output drawn (uniform: the range's low end)"),
    KEY(ic_traffic_config, output_tokens_max, IC_KEY_INT, "1e6", 1, 1e7, false, NULL, "tokens", "largest output drawn (uniform: high end; zipf: support 1..max)"),
    KEY(ic_traffic_config, output_zipf_s, IC_KEY_REAL, "1.2", 0, 100, true, NULL, "", "zipf output: exponent s of P(k) ~ k^-s"),
    KEY(ic_traffic_config, class_names, IC_KEY_TEXT, "none", 0, 0, false, NULL, "", "request class names separated by vertical bars (e.g. chat, code, api), or none"),
    KEY(ic_traffic_config, class_shares, IC_KEY_TEXT, "none", 0, 0, false, NULL, "", "share of arrivals per class, vertical-bar list summing to 1 (none: equal)"),
    KEY(ic_traffic_config, class_prompt_tokens, IC_KEY_TEXT, "none", 0, 0, false, NULL, "tokens", "per class: prompt_tokens (fixed value or lognormal mean), or none"),
    KEY(ic_traffic_config, class_output_tokens, IC_KEY_TEXT, "none", 0, 0, false, NULL, "tokens", "per class: output_tokens (fixed value or lognormal mean), or none"),
    KEY(ic_traffic_config, class_ttft_target_s, IC_KEY_TEXT, "none", 0, 0, false, NULL, "s", "per class: time-to-first-token target, or none"),
    KEY(ic_traffic_config, class_tpot_target_s, IC_KEY_TEXT, "none", 0, 0, false, NULL, "s", "per class: time-per-output-token target, or none"),
    KEY(ic_traffic_config, trace_path, IC_KEY_TEXT, "none", 0, 0, false, NULL, "", "trace file for arrival = trace and for empirical lengths"),
    KEY(ic_traffic_config, trace_format, IC_KEY_CHOICE, "auto", 0, 0, false, IC_TRACE_FORMAT_CHOICES, "", "trace format (auto: recognised by its header, see docs/formats/trace.md)"),
    KEY(ic_traffic_config, trace_time_column, IC_KEY_TEXT, "none", 0, 0, false, NULL, "", "generic trace: time column, header name or 1-based number"),
    KEY(ic_traffic_config, trace_prompt_column, IC_KEY_TEXT, "none", 0, 0, false, NULL, "", "generic trace: prompt tokens column, name or number"),
    KEY(ic_traffic_config, trace_output_column, IC_KEY_TEXT, "none", 0, 0, false, NULL, "", "generic trace: output tokens column, name or number"),
    KEY(ic_traffic_config, trace_time_unit, IC_KEY_CHOICE, "s", 0, 0, false, IC_TRACE_TIME_UNIT_CHOICES, "", "generic trace: unit of the time column"),
    KEY(ic_traffic_config, trace_time_relative, IC_KEY_BOOL, "false", 0, 0, false, NULL, "", "generic trace: times are offsets from the trace start (false: absolute, first row is 0)"),
    KEY(ic_traffic_config, trace_speedup, IC_KEY_REAL, "1", 0, 1e9, true, NULL, "", "replay time compression: 2 = twice as fast"),
    KEY(ic_traffic_config, trace_start_s, IC_KEY_REAL, "0", 0, 1e12, false, NULL, "s", "trace time where replay starts (earlier rows are skipped)"),
    KEY(ic_traffic_config, trace_loop, IC_KEY_BOOL, "false", 0, 0, false, NULL, "", "replay the trace again when it ends, until the run ends"),
    KEY(ic_traffic_config, trace_match_volume, IC_KEY_BOOL, "false", 0, 0, false, NULL, "", "rescale the trace's time so its mean rate is queries_per_day"),
    KEY(ic_traffic_config, trace_skip_bad_rows, IC_KEY_BOOL, "false", 0, 0, false, NULL, "", "skip and count bad trace rows instead of failing"),
    KEY(ic_traffic_config, trace_hash_column, IC_KEY_TEXT, "none", 0, 0, false, NULL, "", "jsonl trace: field holding the prompt's block ids (mooncake: hash_ids)"),
    KEY(ic_traffic_config, trace_class_column, IC_KEY_TEXT, "none", 0, 0, false, NULL, "", "trace column (CSV: name or number) or field (JSON Lines) naming each row's class, one of class_names"),
    KEY(ic_traffic_config, trace_block_tokens, IC_KEY_INT, "512", 1, 1048576, false, NULL, "tokens", "tokens per prefix block (trace hash ids, generated prefixes)"),
    KEY(ic_traffic_config, trace_zero_output, IC_KEY_CHOICE, "keep", 0, 0, false, IC_ZERO_OUTPUT_CHOICES, "", "trace rows with 0 output tokens: keep (replayed as 1 token) or drop (counted)"),
    KEY(ic_traffic_config, trace_rate_scale, IC_KEY_REAL, "1", 0, 64, true, NULL, "", "replay k time-shifted copies (a fraction: a thinned one) for a k-fold rate with the same shape"),
    KEY(ic_traffic_config, trace_rate_scale_shift_s, IC_KEY_REAL, "60", 0, 86400, false, NULL, "s", "trace_rate_scale: copy j of n starts j/n of this later"),
    KEY(ic_traffic_config, system_prompts, IC_KEY_INT, "0", 0, 1000000, false, NULL, "", "generated: shared system prompts per class (0 = none)"),
    KEY(ic_traffic_config, system_prompt_tokens, IC_KEY_INT, "1024", 1, 1000000, false, NULL, "tokens", "generated: tokens of each system prompt, added before the drawn prompt"),
    KEY(ic_traffic_config, system_prompt_zipf_s, IC_KEY_REAL, "1", 0, 10, true, NULL, "", "generated: popularity of system prompt k is proportional to k^-s"),
    KEY(ic_traffic_config, session_turns, IC_KEY_REAL, "1", 1, 1000, false, NULL, "", "generated: mean turns per conversation, geometric (1 = single requests)"),
    KEY(ic_traffic_config, session_think_s, IC_KEY_REAL, "30", 0, 86400, false, NULL, "s", "generated: mean time between a turn's arrival and the next (exponential)"),
    KEY(ic_traffic_config, mode, IC_KEY_CHOICE, "open", 0, 0, false, IC_LOAD_MODE_CHOICES, "", "how load is offered: open (arrival process), offline (all requests at time 0), closed (fixed concurrency); docs/traffic.md"),
    KEY(ic_traffic_config, requests, IC_KEY_INT, "0", 0, 1e7, false, NULL, "requests", "offline, closed: requests sent in all; the run ends when the last completes (closed, 0: at run.duration_s); offline queues them all at once"),
    KEY(ic_traffic_config, clients, IC_KEY_INT, "1", 1, 1e6, false, NULL, "clients", "closed: concurrent clients, each sending its next request when its last completes"),
    KEY(ic_traffic_config, think_time_s, IC_KEY_REAL, "0", 0, 1e9, false, NULL, "s", "closed: a client's pause between a completion and its next request"),
    KEY(ic_traffic_config, over_context, IC_KEY_CHOICE, "reject", 0, 0, false, IC_OVER_CONTEXT_CHOICES, "", "a request longer than the model's context: clamp it, reject it (both counted and reported), or stop with an error"),
    /* Issue 17: what the service charges (docs/cost-model.md, revenue and margin). */
    KEY(ic_traffic_config, usd_per_m_input_tokens, IC_KEY_REAL, "0", 0, 1e6, false, NULL, "USD/M tokens", "price charged per million prompt tokens not served from a cache (0: no revenue figures)"),
    KEY(ic_traffic_config, usd_per_m_cached_input_tokens, IC_KEY_REAL, "0", 0, 1e6, false, NULL, "USD/M tokens", "price charged per million prompt tokens served from a prefix cache"),
    KEY(ic_traffic_config, usd_per_m_output_tokens, IC_KEY_REAL, "0", 0, 1e6, false, NULL, "USD/M tokens", "price charged per million output tokens"),
};

static const struct ic_key_def model_keys[] = {
    KEY(ic_model_config, name, IC_KEY_TEXT, "gpt3-175b", 0, 0, false, NULL, "", "built-in model (docs/compute-model.md), or any name with the architecture keys below"),
    KEY(ic_model_config, weight_precision, IC_KEY_CHOICE, "fp16", 0, 0, false, IC_PRECISION_CHOICES, "", "format of stored weights"),
    KEY(ic_model_config, activation_precision, IC_KEY_CHOICE, "fp16", 0, 0, false, IC_PRECISION_CHOICES, "", "format of activations and of matrix math"),
    KEY(ic_model_config, kv_precision, IC_KEY_CHOICE, "fp16", 0, 0, false, IC_PRECISION_CHOICES, "", "format of the KV cache"),
    /* Architecture overrides: 0 / auto = the catalogue entry; a name outside the catalogue needs them. */
    KEY(ic_model_config, layers, IC_KEY_INT, "0", 0, 1e5, false, NULL, "", "decoder layers (0: catalogue)"),
    KEY(ic_model_config, hidden, IC_KEY_INT, "0", 0, 1e7, false, NULL, "", "model width h (0: catalogue)"),
    KEY(ic_model_config, heads, IC_KEY_INT, "0", 0, 1e5, false, NULL, "", "query heads (0: catalogue)"),
    KEY(ic_model_config, kv_heads, IC_KEY_INT, "0", 0, 1e5, false, NULL, "", "key/value heads, GQA (0: catalogue, or = heads)"),
    KEY(ic_model_config, head_dim, IC_KEY_INT, "0", 0, 1e5, false, NULL, "", "size of one head (0: catalogue, or hidden / heads)"),
    KEY(ic_model_config, ffn, IC_KEY_INT, "0", 0, 1e8, false, NULL, "", "FFN inner size per expert (0: catalogue)"),
    KEY(ic_model_config, vocab, IC_KEY_INT, "auto", 0, 1e8, false, NULL, "tokens", "vocabulary size (auto: catalogue; 0: no embedding and no LM head)"),
    KEY(ic_model_config, context_max, IC_KEY_INT, "0", 0, 1e9, false, NULL, "tokens", "longest prompt + output (0: catalogue)"),
    KEY(ic_model_config, experts, IC_KEY_INT, "0", 0, 1e5, false, NULL, "", "FFN experts, MoE (0: catalogue, or 1 = dense)"),
    KEY(ic_model_config, experts_active, IC_KEY_INT, "0", 0, 1e5, false, NULL, "", "experts per token, top-k (0: catalogue, or 1)"),
    KEY(ic_model_config, gated_ffn, IC_KEY_CHOICE, "auto", 0, 0, false, IC_MODEL_FLAG_CHOICES, "", "SwiGLU-style 3-matrix FFN (auto: catalogue, or yes)"),
    KEY(ic_model_config, tied_embeddings, IC_KEY_CHOICE, "auto", 0, 0, false, IC_MODEL_FLAG_CHOICES, "", "LM head shares the embedding (auto: catalogue, or no)"),
    /* Issue 14: MoE details, latent attention, expert precision, speculative decoding. */
    KEY(ic_model_config, shared_experts, IC_KEY_INT, "0", 0, 1e5, false, NULL, "", "MoE: experts every token runs besides its top-k (0: catalogue, or none)"),
    KEY(ic_model_config, dense_layers, IC_KEY_INT, "0", 0, 1e5, false, NULL, "", "MoE: layers with a dense FFN instead of experts (0: catalogue, or none)"),
    KEY(ic_model_config, dense_ffn, IC_KEY_INT, "0", 0, 1e8, false, NULL, "", "MoE: FFN inner size of the dense layers (0: catalogue)"),
    KEY(ic_model_config, kv_lora_rank, IC_KEY_INT, "0", 0, 1e6, false, NULL, "", "latent attention (MLA): rank of the cached KV latent (0: catalogue, or no MLA)"),
    KEY(ic_model_config, q_lora_rank, IC_KEY_INT, "0", 0, 1e6, false, NULL, "", "MLA: rank of the query down-projection (0: catalogue, or none)"),
    KEY(ic_model_config, rope_head_dim, IC_KEY_INT, "0", 0, 1e5, false, NULL, "", "MLA: rotary part of each query/key head, cached beside the latent (0: catalogue)"),
    KEY(ic_model_config, expert_precision, IC_KEY_CHOICE, "auto", 0, 0, false, "auto|" IC_PRECISION_CHOICES, "", "format of the routed experts' weights (auto: weight_precision)"),
    KEY(ic_model_config, speculative_draft, IC_KEY_TEXT, "none", 0, 0, false, NULL, "", "speculative decoding: none, mtp (the model's multi-token-prediction layer), or a built-in draft model"),
    KEY(ic_model_config, speculative_tokens, IC_KEY_INT, "3", 1, 64, false, NULL, "tokens", "speculative decoding: tokens drafted per sequence and step (k)"),
    KEY(ic_model_config, speculative_acceptance, IC_KEY_REAL, "0.7", 0, 1, false, NULL, "", "speculative decoding: probability that a drafted token is accepted (alpha)"),
};

static const struct ic_key_def fleet_keys[] = {
    KEY(ic_fleet_config, gpu, IC_KEY_TEXT, "a100-80gb", 0, 0, false, NULL, "", "built-in accelerator (see docs/hardware.md), or any name with the [accelerator] keys"),
    KEY(ic_fleet_config, server, IC_KEY_TEXT, "auto", 0, 0, false, NULL, "", "built-in server: base power and price (auto: the one holding fleet.gpu), or any name with power.node_base_w and cost.server_price_usd"),
    KEY(ic_fleet_config, gpus_per_node, IC_KEY_INT, "8", 1, 1024, false, NULL, "GPUs", "accelerators in one node"),
    KEY(ic_fleet_config, nodes, IC_KEY_INT, "3617", 1, 1e8, false, NULL, "nodes", "nodes in the fleet"),
    KEY(ic_fleet_config, gpus_per_replica, IC_KEY_INT, "8", 1, 65536, false, NULL, "GPUs", "GPUs of one model replica: a divisor of gpus_per_node, or a multiple of it (a replica across nodes)"),
};

/* All auto: the catalogue entry of fleet.gpu; a name outside the catalogue needs them. */
static const struct ic_key_def accelerator_keys[] = {
    KEY(ic_accel_config, peak_tflops_fp32, IC_KEY_REAL, "auto", 0, 1e9, true, NULL, "TFLOP/s", "dense fp32 peak (auto: catalogue)"),
    KEY(ic_accel_config, peak_tflops_bf16, IC_KEY_REAL, "auto", 0, 1e9, true, NULL, "TFLOP/s", "dense bf16 peak (auto: catalogue)"),
    KEY(ic_accel_config, peak_tflops_fp16, IC_KEY_REAL, "auto", 0, 1e9, true, NULL, "TFLOP/s", "dense fp16 peak (auto: catalogue)"),
    KEY(ic_accel_config, peak_tflops_fp8, IC_KEY_REAL, "auto", 0, 1e9, true, NULL, "TFLOP/s", "dense fp8 peak (auto: catalogue; unset: runs as bf16)"),
    KEY(ic_accel_config, peak_tflops_int8, IC_KEY_REAL, "auto", 0, 1e9, true, NULL, "TFLOP/s", "dense int8 peak (auto: catalogue)"),
    KEY(ic_accel_config, peak_tflops_int4, IC_KEY_REAL, "auto", 0, 1e9, true, NULL, "TFLOP/s", "dense int4 peak (auto: catalogue; unset: runs as int8)"),
    KEY(ic_accel_config, peak_tflops_fp4, IC_KEY_REAL, "auto", 0, 1e9, true, NULL, "TFLOP/s", "dense FP4 peak, nvfp4 and mxfp4 math (auto: catalogue; unset: runs as fp8)"),
    KEY(ic_accel_config, network_gb_per_s, IC_KEY_REAL, "auto", 0, 1e9, true, NULL, "GB/s", "scale-out network per GPU, one direction (auto: catalogue; needed for a replica across nodes)"),
    KEY(ic_accel_config, memory_gb, IC_KEY_REAL, "auto", 0, 1e9, true, NULL, "GB", "device memory, 10^9 bytes (auto: catalogue)"),
    KEY(ic_accel_config, bandwidth_gb_per_s, IC_KEY_REAL, "auto", 0, 1e9, true, NULL, "GB/s", "device memory bandwidth (auto: catalogue)"),
    KEY(ic_accel_config, link_gb_per_s, IC_KEY_REAL, "auto", 0, 1e9, true, NULL, "GB/s", "GPU-to-GPU bandwidth, one direction (auto: catalogue; needed for gpus_per_replica > 1)"),
    KEY(ic_accel_config, tdp_w, IC_KEY_REAL, "auto", 0, 1e6, true, NULL, "W", "board power; a user-defined accelerator's phase power scales from it (auto: catalogue)"),
};

static const struct ic_key_def serving_keys[] = {
    KEY(ic_serving_config, batching, IC_KEY_CHOICE, "continuous", 0, 0, false, IC_BATCHING_CHOICES, "", "batching policy"),
    KEY(ic_serving_config, router, IC_KEY_CHOICE, "power_of_two", 0, 0, false, IC_ROUTER_CHOICES, "", "how a request picks its replica"),
    KEY(ic_serving_config, max_batch, IC_KEY_INT, "32", 1, 1e6, false, NULL, "requests", "largest batch B"),
    KEY(ic_serving_config, batch_timeout_s, IC_KEY_REAL, "0.05", 0, 3600, false, NULL, "s", "longest the oldest queued request waits for a batch to fill"),
    KEY(ic_serving_config, prefill_chunk_tokens, IC_KEY_INT, "0", 0, 1e9, false, NULL, "tokens", "continuous: prompt tokens prefilled per iteration, decodes ride along (0: whole prompts, decodes wait)"),
    KEY(ic_serving_config, max_batched_tokens, IC_KEY_INT, "0", 0, 1e9, false, NULL, "tokens", "continuous, whole prompts: prompt tokens prefilled per iteration, as vLLM's max_num_batched_tokens (a prompt longer runs alone; 0: no limit)"),
    KEY(ic_serving_config, admission, IC_KEY_CHOICE, "evict", 0, 0, false, IC_ADMISSION_CHOICES, "", "continuous: evict (admit while prompts fit, evict and recompute on overflow, vLLM) or reserve (admit only when prompt + output fit, never evict, TensorRT-LLM no-evict)"),
    KEY(ic_serving_config, step_mode, IC_KEY_CHOICE, "skip", 0, 0, false, IC_STEP_MODE_CHOICES, "", "continuous: skip to the next membership change, or one event per token (reference)"),
    /* Issue 17: scheduled autoscaling (docs/serving.md). */
    KEY(ic_serving_config, autoscale, IC_KEY_CHOICE, "off", 0, 0, false, IC_AUTOSCALE_CHOICES, "", "off; schedule: the replicas in service follow autoscale_replicas_hourly; target: they follow the observed requests per replica (needs a least_* router)"),
    KEY(ic_serving_config, autoscale_requests_per_replica, IC_KEY_REAL, "16", 0, 1e6, true, NULL, "requests", "target: requests (queued + running) per replica in service to aim for"),
    KEY(ic_serving_config, autoscale_window_s, IC_KEY_REAL, "60", 0, 86400, true, NULL, "s", "target: load is the mean of 8 samples over this window"),
    KEY(ic_serving_config, autoscale_cooldown_s, IC_KEY_REAL, "300", 0, 86400, false, NULL, "s", "target: least time between two scaling decisions"),
    KEY(ic_serving_config, autoscale_min_replicas, IC_KEY_INT, "1", 1, 1e9, false, NULL, "replicas", "target: fewest replicas in service"),
    KEY(ic_serving_config, autoscale_max_replicas, IC_KEY_INT, "0", 0, 1e9, false, NULL, "replicas", "target: most replicas in service (0: all)"),
    KEY(ic_serving_config, autoscale_replicas_hourly, IC_KEY_TEXT, "none", 0, 0, false, NULL, "replicas", "schedule: 24 replica counts >= 1 from midnight, separated by vertical bars; scaling down drains first"),
    KEY(ic_serving_config, spot_interruptions_per_node_hour, IC_KEY_REAL, "0", 0, 1000, false, NULL, "1/node-h", "spot capacity: rate at which a node of the pool is taken away (its running requests go back to the queue; it is replaced after boot_s + model_load_s); continuous batching, mixed pools, a least_* router"),
    KEY(ic_serving_config, boot_s, IC_KEY_REAL, "120", 0, 86400, false, NULL, "s", "autoscale: a provisioned node's boot time"),
    KEY(ic_serving_config, model_load_s, IC_KEY_REAL, "120", 0, 86400, false, NULL, "s", "autoscale: loading the weights once booted; boot_s + model_load_s is the provisioning delay"),
    KEY(ic_serving_config, max_queue, IC_KEY_INT, "0", 0, 1e12, false, NULL, "requests", "queued requests per replica (central: fleet) before new ones are rejected; 0 = no limit"),
    KEY(ic_serving_config, slo_ttft_s, IC_KEY_REAL, "2", 0, 1e6, true, NULL, "s", "time-to-first-token target of classes without their own"),
    KEY(ic_serving_config, slo_tpot_s, IC_KEY_REAL, "0.1", 0, 1e6, true, NULL, "s", "time-per-output-token target of classes without their own"),
    KEY(ic_serving_config, slo_e2e_s, IC_KEY_REAL, "auto", 0, 1e9, true, NULL, "s", "end-to-end target of every request (auto: none)"),
    KEY(ic_serving_config, kv_link_gb_per_s, IC_KEY_REAL, "50", 0, 1e6, true, NULL, "GB/s", "disaggregation: network bandwidth per GPU for KV transfers, one direction (400 Gb/s InfiniBand or RoCE = 50)"),
    KEY(ic_serving_config, kv_link_efficiency, IC_KEY_REAL, "0.8", 0, 1, true, NULL, "", "disaggregation: achieved / nominal bandwidth of a KV transfer"),
    KEY(ic_serving_config, kv_link_latency_s, IC_KEY_REAL, "1e-5", 0, 10, false, NULL, "s", "disaggregation: latency of one KV transfer"),
    KEY(ic_serving_config, ttft_at, IC_KEY_CHOICE, "transfer", 0, 0, false, IC_TTFT_AT_CHOICES, "", "disaggregation: the first token counts when the KV cache reaches the decode pool (transfer) or when the prefill ends (prefill)"),
    KEY(ic_serving_config, prefix_cache, IC_KEY_BOOL, "false", 0, 0, false, NULL, "", "continuous: keep prompts' KV blocks (of traffic.trace_block_tokens) per replica and skip the prefill of a cached prefix (mixed and prefill pools; needs prefix blocks: a trace with hash ids, system prompts or sessions)"),
    KEY(ic_serving_config, prefix_cache_blocks, IC_KEY_INT, "0", 0, 1e15, false, NULL, "blocks", "prefix cache: HBM blocks per replica in memory of its own (0: the cache shares the KV budget, unpinned blocks evicted when the batch needs room)"),
    KEY(ic_serving_config, prefix_dram_gb, IC_KEY_REAL, "0", 0, 1e9, false, NULL, "GB", "prefix cache: host DRAM tier per replica for blocks evicted from HBM (0: none)"),
    KEY(ic_serving_config, prefix_dram_gb_per_s, IC_KEY_REAL, "50", 1e-6, 1e6, false, NULL, "GB/s", "prefix cache: host DRAM to HBM bandwidth per replica (PCIe 5.0 x16: about 50)"),
    KEY(ic_serving_config, prefix_ssd_gb, IC_KEY_REAL, "0", 0, 1e9, false, NULL, "GB", "prefix cache: local SSD tier per replica for blocks evicted from DRAM (0: none; needs prefix_dram_gb)"),
    KEY(ic_serving_config, prefix_ssd_gb_per_s, IC_KEY_REAL, "6", 1e-6, 1e6, false, NULL, "GB/s", "prefix cache: local SSD to HBM bandwidth per replica (one PCIe 4.0 NVMe drive: about 6)"),
    KEY(ic_serving_config, prefix_route_weight, IC_KEY_REAL, "1", 0, 1e9, false, NULL, "", "prefix_aware router: score = cached prompt tokens - weight x outstanding tokens (0: cache only)"),
};

static const struct ic_key_def perf_keys[] = {
    KEY(ic_perf_params, compute_efficiency, IC_KEY_REAL, "0.5", 0, 1, true, NULL, "", "achieved / peak FLOP/s of matrix work"),
    KEY(ic_perf_params, memory_efficiency, IC_KEY_REAL, "0.8", 0, 1, true, NULL, "", "achieved / peak memory bandwidth"),
    KEY(ic_perf_params, link_efficiency, IC_KEY_REAL, "0.7", 0, 1, true, NULL, "", "achieved / peak GPU-to-GPU bandwidth"),
    KEY(ic_perf_params, link_latency_s, IC_KEY_REAL, "5e-6", 0, 1, false, NULL, "s", "latency of one all-reduce step"),
    KEY(ic_perf_params, overhead_s, IC_KEY_REAL, "0.002", 0, 10, false, NULL, "s", "fixed cost of every iteration"),
    KEY(ic_perf_params, memory_reserve_frac, IC_KEY_REAL, "0.1", 0, 1, false, NULL, "", "share of GPU memory kept free of weights and KV cache"),
    KEY(ic_perf_params, attention_compute_efficiency, IC_KEY_REAL, "1", 0, 1, true, NULL, "", "attention kernels' FLOP/s relative to compute_efficiency (FlashAttention-style prefill)"),
    KEY(ic_perf_params, attention_memory_efficiency, IC_KEY_REAL, "1", 0, 1, true, NULL, "", "attention kernels' KV-cache read rate relative to memory_efficiency (decode)"),
    KEY(ic_perf_params, weight_pass_flops, IC_KEY_REAL, "0", 0, 1e6, false, NULL, "FLOP/weight", "per-weight work of a multi-token iteration besides the math (packing, dequantization)"),
    KEY(ic_perf_params, pipeline_stages, IC_KEY_INT, "1", 1, 1024, false, NULL, "", "pipeline stages of a replica; each holds gpus_per_replica / pipeline_stages GPUs"),
    KEY(ic_perf_params, pipeline_microbatches, IC_KEY_INT, "1", 1, 1024, false, NULL, "", "micro-batches an iteration is split into to fill the pipeline (1: one batch, the bubble stays)"),
    KEY(ic_perf_params, expert_parallel, IC_KEY_BOOL, "false", 0, 0, false, NULL, "", "spread routed experts over a stage's GPUs (all-to-all) instead of splitting each by tensor parallelism"),
    KEY(ic_perf_params, attention_data_parallel, IC_KEY_INT, "1", 1, 1024, false, NULL, "", "attention groups per stage (data-parallel attention with expert parallelism; 1: tensor-parallel attention)"),
    KEY(ic_perf_params, expert_imbalance, IC_KEY_REAL, "1", 1, 1e3, false, NULL, "", "expert parallelism: routed tokens of the busiest GPU / the mean (it sets the step)"),
    KEY(ic_perf_params, profile, IC_KEY_CHOICE, "roofline", 0, 0, false, IC_PERF_PROFILE_CHOICES, "", "roofline: these keys as set; fitted: per-GPU and precision values fitted on published measurements for every perf key left at its default (docs/compute-model.md)"),
    KEY(ic_perf_params, roofline_p, IC_KEY_REAL, "0", 0, 100, false, NULL, "", "0: iteration time max(compute, memory); p > 0: (compute^p + memory^p)^(1/p), a gradual transition"),
    KEY(ic_perf_params, allreduce, IC_KEY_CHOICE, "ring", 0, 0, false, IC_ALLREDUCE_CHOICES, "", "all-reduce latency: ring, 2(k-1) steps; tree, NCCL double binary tree, 2 ceil(log2 k) steps"),
    KEY(ic_perf_params, overhead_per_seq_s, IC_KEY_REAL, "0", 0, 1, false, NULL, "s", "cost per sequence in an iteration (sampling, scheduling), beside overhead_s"),
    KEY(ic_perf_params, overhead_per_token_s, IC_KEY_REAL, "0", 0, 1, false, NULL, "s", "cost per new token in an iteration, beside overhead_s"),
};

static const struct ic_key_def power_keys[] = {
    KEY(ic_power_config, gpu_idle_w, IC_KEY_REAL, "auto", 0, 1e5, false, NULL, "W", "per GPU with no work (auto: catalogue)"),
    KEY(ic_power_config, gpu_prefill_w, IC_KEY_REAL, "auto", 0, 1e5, false, NULL, "W", "per GPU during prefill (auto: catalogue)"),
    KEY(ic_power_config, gpu_decode_w, IC_KEY_REAL, "auto", 0, 1e5, false, NULL, "W", "per GPU during decode (auto: catalogue)"),
    KEY(ic_power_config, node_base_w, IC_KEY_REAL, "auto", 0, 1e6, false, NULL, "W", "per node besides GPUs (auto: catalogue server)"),
    KEY(ic_power_config, pue, IC_KEY_REAL, "1.2", 1, 10, false, NULL, "", "power usage effectiveness: facility / IT energy"),
    KEY(ic_power_config, electricity_usd_per_kwh, IC_KEY_REAL, "0.08", 0, 100, false, NULL, "USD/kWh", "flat electricity price"),
    /* Issue 6: power curve, cooling, tariffs and carbon (docs/cost-model.md). */
    KEY(ic_power_config, model, IC_KEY_CHOICE, "phase", 0, 0, false, IC_POWER_MODEL_CHOICES, "", "GPU power: by phase (gpu_*_w), or a utilisation curve idle + (max - idle) u^k"),
    KEY(ic_power_config, gpu_max_w, IC_KEY_REAL, "auto", 0, 1e5, false, NULL, "W", "per GPU at full load: top of the utilisation curve and nameplate for facility capex (auto: TDP)"),
    KEY(ic_power_config, util_exponent, IC_KEY_REAL, "1", 0, 10, true, NULL, "", "utilisation model: exponent k of the curve"),
    KEY(ic_power_config, prefill_utilisation, IC_KEY_REAL, "1", 0, 1, false, NULL, "fraction", "utilisation model: u of a GPU during prefill"),
    KEY(ic_power_config, decode_utilisation, IC_KEY_REAL, "0.55", 0, 1, false, NULL, "fraction", "utilisation model: u of a GPU during decode"),
    KEY(ic_power_config, cpus_per_node, IC_KEY_INT, "0", 0, 1024, false, NULL, "CPUs", "CPUs counted on top of node_base_w (0: included in it)"),
    KEY(ic_power_config, cpu_w, IC_KEY_REAL, "0", 0, 1e4, false, NULL, "W", "per CPU counted in cpus_per_node"),
    KEY(ic_power_config, cooling, IC_KEY_CHOICE, "pue", 0, 0, false, IC_COOLING_CHOICES, "", "facility model: PUE, chiller with hourly COP, or fixed watts per node"),
    KEY(ic_power_config, chiller_cop_ref, IC_KEY_REAL, "5.5", 0, 100, true, NULL, "", "chiller: coefficient of performance at chiller_t_ref_c"),
    KEY(ic_power_config, chiller_t_ref_c, IC_KEY_REAL, "25", -100, 100, false, NULL, "degC", "chiller: reference outdoor temperature"),
    KEY(ic_power_config, chiller_cop_slope_per_c, IC_KEY_REAL, "0.15", 0, 10, false, NULL, "1/degC", "chiller: COP lost per degree above the reference (gained below)"),
    KEY(ic_power_config, chiller_cop_min, IC_KEY_REAL, "2", 0, 100, true, NULL, "", "chiller: lowest COP (hot hours)"),
    KEY(ic_power_config, chiller_cop_max, IC_KEY_REAL, "10", 0, 100, true, NULL, "", "chiller: highest COP (cold hours)"),
    KEY(ic_power_config, outdoor_temp_c, IC_KEY_REAL, "20", -100, 100, false, NULL, "degC", "chiller: flat outdoor temperature"),
    KEY(ic_power_config, outdoor_temp_c_hourly, IC_KEY_TEXT, "none", 0, 0, false, NULL, "degC", "chiller: 24 outdoor temperatures from midnight, separated by vertical bars (replace the flat one)"),
    KEY(ic_power_config, facility_overhead_frac, IC_KEY_REAL, "0.05", 0, 10, false, NULL, "fraction", "chiller, fixed: other facility energy (UPS, lighting) as a share of IT energy"),
    KEY(ic_power_config, cooling_w_per_node, IC_KEY_REAL, "0", 0, 1e6, false, NULL, "W", "fixed: cooling power per node, whatever the load"),
    KEY(ic_power_config, electricity_usd_per_kwh_hourly, IC_KEY_TEXT, "none", 0, 0, false, NULL, "USD/kWh", "time-of-use: 24 prices from midnight, separated by vertical bars (replace the flat price)"),
    KEY(ic_power_config, carbon_g_per_kwh, IC_KEY_REAL, "380", 0, 1e4, false, NULL, "gCO2e/kWh", "grid carbon intensity, flat"),
    KEY(ic_power_config, carbon_g_per_kwh_hourly, IC_KEY_TEXT, "none", 0, 0, false, NULL, "gCO2e/kWh", "24 hourly grid intensities from midnight, separated by vertical bars"),
    KEY(ic_power_config, powerdown, IC_KEY_CHOICE, "off", 0, 0, false, IC_POWERDOWN_CHOICES, "", "idle power-down: off, or power a node down after powerdown_idle_s with no request"),
    KEY(ic_power_config, powerdown_idle_s, IC_KEY_REAL, "600", 0, 1e9, false, NULL, "s", "idle time before a node powers down"),
    KEY(ic_power_config, wake_s, IC_KEY_REAL, "120", 0, 1e6, false, NULL, "s", "delay from waking a node to its first iteration"),
    KEY(ic_power_config, wake_queue_threshold, IC_KEY_INT, "0", 0, 1e9, false, NULL, "requests", "wake a node when every awake replica holds this many requests (0: serving.max_batch)"),
    KEY(ic_power_config, node_off_w, IC_KEY_REAL, "20", 0, 1e6, false, NULL, "W", "per powered-down node besides GPUs (BMC, standby supply)"),
    KEY(ic_power_config, gpu_off_w, IC_KEY_REAL, "0", 0, 1e5, false, NULL, "W", "per GPU of a powered-down node"),
};

static const struct ic_key_def cost_keys[] = {
    KEY(ic_cost_config, server_price_usd, IC_KEY_REAL, "auto", 0, 1e9, false, NULL, "USD", "price of one node with its GPUs (auto: catalogue server)"),
    KEY(ic_cost_config, amortization_years, IC_KEY_REAL, "5", 0, 100, true, NULL, "years", "life of a server (chassis, CPUs, storage)"),
    /* Issue 6: capital by component, opex and rental (docs/cost-model.md). */
    KEY(ic_cost_config, pricing, IC_KEY_CHOICE, "own", 0, 0, false, IC_PRICING_CHOICES, "", "own: capital, energy, facility; rent: GPU-hours (energy reported, not charged)"),
    KEY(ic_cost_config, amortization, IC_KEY_CHOICE, "straight", 0, 0, false, IC_AMORTIZATION_CHOICES, "", "straight line, or an annuity at cost_of_capital"),
    KEY(ic_cost_config, cost_of_capital, IC_KEY_REAL, "0.08", 0, 1, false, NULL, "1/year", "annuity: yearly rate r in r / (1 - (1 + r)^-years)"),
    KEY(ic_cost_config, cpu_usd_per_node, IC_KEY_REAL, "0", 0, 1e9, false, NULL, "USD", "CPUs of one node, when not in server_price_usd"),
    KEY(ic_cost_config, storage_usd_per_node, IC_KEY_REAL, "0", 0, 1e9, false, NULL, "USD", "storage of one node, when not in server_price_usd"),
    KEY(ic_cost_config, gpu_price_usd, IC_KEY_REAL, "0", 0, 1e9, false, NULL, "USD", "per GPU, when not in server_price_usd"),
    KEY(ic_cost_config, gpu_life_years, IC_KEY_REAL, "5", 0, 100, true, NULL, "years", "life of a GPU"),
    KEY(ic_cost_config, network_usd_per_node, IC_KEY_REAL, "20000", 0, 1e9, false, NULL, "USD", "NICs, switches and cables per node"),
    KEY(ic_cost_config, network_life_years, IC_KEY_REAL, "5", 0, 100, true, NULL, "years", "life of the network"),
    KEY(ic_cost_config, facility_usd_per_kw, IC_KEY_REAL, "10000", 0, 1e9, false, NULL, "USD/kW", "building, power and cooling plant per kW of IT nameplate power"),
    KEY(ic_cost_config, facility_life_years, IC_KEY_REAL, "15", 0, 100, true, NULL, "years", "life of the facility"),
    KEY(ic_cost_config, maintenance_frac_per_year, IC_KEY_REAL, "0.03", 0, 10, false, NULL, "1/year", "yearly maintenance as a share of capex"),
    KEY(ic_cost_config, other_opex_usd_per_day, IC_KEY_REAL, "0", 0, 1e12, false, NULL, "USD/day", "staff, software, licences"),
    KEY(ic_cost_config, rent_usd_per_gpu_hour, IC_KEY_REAL, "2", 0, 1e6, false, NULL, "USD/GPU-h", "pricing = rent: price of one GPU-hour, server, power and cooling included"),
    /* Issue 17: price tiers and what an inactive node costs (docs/cost-model.md). */
    KEY(ic_cost_config, reserved_nodes, IC_KEY_INT, "0", 0, 1000000, false, NULL, "nodes", "pricing = rent: nodes (the pool's first) reserved or committed: billed all day at the reserved rate, used or not"),
    KEY(ic_cost_config, reserved_usd_per_gpu_hour, IC_KEY_REAL, "auto", 0, 1e6, false, NULL, "USD/GPU-h", "reserved rate (auto: rent_usd_per_gpu_hour x (1 - reserved_discount))"),
    KEY(ic_cost_config, reserved_discount, IC_KEY_REAL, "0", 0, 1, false, NULL, "", "reserved rate below on-demand, 0..1 (from your contract: no published default)"),
    KEY(ic_cost_config, reserved_years, IC_KEY_REAL, "1", 0, 10, true, NULL, "years", "commitment length: the ledger prints what the commitment binds over the term"),
    KEY(ic_cost_config, burst_tier, IC_KEY_CHOICE, "on_demand", 0, 0, false, IC_TIER_CHOICES, "", "pricing = rent: how nodes beyond reserved_nodes are bought: on_demand at rent_usd_per_gpu_hour, or spot"),
    KEY(ic_cost_config, spot_discount, IC_KEY_REAL, "0", 0, 1, false, NULL, "", "burst_tier = spot: price below on-demand, 0..1"),
    KEY(ic_cost_config, idle_node, IC_KEY_CHOICE, "kept", 0, 0, false, IC_IDLE_NODE_CHOICES, "", "what a powered-down node costs: kept (owned: capital goes on, energy stops; rented: billed), lent (owned: lent_share of its capital goes to the work it is lent to), released (rented: billed only while held)"),
    KEY(ic_cost_config, lent_share, IC_KEY_REAL, "1", 0, 1, false, NULL, "", "idle_node = lent: share of an away node's capital charged to the work that borrows it"),
    KEY(ic_cost_config, billing_increment_s, IC_KEY_REAL, "60", 0, 86400, false, NULL, "s", "idle_node = released: each spell a node is held is billed rounded up to a multiple of this (0: to the nanosecond)"),
};

/* Issue 19: `infercost train` (docs/training.md). Defaults: GPT-3 175B's
 * tokens, sequence and batch (Brown et al. 2020) on 1,024 GPUs; MFU and
 * interruptions from Llama 3 (Dubey et al. 2024). */
static const struct ic_key_def train_keys[] = {
    KEY(ic_train_config, tokens, IC_KEY_REAL, "300e9", 0, 1e18, true, NULL, "tokens", "training tokens D"),
    KEY(ic_train_config, seq_len, IC_KEY_INT, "2048", 1, 1e8, false, NULL, "tokens", "tokens per training sequence"),
    KEY(ic_train_config, global_batch_seqs, IC_KEY_INT, "1536", 1, 1e9, false, NULL, "sequences", "sequences per optimizer step"),
    KEY(ic_train_config, micro_batch_seqs, IC_KEY_INT, "1", 1, 1e6, false, NULL, "sequences", "sequences per micro-batch (activation memory)"),
    KEY(ic_train_config, precision, IC_KEY_CHOICE, "bf16", 0, 0, false, IC_PRECISION_CHOICES, "", "matrix math: fp32, bf16, fp16 or fp8 (MFU is relative to its peak)"),
    KEY(ic_train_config, gpus, IC_KEY_INT, "1024", 1, 1e8, false, NULL, "GPUs", "GPUs of the job, whole nodes of fleet.gpus_per_node (fleet.nodes is not used)"),
    KEY(ic_train_config, tensor_parallel, IC_KEY_INT, "8", 1, 1e5, false, NULL, "GPUs", "tensor-parallel degree (with sequence parallelism)"),
    KEY(ic_train_config, pipeline_parallel, IC_KEY_INT, "8", 1, 1e5, false, NULL, "stages", "pipeline-parallel degree (1F1B schedule)"),
    KEY(ic_train_config, data_parallel, IC_KEY_INT, "0", 0, 1e8, false, NULL, "ranks", "data-parallel degree (0: gpus / (tensor x pipeline); else must equal it)"),
    KEY(ic_train_config, expert_parallel, IC_KEY_INT, "1", 1, 1e5, false, NULL, "ranks", "MoE: data-parallel ranks the experts are spread over"),
    KEY(ic_train_config, zero_stage, IC_KEY_INT, "1", 0, 3, false, NULL, "", "sharding over data-parallel ranks: 1 optimizer state, 2 + gradients, 3 + weights (ZeRO)"),
    KEY(ic_train_config, recompute, IC_KEY_CHOICE, "auto", 0, 0, false, IC_TRAIN_RECOMPUTE_CHOICES, "", "activation recomputation (auto: the least that fits)"),
    KEY(ic_train_config, mfu, IC_KEY_REAL, "0.4", 0, 1, true, NULL, "fraction", "model FLOP utilisation: counted FLOPs / (GPU-seconds x peak)"),
    KEY(ic_train_config, attention_flops, IC_KEY_CHOICE, "causal", 0, 0, false, IC_TRAIN_ATTENTION_CHOICES, "", "attention in the FLOP count: causal, full s x s (PaLM's MFU), or none (6ND)"),
    KEY(ic_train_config, gpu_w, IC_KEY_REAL, "auto", 0, 1e5, false, NULL, "W", "per GPU while training (auto: compute-phase power, power.gpu_prefill_w)"),
    KEY(ic_train_config, memory_reserve_frac, IC_KEY_REAL, "0", 0, 0.99, false, NULL, "fraction", "share of GPU memory the memory check leaves free"),
    KEY(ic_train_config, gpu_mtbf_h, IC_KEY_REAL, "45568", 0, 1e12, false, NULL, "h", "mean time between job interruptions per GPU (0: none)"),
    KEY(ic_train_config, failure_restart_s, IC_KEY_REAL, "600", 0, 1e7, false, NULL, "s", "from an interruption to training again: detect, reschedule, reload"),
    KEY(ic_train_config, checkpoint_interval_s, IC_KEY_REAL, "600", 0, 1e9, true, NULL, "s", "training time between checkpoints (an interruption loses half of it on average)"),
    KEY(ic_train_config, checkpoint_write_s, IC_KEY_REAL, "5", 0, 1e7, false, NULL, "s", "training stalls this long per checkpoint"),
};

#define SECTION(name, keys, field, doc) \
  {name, keys, sizeof keys / sizeof keys[0], offsetof(struct ic_scenario, field), doc}

const struct ic_section_def ic_scenario_sections[] = {
    SECTION("run", run_keys, run, "seeds and simulated span"),
    SECTION("traffic", traffic_keys, traffic, "what arrives"),
    SECTION("model", model_keys, model, "the model served"),
    SECTION("fleet", fleet_keys, fleet, "the hardware"),
    SECTION("accelerator", accelerator_keys, accelerator, "overrides of the accelerator, or a user-defined one"),
    SECTION("serving", serving_keys, serving, "routing and batching"),
    SECTION("perf", perf_keys, perf, "roofline efficiency factors and the replica's layout"),
    SECTION("power", power_keys, power, "power draw, cooling and electricity"),
    SECTION("cost", cost_keys, cost, "capital, opex or rental"),
    SECTION("train", train_keys, train, "infercost train: the training run"),
};
const size_t ic_scenario_section_count = sizeof ic_scenario_sections / sizeof ic_scenario_sections[0];
