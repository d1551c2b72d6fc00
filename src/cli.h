/* cli.h: subcommands implemented outside main.c. Each takes the arguments
 * after the program name (argv[0] is the subcommand) and returns an exit code
 * (IC_EXIT_OK, IC_EXIT_BAD_INPUT, IC_EXIT_FAILURE). */
#ifndef IC_CLI_H
#define IC_CLI_H

#include <stdint.h>
#include <stdio.h>

int ic_cli_validate(int argc, char **argv);
int ic_cli_validate_published(int argc, char **argv); /* validate --published */
int ic_cli_trace(int argc, char **argv);
int ic_cli_plot(int argc, char **argv);
int ic_cli_sweep(int argc, char **argv);
int ic_cli_search(int argc, char **argv);
int ic_cli_train(int argc, char **argv);

struct ic_trace_stats;
/* `trace fit --check` (cli_trace_check.c): generates `periods` repeats of
 * the fitted section `fit_text` and writes how it compares with the trace's
 * statistics `st` to `out`. An exit code. */
int ic__cli_trace_check(const char *file, const char *fit_text, const struct ic_trace_stats *st, int periods,
                        uint64_t seed, FILE *out);

#endif
