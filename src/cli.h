/* cli.h: subcommands implemented outside main.c. Each takes the arguments
 * after the program name (argv[0] is the subcommand) and returns an exit code
 * (IC_EXIT_OK, IC_EXIT_BAD_INPUT, IC_EXIT_FAILURE). */
#ifndef IC_CLI_H
#define IC_CLI_H

int ic_cli_validate(int argc, char **argv);
int ic_cli_trace(int argc, char **argv);
int ic_cli_plot(int argc, char **argv);
int ic_cli_sweep(int argc, char **argv);
int ic_cli_search(int argc, char **argv);
int ic_cli_train(int argc, char **argv);

#endif
