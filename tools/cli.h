/* Shared helpers for the mbmssec CLI subcommands.
 *
 * Conventions: bad usage (missing option, odd-length hex, wrong size) prints
 * one line "mbmssec <cmd>: <what is wrong with which option>" on stderr and
 * exits 2; `--help` prints the subcommand's usage on stdout and exits 0.
 */
#ifndef MBMS_CLI_H
#define MBMS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_EXIT_USAGE 2

/* One subcommand: name, one-line summary, entry point (argv[0] = name). */
struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
};

/* A parsed "--name value" / "--flag" list. */
struct cli_opt {
	const char *name;    /* without the leading "--" */
	bool takes_value;
	const char *value;   /* set by cli_parse; "" for a present flag */
};

/* Parse argv[1..] against opts. Unknown options, missing values and stray
 * arguments are usage errors (message printed, returns -1). Positional
 * arguments are collected into pos (at most max_pos). "--help" sets *help. */
int cli_parse(const char *cmd, int argc, char **argv, struct cli_opt *opts, size_t nopts,
	      const char **pos, size_t max_pos, size_t *npos, bool *help);

/* Find an option's value (NULL when absent). */
const char *cli_get(const struct cli_opt *opts, size_t nopts, const char *name);

/* Usage error: prints "mbmssec <cmd>: <msg>" and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Required option as hex of exactly `len` bytes (len 0: any length up to
 * cap, *out_len set). Returns 0 or prints a usage error and returns -1. */
int cli_hex_opt(const char *cmd, const struct cli_opt *opts, size_t nopts, const char *name,
		uint8_t *out, size_t len, size_t cap, size_t *out_len);

/* Required option as an unsigned decimal number <= max. */
int cli_uint_opt(const char *cmd, const struct cli_opt *opts, size_t nopts, const char *name,
		 uint64_t max, uint64_t *out);

/* Required option as a non-empty string. */
int cli_str_opt(const char *cmd, const struct cli_opt *opts, size_t nopts, const char *name,
		const char **out);

/* Print bytes as lower-case hex followed by a newline. */
void cli_print_hex(const uint8_t *buf, size_t len);

/* Subcommands (one file each under tools/). */
int cmd_ks_naf(int argc, char **argv);
int cmd_prf(int argc, char **argv);
int cmd_milenage(int argc, char **argv);
int cmd_mikey(int argc, char **argv);
int cmd_gba(int argc, char **argv);
int cmd_trace(int argc, char **argv);

#endif
