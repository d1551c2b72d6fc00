/* test_bad_input.c: one table of hostile or careless inputs (scenario
 * files, traces, the command line, plot, sweep, search), each run through
 * the real binary and checked for its exit code (2: bad input, unless the
 * input is fine) and the words of its message: file, line (or -s #N) and
 * key, what was wrong and what is allowed. Every case of issue 12's "Why"
 * is here. In the table, %F stands for the case's input file (written from
 * the `file` text) and <<N*TEXT>> for TEXT repeated N times (NUL: a zero
 * byte), so long inputs stay readable. */
#define _POSIX_C_SOURCE 200809L /* popen, mkdtemp */
#include "ic_test_cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct bad_case {
  const char *name;
  const char *file; /* NULL: no input file */
  const char *args; /* after `infercost`, shell syntax */
  int exit_code;
  const char *message; /* must appear in stdout + stderr */
};

static const struct bad_case cases[] = {
    {"trace_year_9999", "t,p,o\n9999-01-01 00:00:00,1,1\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o --time-unit datetime %F", 2,
     "date-time '9999-01-01 00:00:00' is out of range"},
    {"trace_2262_to_2263", "t,p,o\n2262-04-10 00:00:00,1,1\n2263-01-01 00:00:00,1,1\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o --time-unit datetime %F", 2,
     "%F:3: column 1 (t): date-time '2263-01-01 00:00:00' is out of range"},
    {"trace_year_1600", "t,p,o\n1600-01-01 00:00:00,1,1\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o --time-unit datetime %F", 2,
     "date-time '1600-01-01 00:00:00' is out of range: allowed from 1677-09-22 to 2262-04-11 UTC"},
    {"trace_bad_datetime", "t,p,o\n2023-13-01 00:00:00,1,1\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o --time-unit datetime %F", 2,
     "%F:2: column 1 (t): expected a date-time like 2023-11-16 18:17:03.9799600, got '2023-13-01 00:00:00'"},
    {"trace_span_over_int64", "t,p,o\n1678-01-01 00:00:00,1,1\n2262-01-01 00:00:00,1,1\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o --time-unit datetime %F", 2,
     "%F:3: column 1 (t): '2262-01-01 00:00:00' is more than 292 years after the first row's time"},
    {"trace_backwards", NULL,
     "trace stats tests/data/trace_backwards.csv", 2,
     "timestamp goes backwards"},
    {"trace_tokens_not_integer", "t,p,o\n0,abc,1\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o %F", 2,
     "%F:2: column 2 (p): expected a non-negative integer, got 'abc'"},
    {"trace_tokens_negative", "t,p,o\n0,1,-4\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o %F", 2,
     "%F:2: column 3 (o): expected a non-negative integer, got '-4'"},
    {"trace_tokens_huge", "t,p,o\n0,99999999999999999999,1\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o %F", 2,
     "%F:2: column 2 (p): 99999999999999999999 tokens are more than infercost's limit of 2147483647 for one request"},
    /* IC_REQUEST_TOKENS_MAX (2^31 - 1): at the limit a row is read; one above it is refused at its line, by
     * trace stats and by a replay alike (a running request keeps its counts in 32 bits) */
    {"trace_tokens_at_limit", "t,p,o\n0,2147483647,2147483647\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o %F", 0,
     "max=2147483647"},
    {"trace_output_over_limit", "t,p,o\n0,1,1\n1,5,2147483648\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o %F", 2,
     "%F:3: column 3 (o): 2147483648 tokens are more than infercost's limit of 2147483647 for one request"},
    {"replay_prompt_over_limit", "t,p,o\n0,2147483648,5\n",
     "run tests/data/tiny_scenario.ini -q -s traffic.arrival=trace -s traffic.trace_path=%F -s traffic.trace_format=generic "
     "-s traffic.trace_time_column=t -s traffic.trace_prompt_column=p -s traffic.trace_output_column=o", 2,
     "%F:2: column 2 (p): 2147483648 tokens are more than infercost's limit of 2147483647 for one request"},
    {"trace_short_row", NULL,
     "trace stats tests/data/trace_short_row.csv", 2,
     "malformed row: expected"},
    {"trace_empty", NULL,
     "trace stats tests/data/trace_empty.csv", 2,
     "trace_empty.csv"},
    {"trace_header_only", NULL,
     "trace stats tests/data/trace_header_only.csv", 2,
     "trace_header_only.csv"},
    {"trace_unknown_header", NULL,
     "trace stats tests/data/trace_unknown_header.csv", 2,
     "trace_unknown_header.csv"},
    {"trace_bad_quote", NULL,
     "trace stats tests/data/trace_bad_quote.csv", 2,
     "trace_bad_quote.csv"},
    {"trace_missing_column", "t,p\n0,1\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o %F", 2,
     "%F:1: "},
    /* 9223372037 s is 2^63 ns and a little: the exact decimal parse stops, strtod's range check names it (the
     * fuzzer's find: the parse multiplied past INT64_MAX) */
    {"trace_time_over_int64_ns", "t,p,o\n0,1,1\n9223372037,1,1\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o %F", 2,
     "%F:3: column 1 (t): expected a time in seconds, got '9223372037'"},
    {"trace_time_not_number", "t,p,o\n0,1,1\nnoon,1,1\n",
     "trace stats --format generic --time-column t --prompt-column p --output-column o %F", 2,
     "%F:3: column 1 (t): expected a time in seconds, got 'noon'"},
    {"trace_missing_file", NULL,
     "trace stats /nonexistent/trace.csv", 2,
     "/nonexistent/trace.csv: cannot open trace: No such file or directory"},
    {"trace_unknown_command", NULL,
     "trace plot x.csv", 2,
     "trace: unknown command 'plot': expected stats or fit"},
    {"trace_no_file", NULL,
     "trace stats", 2,
     "trace stats: missing FILE"},
    {"trace_bad_format", NULL,
     "trace stats --format csv tests/data/trace_azure_ok.csv", 2,
     "--format"},
    {"trace_bad_time_unit", NULL,
     "trace stats --format generic --time-unit days tests/data/trace_azure_ok.csv", 2,
     "--time-unit"},
    {"trace_fit_unwritable", NULL,
     "trace fit tests/data/trace_azure_ok.csv -o /proc/no/fit.ini", 2,
     "/proc/no/fit.ini: cannot write: "},
    {"run_missing_trace", NULL,
     "run tests/data/tiny_scenario.ini -q -s traffic.arrival=trace -s traffic.trace_path=/nonexistent.csv", 2,
     "/nonexistent.csv: cannot open trace: No such file or directory"},
    {"run_scheduler_steps_zero", NULL,
     "run tests/data/tiny_scenario.ini -q -s serving.scheduler_steps=0", 2,
     "-s #1: serving.scheduler_steps: value 0 is out of range: allowed [1, 1000000] steps"},
    {"run_prefill_min_queue_not_number", NULL,
     "run tests/data/tiny_scenario.ini -q -s serving.prefill_min_queue=x", 2,
     "-s #1: serving.prefill_min_queue: expected an integer, got 'x'"},
    {"run_token_budget_bad_choice", NULL,
     "run tests/data/tiny_scenario.ini -q -s serving.token_budget=all", 2,
     "-s #1: serving.token_budget: expected one of prefill|iteration, got 'all'"},
    {"run_token_budget_static", NULL,
     "run tests/data/tiny_scenario.ini -q -s serving.batching=static -s serving.token_budget=iteration", 2,
     "-s #2: serving.token_budget: decodes beside prompts need serving.batching = continuous"},
    {"run_launch_floor_negative", NULL,
     "run tests/data/tiny_scenario.ini -q -s perf.launch_floor_per_layer_s=-1", 2,
     "-s #1: perf.launch_floor_per_layer_s: value -1 is out of range: allowed [0, 1] s"},
    {"run_launch_floor_pipeline", NULL,
     "run tests/data/tiny_scenario.ini -q -s perf.launch_floor_per_layer_s=1e-4 -s perf.pipeline_stages=2 "
     "-s fleet.gpus_per_replica=2", 2,
     "perf.launch_floor_per_layer_s: a launch floor is modelled on one pipeline stage without speculative decoding "
     "only (pipeline_stages = 2)"},
    {"pub_host_form_bad_choice", NULL,
     "validate --published --quick --no-plot --ids P001 --trtllm-host-form sum", 2,
     "infercost validate: --trtllm-host-form: expected added or floor, got 'sum'"},
    {"pub_host_serial_negative", NULL,
     "validate --published --quick --no-plot --ids P001 --trtllm-host-serial -0.001", 2,
     "infercost validate: --trtllm-host-serial: expected seconds in [0, 1], got '-0.001'"},
    {"pub_trtllm_bad_choice", NULL,
     "validate --published --quick --no-plot --ids P001 --trtllm both", 2,
     "infercost validate: --trtllm: expected whole or inflight, got 'both'"},
    {"scn_prefill_min_queue_negative", "[serving]\nprefill_min_queue = -1\n",
     "scenario %F", 2,
     "%F:2: serving.prefill_min_queue: value -1 is out of range"},
    {"pub_configs_bad_mode", "experiment,mode,max_batch,max_num_tokens,chunked_prefill,scheduler_steps,prefill_min_queue,source_url\nx,server2,1,1,no,,,https://a\n",
     "validate --published --quick --no-plot --ids P001 --configs %F", 2,
     "%F:2: column mode: expected offline, server or interactive, got 'server2'"},
    {"pub_configs_missing_source", "experiment,mode,max_batch,max_num_tokens,chunked_prefill,scheduler_steps,prefill_min_queue\n",
     "validate --published --quick --no-plot --ids P001 --configs %F", 2,
     "%F:1: header: missing column 'source_url'"},
    {"pub_configs_zero_batch", "experiment,mode,max_batch,max_num_tokens,chunked_prefill,scheduler_steps,prefill_min_queue,source_url\nx,server,0,1,no,,,https://a\n",
     "validate --published --quick --no-plot --ids P001 --configs %F", 2,
     "%F:2: column max_batch: expected a whole number >= 1, got '0'"},
    {"pub_configs_twice", "experiment,mode,max_batch,max_num_tokens,chunked_prefill,scheduler_steps,prefill_min_queue,source_url\nx,server,5,1,no,,,https://a\nx,server,5,1,no,,,https://a\n",
     "validate --published --quick --no-plot --ids P001 --configs %F", 2,
     "%F:3: column experiment: x, server given twice"},
    {"pub_configs_bad_memory_share",
     "experiment,mode,max_batch,max_num_tokens,chunked_prefill,scheduler_steps,prefill_min_queue,gpu_memory_utilization,"
     "source_url\nx,server,5,1,no,,,1.5,https://a\n",
     "validate --published --quick --no-plot --ids P001 --configs %F", 2,
     "%F:2: column gpu_memory_utilization: expected a share of the GPU's memory in (0, 1], got '1.5'"},
    {"pub_configs_missing_file", NULL,
     "validate --published --quick --no-plot --ids P001 --configs /nonexistent/configs.csv", 2,
     "/nonexistent/configs.csv: cannot open the submissions' configuration table: No such file or directory"},
    {"scn_unknown_key", "[fleet]\nnodez = 4\n",
     "scenario %F", 2,
     "%F:2: unknown key 'fleet.nodez' (did you mean 'fleet.nodes'?)"},
    {"scn_unknown_key_far", "[fleet]\nqqqqqqqq = 4\n",
     "scenario %F", 2,
     "%F:2: unknown key 'fleet.qqqqqqqq' (see docs/scenario-format.md for the keys)"},
    {"scn_unknown_section", "[flete]\nnodes = 4\n",
     "scenario %F", 2,
     "%F:1: unknown section [flete]"},
    {"scn_malformed_section", "[fleet\nnodes = 4\n",
     "scenario %F", 2,
     "%F:1: malformed section header '[fleet': expected [name]"},
    {"scn_key_before_section", "nodes = 4\n",
     "scenario %F", 2,
     "%F:1: key 'nodes' comes before any [section]"},
    {"scn_no_equals", "[fleet]\nnodes 4\n",
     "scenario %F", 2,
     "%F:2: expected 'key = value', got 'nodes 4'"},
    {"scn_set_twice", "[fleet]\nnodes = 4\nnodes = 5\n",
     "scenario %F", 2,
     "%F:3: fleet.nodes is set twice (first at %F:2)"},
    {"scn_out_of_range", "[power]\npue = 0.5\n",
     "scenario %F", 2,
     "%F:2: power.pue: value 0.5 is out of range: allowed [1, 10]"},
    {"scn_hex_int", "[fleet]\nnodes = 0x10\n",
     "scenario %F", 2,
     "%F:2: fleet.nodes: expected a decimal number, got hexadecimal '0x10'"},
    {"scn_hex_float", "[power]\npue = 0x1p1\n",
     "scenario %F", 2,
     "%F:2: power.pue: expected a decimal number, got hexadecimal '0x1p1'"},
    {"scn_huge", "[power]\npue = 1e400\n",
     "scenario %F", 2,
     "%F:2: power.pue: value 1e400 is out of range (too large as a double): allowed [1, 10]"},
    {"scn_tiny", "[power]\npue = 1e-400\n",
     "scenario %F", 2,
     "%F:2: power.pue: value 1e-400 is out of range (too small as a double): allowed [1, 10]"},
    {"scn_inf", "[power]\npue = inf\n",
     "scenario %F", 2,
     "%F:2: power.pue: expected a number, got 'inf'"},
    {"scn_nan", "[power]\npue = nan\n",
     "scenario %F", 2,
     "%F:2: power.pue: expected a number, got 'nan'"},
    {"scn_empty_value", "[power]\npue =\n",
     "scenario %F", 2,
     "%F:2: power.pue: expected a number, got ''"},
    {"scn_fraction_for_int", "[fleet]\nnodes = 2.5\n",
     "scenario %F", 2,
     "%F:2: fleet.nodes: expected a whole number, got '2.5'"},
    {"scn_trailing_junk", "[fleet]\nnodes = 5     junk\n",
     "scenario %F", 2,
     "%F:2: fleet.nodes: expected an integer, got '5     junk'"},
    {"scn_bad_bool", "[traffic]\ntrace_loop = maybe\n",
     "scenario %F", 2,
     "expected true or false, got 'maybe'"},
    {"scn_bad_choice", "[serving]\nbatching = dynamic\n",
     "scenario %F", 2,
     "%F:2: serving.batching: expected one of"},
    {"scn_text_too_long", "[fleet]\ngpu = <<200*g>>\n",
     "scenario %F", 2,
     "%F:2: fleet.gpu: expected a name of 1 to 127 characters"},
    {"scn_long_comment_ok", "# <<2000*c>>\n[fleet]\nnodes = 3\n",
     "scenario %F", 0,
     "nodes = 3"},
    {"scn_long_value_refused", "[fleet]\nnodes = 5<<1100* >>junk\n",
     "scenario %F", 2,
     "%F:2: fleet.nodes: expected an integer, got '5"},
    {"scn_long_key", "[fleet]\n<<300*k>> = 1\n",
     "scenario %F", 2,
     "%F:2: key '"},
    {"scn_nul_byte", "[fleet]\nnodes = 1<<1*NUL>>\n",
     "scenario %F", 2,
     "%F: scenario contains a NUL byte: not a text file"},
    {"scn_missing_file", NULL,
     "scenario /nonexistent/s.ini", 2,
     "/nonexistent/s.ini: cannot open scenario: No such file or directory"},
    {"scn_path_too_long", NULL,
     "scenario tests/data/<<20*../data/>>tiny_scenario.ini", 2,
     "infercost: scenario path is 188 bytes long, at most 140 allowed"},
    {"scn_replica_split", "[fleet]\ngpus_per_node = 8\ngpus_per_replica = 3\n",
     "scenario %F", 2,
     "%F:3: fleet.gpus_per_replica: a replica must fit inside one node and divide it evenly, or take whole nodes (8 GPUs per node)"},
    {"scn_context", "[traffic]\nprompt_tokens = 100000\n",
     "scenario %F", 2,
     "%F:2: traffic.prompt_tokens: prompt + output exceed the model's context of"},
    {"scn_chunk_static", "[serving]\nbatching = static\nprefill_chunk_tokens = 512\n",
     "scenario %F", 2,
     "serving.prefill_chunk_tokens: chunked prefill needs serving.batching = continuous"},
    {"scn_prefix_static", "[serving]\nbatching = static\nprefix_cache = true\n",
     "scenario %F", 2,
     "%F:3: serving.prefix_cache: the prefix cache needs serving.batching = continuous"},
    {"scn_prefix_ssd_alone", "[serving]\nprefix_cache = true\nprefix_ssd_gb = 100\n",
     "scenario %F", 2,
     "%F:3: serving.prefix_ssd_gb: the SSD tier takes what DRAM evicts: set serving.prefix_dram_gb too"},
    {"scn_prefix_blocks_alone", "[serving]\nprefix_cache_blocks = 100\n",
     "scenario %F", 2,
     "%F:2: serving.prefix_cache_blocks: has no effect without serving.prefix_cache = true"},
    {"scn_prompt_cap_alone", "[serving]\nprefill_chunk_max_tokens = 256\n",
     "scenario %F", 2,
     "%F:2: serving.prefill_chunk_max_tokens: has no effect without serving.prefill_chunk_tokens > 0"},
    {"pool_prompt_cap_alone", "[pool.a]\nprefill_chunk_max_tokens = 256\n",
     "scenario %F", 2,
     "%F:2: pool.a.prefill_chunk_max_tokens: has no effect without prefill_chunk_tokens > 0"},
    {"pub_configs_bad_prompt_cap",
     "experiment,mode,max_batch,max_num_tokens,chunked_prefill,scheduler_steps,prefill_min_queue,prefill_chunk_max_tokens,"
     "source_url\nx,server,5,1,yes,,,-1,https://a\n",
     "validate --published --quick --no-plot --ids P001 --configs %F", 2,
     "%F:2: column prefill_chunk_max_tokens: expected a whole number >= 0, got '-1'"},
    {"run_prefix_no_blocks", "[serving]\nprefix_cache = true\n[run]\nduration_s = 10\n",
     "run %F", 2,
     "%F: serving.prefix_cache: the traffic has no prefix blocks"},
    {"scn_chiller", "[power]\nchiller_cop_min = 9\nchiller_cop_max = 3\n",
     "scenario %F", 2,
     "power.chiller_cop_min: "},
    {"scn_unknown_model", "[model]\nname = gpt-9\n",
     "scenario %F", 2,
     "%F:2: model.name: unknown model; built-in models:"},
    {"scn_custom_server", "[fleet]\nserver = my-box\n",
     "scenario %F", 2,
     "%F:2: fleet.server: server not built in"},
    {"scn_hourly_count", "[power]\nelectricity_usd_per_kwh_hourly = 0.1,0.2\n",
     "scenario %F", 2,
     "%F:2: power.electricity_usd_per_kwh_hourly: "},
    {"cli_no_command", NULL,
     "", 2,
     "usage: infercost <command>"},
    {"cli_unknown_command", NULL,
     "fly", 2,
     "infercost: unknown command 'fly'"},
    {"cli_unknown_option", NULL,
     "run --fast", 2,
     "infercost: run: unknown option '--fast' (see infercost run --help)"},
    {"cli_two_scenarios", NULL,
     "run a.ini b.ini", 2,
     "infercost: run: more than one scenario given ('a.ini' and 'b.ini')"},
    {"cli_s_missing_value", NULL,
     "run -s", 2,
     "infercost: -s needs section.key=value"},
    {"cli_s_no_equals", NULL,
     "run -s fleet.nodes", 2,
     "-s #1: expected section.key=value, got 'fleet.nodes'"},
    {"cli_s_no_section", NULL,
     "run -s nodes=4", 2,
     "-s #1: expected section.key=value, got 'nodes=4'"},
    {"cli_s_unknown_key", NULL,
     "run -s fleet.nodez=4", 2,
     "-s #1: unknown key 'fleet.nodez' (did you mean 'fleet.nodes'?)"},
    {"cli_s_second_bad", NULL,
     "run -s fleet.nodes=2 -s serving.max_batch=abc", 2,
     "-s #2: serving.max_batch: expected an integer, got 'abc'"},
    {"cli_s_trailing_junk", NULL,
     "run -s 'fleet.nodes=5     junk'", 2,
     "-s #1: fleet.nodes: expected an integer, got '5     junk'"},
    {"cli_s_long_value", NULL,
     "run -s 'fleet.nodes=5<<1100* >>junk'", 2,
     "-s #1: fleet.nodes: expected an integer, got '5"},
    {"cli_s_hex", NULL,
     "run -s fleet.nodes=0x10", 2,
     "-s #1: fleet.nodes: expected a decimal number, got hexadecimal '0x10'"},
    {"cli_s_huge", NULL,
     "run -s power.pue=1e400", 2,
     "-s #1: power.pue: value 1e400 is out of range (too large as a double)"},
    {"cli_s_tiny", NULL,
     "run -s power.pue=1e-400", 2,
     "-s #1: power.pue: value 1e-400 is out of range (too small as a double)"},
    {"cli_s_blame_override", NULL,
     "run -s traffic.prompt_tokens=4000", 2,
     "-s #1: traffic.prompt_tokens: prompt + output exceed the model's context of 2048 tokens"},
    {"empirical_sampling_alone", NULL,
     "run tests/data/tiny_scenario.ini -q -s traffic.empirical_sampling=each_once", 2,
     "traffic.empirical_sampling: rows and each_once draw trace rows for empirical lengths: set traffic.prompt_dist or "
     "traffic.output_dist = empirical"},
    {"empirical_sampling_bad_choice", NULL,
     "run tests/data/tiny_scenario.ini -q -s traffic.empirical_sampling=pairs", 2,
     "-s #1: traffic.empirical_sampling: expected one of columns|rows|each_once, got 'pairs'"},
    {"empirical_output_scale_alone", NULL,
     "run tests/data/tiny_scenario.ini -q -s traffic.empirical_output_scale=1.3", 2,
     "traffic.empirical_output_scale: scales empirical outputs: has no effect without traffic.output_dist = empirical"},
    {"length_table_is_no_replay", "input_length,output_length\n5,6\n",
     "run tests/data/tiny_scenario.ini -q -s traffic.arrival=trace -s traffic.trace_path=%F -s traffic.trace_format=generic "
     "-s traffic.trace_prompt_column=input_length -s traffic.trace_output_column=output_length", 2,
     "%F:1: generic trace: no time column given"},
    {"empirical_rows_empty_table", "input_length,output_length\n",
     "run tests/data/tiny_scenario.ini -q -s traffic.prompt_dist=empirical -s traffic.empirical_sampling=rows "
     "-s traffic.trace_path=%F -s traffic.trace_format=generic -s traffic.trace_prompt_column=input_length "
     "-s traffic.trace_output_column=output_length", 2,
     "%F: no data rows after the header"},
    {"cli_257_set_eq", NULL,
     "run <<257*--set=fleet.nodes=1 >>", 2,
     "infercost: too many -s overrides (at most 256)"},
    {"cli_257_s", NULL,
     "run <<257*-s fleet.nodes=1 >>", 2,
     "infercost: too many -s overrides (at most 256)"},
    {"cli_plot_without_o", NULL,
     "run --plot", 2,
     "run: --plot needs -o DIR"},
    {"cli_o_missing_value", NULL,
     "run -o", 2,
     "infercost: -o needs a directory"},
    {"cli_o_unwritable", NULL,
     "run tests/data/tiny_scenario.ini -o /proc/no/such/dir", 2,
     "/proc/no/such/dir: cannot create output directory"},
    {"cli_o_is_file", NULL,
     "run tests/data/tiny_scenario.ini -q -o tests/data/tiny_scenario.ini", 2,
     "tests/data/tiny_scenario.ini: cannot create output directory: a file of that name exists"},
    {"cli_o_too_long", NULL,
     "run tests/data/tiny_scenario.ini -q -o <<2100*/d>>", 2,
     "output directory: path is 4200 bytes long, at most 3872 allowed"},
    {"cli_replicas_cap", NULL,
     "run -q -s fleet.nodes=200000 -s fleet.gpus_per_replica=1", 2,
     "fleet.nodes: 200000 nodes make 1600000 replicas; at most 1000000 are simulated"},
    {"cli_series_rows_cap", NULL,
     "run tests/data/tiny_scenario.ini -q -s run.duration_s=86400 -s run.series_interval_s=0.001 -o /tmp/ic-bad-never", 2,
     "run.series_interval_s: 0.001 s over run.duration_s = 86400 s makes 86400000 rows of timeseries.csv; at most 1000000 allowed"},
    {"cli_overloaded_verdict_with_q", NULL,
     "run -q -s fleet.nodes=1 -s serving.max_batch=1 -s traffic.queries_per_day=1e9", 0,
     "warning: overloaded: more than 10000 requests in flight at t = "},
    {"cli_scenario_o_not_allowed", NULL,
     "scenario -o x", 2,
     "scenario: unknown option '-o'"},
    {"sweep_geometric_hang", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1:10:x1.0000000001", 2,
     "--vary fleet.nodes: range '1:10:x1.0000000001' has more than 100000 values (at most 100000 per axis)"},
    {"sweep_linear_too_many", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1:1e9:1", 2,
     "range '1:1e9:1' has more than 100000 values"},
    {"sweep_lo_above_hi", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=10:1:1", 2,
     "range '10:1:1': LO and HI must be numbers with LO <= HI"},
    {"sweep_step_zero", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1:10:0", 2,
     "range '1:10:0': STEP must be a positive number"},
    {"sweep_factor_one", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1:10:x1", 2,
     "range '1:10:x1': xFACTOR needs FACTOR > 1 and LO > 0"},
    {"sweep_log_one", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary power.pue=1:2:log1", 2,
     "range '1:2:log1': logCOUNT needs a whole COUNT >= 2 and LO > 0"},
    {"sweep_range_syntax", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1:10", 2,
     "range '1:10': expected LO:HI:STEP, LO:HI:xFACTOR or LO:HI:logCOUNT"},
    {"sweep_unknown_key", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodez=1,2", 2,
     "fleet.nodez"},
    {"sweep_twice", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1,2 --vary fleet.nodes=3", 2,
     "--vary: fleet.nodes is varied twice"},
    {"sweep_no_equals", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes", 2,
     "fleet.nodes"},
    {"sweep_empty_item", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1,,2", 2,
     "list '1,,2': empty or over-long item"},
    {"sweep_bad_value", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1,abc", 2,
     "fleet.nodes: expected an integer, got 'abc'"},
    {"sweep_nothing_to_vary", NULL,
     "sweep tests/data/tiny_scenario.ini -q", 2,
     "sweep: nothing to vary"},
    {"sweep_seeds_zero", NULL,
     "sweep -q --seeds 0 --vary fleet.nodes=1", 2,
     "--seeds: expected a whole number in [1, 10000], got '0'"},
    {"sweep_workers_abc", NULL,
     "sweep -q --workers abc --vary fleet.nodes=1", 2,
     "--workers: expected a whole number in [1, 4096], got 'abc'"},
    {"sweep_o_unwritable", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1,2 -o /proc/no/x.csv", 2,
     "/proc/no/x.csv: cannot write: "},
    {"sweep_o_directory", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1,2 -o tests", 2,
     "tests: cannot write: it is a directory"},
    {"sweep_too_many_points", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1:1000:1 --vary serving.max_batch=1:1001:1", 2,
     "sweep: 1001000 points is more than 1,000,000"},
    {"sweep_bad_target", NULL,
     "sweep tests/data/tiny_scenario.ini -q --vary fleet.nodes=1 --target 'speed<=1'", 2,
     "--target"},
    {"search_no_target", NULL,
     "search tests/data/tiny_scenario.ini -q", 2,
     "search: give at least one --target METRIC<=VALUE"},
    {"search_unknown_metric", NULL,
     "search tests/data/tiny_scenario.ini -q --target 'speed<=1'", 2,
     "speed"},
    {"search_no_operator", NULL,
     "search tests/data/tiny_scenario.ini -q --target 'e2e_p99_s'", 2,
     "e2e_p99_s"},
    {"search_bad_number", NULL,
     "search tests/data/tiny_scenario.ini -q --target 'e2e_p99_s<=fast'", 2,
     "expected a number after the comparison, got 'fast'"},
    {"search_long_nodes_tail", NULL,
     "search tests/data/tiny_scenario.ini -q --target 'e2e_p99_s<=60' --nodes 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,9999abc", 2,
     "fleet.nodes: expected an integer, got '9999abc'"},
    /* search -o FILE writes its table (issue 18); an unknown format is refused. */
    {"search_bad_format", NULL,
     "search tests/data/tiny_scenario.ini -q --target 'e2e_p99_s<=60' --format xml", 2,
     "--format: expected text or json, got 'xml'"},
    {"plot_unknown_kind", NULL,
     "plot pie tests/data/plots/sweep.csv", 2,
     "unknown kind 'pie'"},
    {"plot_missing_input", NULL,
     "plot cost-vs-x", 2,
     "expected KIND INPUT.csv"},
    {"plot_input_missing_file", NULL,
     "plot cost-vs-x /nonexistent.csv", 2,
     "/nonexistent.csv"},
    {"plot_missing_column", "# c\nserving.max_batch,usd_per_day\n1,2\n",
     "plot cost-vs-x %F --x serving.max_batch --y nothing_here", 2,
     "column 'nothing_here' not found"},
    {"plot_bad_target", "a,b\n1,2\n",
     "plot cost-vs-x %F --target 'e2e'", 2,
     "--target: expected COLUMN<=VALUE or COLUMN>=VALUE, got 'e2e'"},
    {"plot_bad_format", "a,b\n1,2\n",
     "plot cost-vs-x %F --format gif", 2,
     "--format: expected png, svg or both, got 'gif'"},
    {"plot_bad_replicas", "a,b\n1,2\n",
     "plot timeseries %F --replicas 0", 2,
     "--replicas: expected a whole number >= 1, got '0'"},
    {"plot_extra_arg", NULL,
     "plot cost-vs-x a.csv b.csv", 2,
     "unexpected argument 'b.csv'"},
    {"plot_o_too_long", "a,b\n1,2\n",
     "plot cost-vs-x %F -o <<2100*/p>>", 2,
     "plot output: path is 4200 bytes long, at most 3968 allowed"},
    {"plot_quoted_field", "a,b\n\"1\",2\n",
     "plot cost-vs-x %F", 2,
     "%F"},
    {"plot_empty", "",
     "plot cost-vs-x %F", 2,
     "%F"},
    /* Bad pool definitions (issue 13): file:line, the pool key, exit 2. */
    {"pool_decode_without_prefill", "[pool.d]\nrole = decode\n",
     "run -q %F", 2,
     "%F:1: pools: a decode pool needs a prefill pool to hand its requests to"},
    {"pool_prefill_without_decode", "[pool.p]\nrole = prefill\n",
     "run -q %F", 2,
     "%F:1: pools: a prefill pool needs a decode pool"},
    {"pool_mixed_beside_disaggregated", "[pool.p]\nrole = prefill\n[pool.d]\nrole = decode\n[pool.m]\n",
     "run -q %F", 2,
     "%F:1: pools: mixed pools cannot sit beside prefill and decode pools"},
    {"pool_model_does_not_fit",
     "[model]\nname = llama3-70b\n[fleet]\ngpu = h100-sxm\n[pool.p]\nrole = prefill\ngpus_per_replica = 1\n"
     "[pool.d]\nrole = decode\ngpus_per_replica = 4\n",
     "run -q %F", 2,
     "%F:5: pool.p: replica does not fit: llama3-70b needs 141.1 GB of weights but 1 x h100-sxm hold"},
    {"pool_prefix_static", "[serving]\nprefix_cache = true\n[pool.a]\nbatching = static\n",
     "scenario %F", 2,
     "%F:4: pool.a.batching: the prefix cache needs batching = continuous"},
    {"pool_prefix_fleet_static", "[serving]\nbatching = static\n[pool.a]\nprefix_cache = true\n",
     "scenario %F", 2,
     "%F:4: pool.a.prefix_cache: the prefix cache needs batching = continuous"},
    {"pool_unknown_key", "[pool.d]\nrolle = decode\n",
     "run -q %F", 2,
     "%F:2: pool.d.rolle: unknown pool key"},
    {"pool_unknown_key_override", NULL,
     "run -q -s pool.h100.gpus=8", 2,
     "-s #1: pool.h100.gpus: unknown pool key"},
    {"pool_duplicate_name", "[pool.a]\nnodes = 2\n[pool.a]\n",
     "run -q %F", 2,
     "%F:3: two pools named 'a' (the first at %F:1)"},
    {"pool_nodes_not_whole_replicas", "[fleet]\ngpu = h100-sxm\n[pool.big]\ngpus_per_replica = 16\nnodes = 3\n",
     "run -q %F", 2,
     "%F:5: pool.big.nodes: 3 nodes are not whole replicas of 2 nodes each"},
    {"pool_replica_not_whole_nodes", "[fleet]\ngpu = h100-sxm\n[pool.big]\ngpus_per_replica = 12\nnodes = 3\n",
     "run -q %F", 2,
     "%F:4: pool.big.gpus_per_replica: a replica must fit inside one node and divide it evenly, or take whole nodes"},
    {"pool_nvlink_domain_mixed", "[pool.m]\nnvlink_domain = rack\n",
     "run -q %F", 2,
     "%F:1: pool.m.nvlink_domain: only prefill and decode pools move KV caches"},
    {"pool_nvlink_domain_alone", "[pool.p]\nrole = prefill\nnvlink_domain = rack\n[pool.d]\nrole = decode\n",
     "run -q %F", 2,
     "%F:1: pool.p.nvlink_domain: no decode pool shares NVLink domain 'rack'"},
    {"pool_nvlink_domain_two_gpus",
     "[pool.p]\nrole = prefill\nnvlink_domain = x\ngpu = h100-sxm\n[pool.d]\nrole = decode\nnvlink_domain = x\n",
     "run -q %F", 2,
     "%F:5: pool.d.nvlink_domain: NVLink domain 'x' joins h100-sxm (pool p) and a100-80gb: one GPU type per domain"},
};

