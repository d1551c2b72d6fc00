/* cli.h: subcommands implemented outside main.c. Each takes the arguments
 * after the program name (argv[0] is the subcommand) and returns an exit code
 * (IC_EXIT_OK, IC_EXIT_BAD_INPUT, IC_EXIT_FAILURE). */
#ifndef IC_CLI_H
#define IC_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "infercost/search.h"

/* Exit code of `search` when no configuration meets the targets (the search
 * itself ran: neither bad input nor a failure). */
enum { IC_EXIT_NO_SOLUTION = 3 };

int ic_cli_validate(int argc, char **argv);
int ic_cli_validate_published(int argc, char **argv); /* validate --published */
int ic_cli_validate_kernels(int argc, char **argv);   /* validate --kernels */
int ic_cli_trace(int argc, char **argv);
int ic_cli_plot(int argc, char **argv);
int ic_cli_sweep(int argc, char **argv);
int ic_cli_search(int argc, char **argv);
int ic_cli_train(int argc, char **argv);

/* search's outputs (cli_search_out.c); user_targets: the first targets are
 * the user's, the rest implicit (stable>=1), which get no Pareto column. */
ic_status ic_cli_search_write_points(const char *path, const struct ic_search_space *sp, size_t user_targets,
                                     const struct ic_search_result *r);
void ic_cli_search_print_top(const struct ic_search_space *sp, size_t user_targets, const struct ic_search_result *r,
                             FILE *out);

struct ic_trace_stats;
/* `trace fit --check` (cli_trace_check.c): generates `periods` repeats of
 * the fitted section `fit_text` and writes how it compares with the trace's
 * statistics `st` to `out`. An exit code. */
int ic__cli_trace_check(const char *file, const char *fit_text, const struct ic_trace_stats *st, int periods,
                        uint64_t seed, FILE *out);

#endif
