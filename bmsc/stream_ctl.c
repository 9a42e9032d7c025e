/* `bmscd ctl stream|stream-stop|stream-status|mtk`: the streaming commands
 * of the admin client (bmsc/stream.h, docs/traffic.md). */
#include "ctl.h"
#include "stream.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
	"usage: bmscd ctl [--admin HOST:PORT] stream --session NAME [--count K] [--rate R]\n"
	"                 [--file F] [--mtk-every P] [--size N]\n"
	"       bmscd ctl [--admin HOST:PORT] stream-stop --session NAME\n"
	"       bmscd ctl [--admin HOST:PORT] stream-status\n"
	"       bmscd ctl [--admin HOST:PORT] mtk --key-group N\n";

static int usage(const char *why)
{
	fprintf(stderr, "bmscd ctl: %s\n%s", why, usage_text);
	return BMSCD_CTL_EXIT_USAGE;
}

static bool ours(const char *cmd)
{
	return !strcmp(cmd, "stream") || !strcmp(cmd, "stream-stop") ||
	       !strcmp(cmd, "stream-status") || !strcmp(cmd, "mtk");
}

int bmscd_stream_ctl(int argc, char **argv)
{
	const char *admin = "127.0.0.1:8090", *cmd = NULL;
	const char *opt_names[] = {"--session", "--count", "--rate", "--file", "--mtk-every",
				   "--size", "--key-group"};
	const char *query_names[] = {"session", "count", "rate", "file", "mtk_every", "size",
				     "key_group"};
	const char *val[7] = {0};
	/* the command: the first word that is not an option or its value */
	for (int i = 2; i < argc && !cmd; i++) {
		if (argv[i][0] == '-')
			i++;
		else
			cmd = argv[i];
	}
	if (!cmd || !ours(cmd))
		return -1; /* ctl.c's commands */
	for (int i = 2; i < argc; i++) {
		if (argv[i] == cmd)
			continue;
		if (!strcmp(argv[i], "--admin") && i + 1 < argc) {
			admin = argv[++i];
			continue;
		}
		size_t k = 0;
		while (k < 7 && strcmp(argv[i], opt_names[k]) != 0)
			k++;
		if (k == 7 || i + 1 >= argc || val[k])
			return usage("unexpected argument");
		val[k] = argv[++i];
	}
	bool stream = !strcmp(cmd, "stream"), stop = !strcmp(cmd, "stream-stop"),
	     status = !strcmp(cmd, "stream-status"), mtk = !strcmp(cmd, "mtk");
	if ((stream || stop) && !val[0])
		return usage("--session NAME is required");
	if (mtk && !val[6])
		return usage("mtk needs --key-group N");
	for (size_t k = 0; k < 7; k++) {
		bool allowed = (stream && k <= 5) || (stop && k == 0) || (mtk && k == 6);
		if (val[k] && !allowed)
			return usage("option not valid for this command");
	}
	if (status && (val[0] || val[6]))
		return usage("stream-status takes no options");
	/* the file is read by bmscd: make the path absolute */
	char file_abs[PATH_MAX];
	if (val[3]) {
		if (!realpath(val[3], file_abs)) {
			fprintf(stderr, "bmscd ctl: %s: no such file\n", val[3]);
			return 1;
		}
		val[3] = file_abs;
	}
	char url[8192];
	snprintf(url, sizeof(url), "http://%s/%s", admin,
		 stream ? "stream" : stop ? "stream/stop" : status ? "streams" : "mtk");
	int bad = 0;
	for (size_t k = 0; k < 7; k++)
		bad |= bmscd_ctl_add_query(url, sizeof(url), query_names[k], val[k]);
	if (bad)
		return usage("arguments too long");
	return bmscd_ctl_call(url, !status);
}
