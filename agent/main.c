/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vigild: command line, configuration check, and the daemon's start. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_host.h"
#include "config_print.h"
#include "daemon.h"
#include "etcd_client.h"
#include "priority_table.h"
#include "privilege.h"
#include "reexec.h"

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.1.0"
#endif

/* Exit codes: 0 ok, 1 configuration error, 3 could not start (daemon.h),
 * 64 (EX_USAGE) bad command line. */
enum { EXIT_CONFIG = DAEMON_EXIT_CONFIG, EXIT_USAGE = 64 };

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vigild [-f FILE] [-t [--peer-priority N]] [--syslog] [-h] [-V]\n"
		"  -f, --file FILE  configuration file (default %s)\n"
		"  -t, --test       check the configuration, print a summary and the\n"
		"                   effective-priority table, and exit\n"
		"      --peer-priority N\n"
		"                   the peer's priority the table compares with (default 100)\n"
		"      --syslog     log to syslog as well as stderr\n"
		"  -h, --help       show this help\n"
		"  -V, --version    show the version\n",
		CONFIG_DEFAULT_PATH);
}

static void print_diag(const struct config_diag *diag)
{
	for (size_t i = 0; i < diag->count; i++)
		fprintf(stderr, "%s\n", diag->entries[i].text);
	if (diag->dropped)
		fprintf(stderr, "vigild: %zu more messages not shown\n", diag->dropped);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "test", no_argument, NULL, 't' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "peer-priority", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONFIG_DEFAULT_PATH;
	bool test_only = false, use_syslog = false;
	unsigned long peer_priority = 100;
	char *end;
	struct config_diag diag;
	struct vigil_config *cfg = NULL;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "f:thV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': path = optarg; break;
		case 't': test_only = true; break;
		case 'S': use_syslog = true; break;
		case 'P':
			peer_priority = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || peer_priority < 1 ||
			    peer_priority > 254) {
				fprintf(stderr, "vigild: --peer-priority: '%s' is not a priority 1..254\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vigild %s\n", VIGIL_VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vigild: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}

	/* A vigild re-executed by `vigilctl restart` finds what the previous
	 * process handed over; an unreadable hand-over means a cold start
	 * (safe: it may cost a failover, never two masters). */
	struct restart_state handed = { 0 };
	int reply_fd = -1;
	char why[256] = "";
	int restarted = test_only ? 0 : reexec_take(&handed, &reply_fd, why, sizeof(why));
	if (restarted < 0)
		fprintf(stderr, "vigild: restart: the previous process's state is unreadable (%s): starting as at a cold start\n",
			why);

	/* Least privilege before the configuration is read: start and reload
	 * then read every file with the same rights (privilege.h). */
	struct privilege_report priv = { 0 };
	if (!test_only && privilege_drop(&priv, why, sizeof(why)) < 0) {
		fprintf(stderr, "vigild: %s\n", why);
		if (reply_fd >= 0)
			dprintf(reply_fd, "error: the restarted vigild cannot start: %s\n", why);
		restart_state_free(&handed);
		return DAEMON_EXIT_RUNTIME;
	}

	config_diag_init(&diag);
	rc = config_load_file(path, &cfg, &diag);
	/* -t only warns about the files of this host; the daemon refuses
	 * one it cannot trust (file_safety.h). */
	if (rc == 0)
		(test_only ? config_check_host : config_check_host_run)(cfg, &diag);
	if (rc == 0 && diag.errors) {
		config_free(cfg);
		cfg = NULL;
		rc = -EINVAL;
	}
	print_diag(&diag);
	if (rc < 0 && diag.count == 0)  /* e.g. out of memory: nothing said yet */
		fprintf(stderr, "vigild: cannot load %s: %s\n", path, strerror(-rc));
	config_diag_free(&diag);
	if (rc < 0) {
		if (reply_fd >= 0)
			dprintf(reply_fd, "error: the restarted vigild refused %s (see its log)\n", path);
		restart_state_free(&handed);
		return EXIT_CONFIG;
	}
	if (test_only) {
		config_print_summary(cfg, stdout);
		priority_table_print(cfg, (uint8_t)peer_priority, stdout, stderr);
		printf("configuration OK\n");
		config_free(cfg);
		return 0;
	}
	struct daemon_opts o = {
		.path = path,
		.use_syslog = use_syslog,
		.argv = argv,
		.restart = restarted > 0 ? &handed : NULL,
		.restart_reply = reply_fd,
		.privilege = &priv,
	};
	/* libcurl's process-wide state (the etcd client, etcd_client.h): the
	 * one global setup vigil allows, done here once, before the loop and
	 * while vigild has no thread. */
	if (etcd_global_init() < 0) {
		fprintf(stderr, "vigild: libcurl cannot initialize\n");
		if (reply_fd >= 0)
			dprintf(reply_fd, "error: the restarted vigild cannot start: libcurl cannot initialize\n");
		config_free(cfg);
		restart_state_free(&handed);
		return DAEMON_EXIT_RUNTIME;
	}
	rc = daemon_run(cfg, &o);
	etcd_global_cleanup();
	restart_state_free(&handed);
	return rc;
}
