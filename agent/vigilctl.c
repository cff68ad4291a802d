// SPDX-License-Identifier: GPL-2.0-or-later
// vigilctl: the operator's command-line client for a running vigild.
//
// It sends one request line to vigild's control socket and prints the
// answer. Every wait is bounded: a daemon that does not answer (stopped,
// wedged) is reported after the timeout instead of hanging the shell.
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_SOCKET "/run/vigil/vigil.sock"
#define DEFAULT_TIMEOUT_MS 5000
/* As the configuration allows an instance name. */
#define INSTANCE_NAME_MAX 32

/* Exit codes. */
enum {
	EXIT_OK = 0,
	EXIT_ANSWER_ERROR = 1,   /* vigild answered with an error line */
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3,    /* no socket, nobody listening, no permission */
	EXIT_TIMEOUT = 4,        /* vigild did not answer in time */
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vigilctl [-s SOCKET] [-t SECONDS] COMMAND\n"
		"\n"
		"Query or steer a running vigild through its control socket.\n"
		"\n"
		"Commands:\n"
		"  status [--json]   each instance (state, base and effective priority,\n"
		"                    current master, VIPs held, timers, counters, data\n"
		"                    safety) and each check (status, value, latency,\n"
		"                    penalty); --json: the same as one JSON object\n"
		"  metrics           the same counters in the Prometheus text format\n"
		"  resign INSTANCE   hand INSTANCE's VIP to the best peer and stay backup\n"
		"                    (planned maintenance); with manage_read_only refused\n"
		"                    when no database peer can take over its writes\n"
		"  resume INSTANCE   end a resign: INSTANCE competes for the VIP again\n"
		"  reload            read the configuration file again; a file with errors\n"
		"                    is refused and the running configuration stays\n"
		"  restart           re-execute vigild (a new binary after an upgrade)\n"
		"                    without a failover: the VIP and read_only stay as they are\n"
		"\n"
		"Options:\n"
		"  -s SOCKET         control socket ([global] control_socket; default\n"
		"                    " DEFAULT_SOCKET ")\n"
		"  -t SECONDS        give up after this long (default %d)\n"
		"  -h, --help        this text\n"
		"\n"
		"Exit: 0 done; 1 vigild refused or answered with an error; 2 usage;\n"
		"3 vigild cannot be reached; 4 vigild did not answer in time.\n",
		DEFAULT_TIMEOUT_MS / 1000);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for events on fd until the deadline. Returns 1 ready, 0 timed out,
 * -1 on error. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - mono_ms();
		if (left <= 0)
			return 0;
		struct pollfd p = { .fd = fd, .events = events };
		int rc = poll(&p, 1, (int)left);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static int unreachable(const char *path, int err)
{
	fprintf(stderr, "vigilctl: is vigild running? socket %s: %s\n", path, strerror(err));
	if (err == EACCES || err == EPERM)
		fprintf(stderr, "vigilctl: the socket is mode 0600: run vigilctl as vigild's user (root)\n");
	return EXIT_UNREACHABLE;
}

static int timed_out(const char *path, const char *what, int timeout_ms)
{
	fprintf(stderr, "vigilctl: vigild did not %s within %d.%d s (socket %s): is it stuck?\n",
		what, timeout_ms / 1000, timeout_ms % 1000 / 100, path);
	return EXIT_TIMEOUT;
}

/* Connect, retrying while the listen backlog is full (EAGAIN: vigild is
 * busy with other clients), until the deadline. Returns the fd or an
 * exit code (negated). */
static int connect_to(const char *path, int64_t deadline, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vigilctl: socket path too long: %s\n", path);
		return -EXIT_USAGE;
	}
	strcpy(sa.sun_path, path);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			fprintf(stderr, "vigilctl: socket: %s\n", strerror(errno));
			return -EXIT_UNREACHABLE;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		int e = errno;
		close(fd);
		if (e != EAGAIN)
			return -unreachable(path, e);
		if (mono_ms() >= deadline)
			return -timed_out(path, "accept the connection", timeout_ms);
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static int send_all(int fd, const char *buf, size_t len, int64_t deadline, const char *path,
		    int timeout_ms)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n >= 0) {
			off += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			fprintf(stderr, "vigilctl: sending to %s: %s\n", path, strerror(errno));
			return EXIT_UNREACHABLE;
		}
		int w = wait_fd(fd, POLLOUT, deadline);
		if (w == 0)
			return timed_out(path, "take the request", timeout_ms);
		if (w < 0) {
			fprintf(stderr, "vigilctl: poll: %s\n", strerror(errno));
			return EXIT_UNREACHABLE;
		}
	}
	return EXIT_OK;
}

