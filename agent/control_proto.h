// SPDX-License-Identifier: GPL-2.0-or-later
// The control socket's protocol: one request line in, one answer out.
#ifndef VIGIL_CONTROL_PROTO_H
#define VIGIL_CONTROL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Pure: no I/O, no allocation. A client sends one line, words separated
 * by blanks (a trailing CR ignored):
 *
 *   status [json]        the running state
 *   metrics              the Prometheus text format
 *   resign INSTANCE      hand the VIP to the best peer and stay backup
 *   resume INSTANCE      end a resign
 *   reload               read the configuration file again
 *   restart              re-execute vigild without a failover
 *
 * The daemon answers with text and closes. An answer that starts with
 * "error: " is a refusal and changed nothing. A request the parser
 * cannot take gets a single such line.
 */

/* The longest request line, newline included. */
#define CONTROL_REQUEST_MAX 1024
/* The longest instance name a request carries (config.h CONFIG_NAME_MAX). */
#define CONTROL_NAME_MAX 32

enum control_cmd {
	CONTROL_CMD_STATUS,
	CONTROL_CMD_METRICS,
	CONTROL_CMD_RESIGN,
	CONTROL_CMD_RESUME,
	CONTROL_CMD_RELOAD,
	CONTROL_CMD_RESTART,
	CONTROL_CMD__COUNT
};

/* "status", "metrics", ... */
const char *control_cmd_name(enum control_cmd cmd);

struct control_request {
	enum control_cmd cmd;
	bool json;                              /* status json */
	char instance[CONTROL_NAME_MAX + 1];    /* resign, resume; "" otherwise */
	int client_fd;                          /* set by the server (control.c), not the
						 * parser: the client's socket, for an answer
						 * that outlives the request (restart) */
};

/*
 * Parse one request line.
 * line/len: the line without its newline (it need not be NUL-terminated;
 * a NUL byte in it makes it malformed).
 * req: receives the request on success.
 * err/errlen: receives the answer for a malformed request, one line
 * ending in "\n", e.g. "error: unknown command 'x'; try: status, ...\n";
 * the offending word is cut to 32 bytes and non-printable bytes show as '?'.
 * Returns 0, or -EINVAL for a malformed request.
 */
int control_parse_request(const char *line, size_t len, struct control_request *req,
			  char *err, size_t errlen);

#endif