static char dir[64];

/* `text` with <<N*TEXT>> expanded and %F replaced by `path`, into out;
 * returns the length (the text may hold NUL bytes). */
static size_t expand(const char *text, const char *path, char *out, size_t size) {
  size_t n = 0;
  for (const char *p = text; *p;) {
    if (p[0] == '%' && p[1] == 'F') {
      size_t len = strlen(path);
      assert_true(n + len < size);
      memcpy(out + n, path, len);
      n += len;
      p += 2;
    } else if (p[0] == '<' && p[1] == '<') {
      char *star, *end = strstr(p, ">>");
      long count = strtol(p + 2, &star, 10);
      assert_true(*star == '*' && end != NULL && count > 0);
      const char *unit = star + 1;
      size_t ulen = (size_t)(end - unit);
      bool nul = ulen == 3 && !strncmp(unit, "NUL", 3);
      for (long i = 0; i < count; i++) {
        assert_true(n + ulen < size);
        if (nul)
          out[n++] = '\0';
        else
          memcpy(out + n, unit, ulen), n += ulen;
      }
      p = end + 2;
    } else {
      assert_true(n + 1 < size);
      out[n++] = *p++;
    }
  }
  out[n] = '\0';
  return n;
}

static void bad_inputs_give_clear_errors(void **state) {
  (void)state;
  static char path[128], text[16384], args[16384], message[1024], cmd[20000], out[1 << 16];
  size_t failed = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const struct bad_case *c = &cases[i];
    snprintf(path, sizeof path, "%s/%s.in", dir, c->name);
    if (c->file) {
      size_t len = expand(c->file, path, text, sizeof text);
      FILE *f = fopen(path, "wb");
      assert_non_null(f);
      assert_int_equal(fwrite(text, 1, len, f), len);
      assert_int_equal(fclose(f), 0);
    }
    expand(c->args, path, args, sizeof args);
    expand(c->message, path, message, sizeof message);
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", ic_test_bin(), args);
    int code = ic_test_shell(cmd, out, sizeof out);
    if (code != c->exit_code || !strstr(out, message)) {
      /* Every case is checked; the failures are listed together. */
      print_error("case %s: exit %d (want %d); want the message \"%s\"; got:\n%.600s\n", c->name, code, c->exit_code,
                  message, out);
      failed++;
    }
  }
  assert_int_equal(failed, 0);
}

static void table_has_at_least_80_cases(void **state) {
  (void)state;
  assert_true(sizeof cases / sizeof cases[0] >= 80);
}

static int make_dir(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/ic-bad-input-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' /tmp/ic-bad-never", dir);
  return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(table_has_at_least_80_cases),
      cmocka_unit_test(bad_inputs_give_clear_errors),
  };
  return cmocka_run_group_tests_name("bad_input", tests, make_dir, remove_dir);
}