/* Read the answer until vigild closes, printing it as it comes. */
static int receive(int fd, int64_t deadline, const char *path, int timeout_ms)
{
	char buf[8192];
	bool any = false, error_line = false;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			if (!any && (size_t)n >= 6 && memcmp(buf, "error:", 6) == 0)
				error_line = true;
			any = true;
			fwrite(buf, 1, (size_t)n, error_line ? stderr : stdout);
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			fprintf(stderr, "vigilctl: reading from %s: %s\n", path, strerror(errno));
			return EXIT_UNREACHABLE;
		}
		int w = wait_fd(fd, POLLIN, deadline);
		if (w == 0)
			return timed_out(path, any ? "finish its answer" : "answer", timeout_ms);
		if (w < 0) {
			fprintf(stderr, "vigilctl: poll: %s\n", strerror(errno));
			return EXIT_UNREACHABLE;
		}
	}
	if (fflush(stdout) != 0) {
		fprintf(stderr, "vigilctl: writing the answer: %s\n", strerror(errno));
		return EXIT_ANSWER_ERROR;
	}
	if (!any) {
		fprintf(stderr, "vigilctl: vigild closed the connection without an answer (socket %s)\n",
			path);
		return EXIT_ANSWER_ERROR;
	}
	return error_line ? EXIT_ANSWER_ERROR : EXIT_OK;
}

static int request(const char *path, const char *line, int timeout_ms)
{
	int64_t deadline = mono_ms() + timeout_ms;
	int fd = connect_to(path, deadline, timeout_ms);
	if (fd < 0)
		return -fd;
	int rc = send_all(fd, line, strlen(line), deadline, path, timeout_ms);
	if (rc == EXIT_OK)
		rc = receive(fd, deadline, path, timeout_ms);
	close(fd);
	return rc;
}

/* The control socket's commands, as vigilctl takes them. */
static const struct {
	const char *name;
	bool instance;          /* takes an instance name */
} commands[] = {
	{ "status", false }, { "metrics", false }, { "resign", true },
	{ "resume", true },  { "reload", false },  { "restart", false },
};

/*
 * The request line for a command and its arguments: "status json\n",
 * "resign db\n". Returns EXIT_OK, or EXIT_USAGE with the reason printed.
 */
static int build_request(int argc, char **argv, char *line, size_t cap)
{
	const char *cmd = argv[0];
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		if (strcmp(cmd, commands[c].name) != 0)
			continue;
		if (strcmp(cmd, "status") == 0) {
			bool json = false;
			for (int i = 1; i < argc; i++) {
				if (strcmp(argv[i], "--json") != 0) {
					fprintf(stderr, "vigilctl: status: unexpected argument '%s'\n", argv[i]);
					return EXIT_USAGE;
				}
				json = true;
			}
			snprintf(line, cap, "%s\n", json ? "status json" : "status");
			return EXIT_OK;
		}
		if (commands[c].instance) {
			if (argc != 2) {
				fprintf(stderr, "vigilctl: %s: %s\n", cmd,
					argc < 2 ? "which instance? (the name of its [instance] section)"
						 : "one instance at a time");
				return EXIT_USAGE;
			}
			const char *name = argv[1];
			size_t n = strlen(name);
			bool ok = n > 0 && n <= INSTANCE_NAME_MAX;
			for (size_t i = 0; ok && i < n; i++)
				ok = name[i] > 0x20 && name[i] < 0x7f;
			if (!ok) {
				fprintf(stderr, "vigilctl: %s: '%s' is not an instance name\n", cmd, name);
				return EXIT_USAGE;
			}
			snprintf(line, cap, "%s %s\n", cmd, name);
			return EXIT_OK;
		}
		if (argc != 1) {
			fprintf(stderr, "vigilctl: %s: unexpected argument '%s'\n", cmd, argv[1]);
			return EXIT_USAGE;
		}
		snprintf(line, cap, "%s\n", cmd);
		return EXIT_OK;
	}
	fprintf(stderr, "vigilctl: unknown command '%s'\n", cmd);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_SOCKET;
	int timeout_ms = DEFAULT_TIMEOUT_MS;
	int opt;
	/* '+': options end at the subcommand, whose own options follow it. */
	while ((opt = getopt_long(argc, argv, "+s:t:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 't': {
			char *end;
			double s = strtod(optarg, &end);
			if (end == optarg || *end || !(s > 0) || s > 3600) {
				fprintf(stderr, "vigilctl: -t: '%s' is not a number of seconds (0 < t <= 3600)\n",
					optarg);
				return EXIT_USAGE;
			}
			timeout_ms = (int)(s * 1000);
			if (timeout_ms < 1)
				timeout_ms = 1;
			break;
		}
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	char line[128];
	int rc = build_request(argc - optind, argv + optind, line, sizeof(line));
	if (rc != EXIT_OK) {
		usage(stderr);
		return rc;
	}
	return request(path, line, timeout_ms);
}
