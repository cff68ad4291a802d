/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for agent/control_proto.c: what a client writes to the control socket, parsed as control.c does. */
/*
 * control.c reads at most CONTROL_REQUEST_MAX bytes and hands the parser
 * the bytes before the first newline (or all of them when the client shut
 * its side without one), with a 160-byte answer buffer. Same here: the
 * input is what the client wrote.
 *
 * Checked beyond "no crash": a refusal is one line that starts with
 * "error: ", ends with "\n" and holds only printable ASCII (it goes back
 * to the client's terminal, offending bytes shown as '?'); an accepted
 * request has a known command, an instance name exactly for resign and
 * resume (1..CONTROL_NAME_MAX printable bytes), and written back as a
 * line it parses to the same request.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refusal(const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	if (n == errlen || strncmp(err, "error: ", 7) != 0 || err[n - 1] != '\n')
		abort();
	for (size_t i = 0; i + 1 < n; i++)
		if (err[i] < 0x20 || err[i] > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct control_request req, back;
	char err[160], line[CONTROL_REQUEST_MAX + 64];
	const char *nl;
	size_t len;
	int n;

	/* A request longer than the buffer is refused by control.c itself. */
	if (size > CONTROL_REQUEST_MAX)
		return 0;
	nl = memchr(data, '\n', size);
	len = nl ? (size_t)(nl - (const char *)data) : size;

	memset(err, 0x5a, sizeof(err));
	if (control_parse_request((const char *)data, len, &req, err, sizeof(err)) < 0) {
		check_refusal(err, sizeof(err));
		return 0;
	}
	if ((unsigned)req.cmd >= CONTROL_CMD__COUNT || req.client_fd != -1)
		abort();
	size_t il = strnlen(req.instance, sizeof(req.instance));
	if (il == sizeof(req.instance))
		abort();
	if ((req.cmd == CONTROL_CMD_RESIGN || req.cmd == CONTROL_CMD_RESUME) != (il > 0))
		abort();
	for (size_t i = 0; i < il; i++)
		if (req.instance[i] < 0x21 || req.instance[i] > 0x7e)
			abort();
	if (req.json && req.cmd != CONTROL_CMD_STATUS)
		abort();

	/* The canonical line of this request (what vigilctl sends). */
	n = snprintf(line, sizeof(line), "%s%s%s", control_cmd_name(req.cmd),
		     req.json ? " json" : il ? " " : "", req.json ? "" : req.instance);
	if (n < 0 || (size_t)n >= sizeof(line))
		abort();
	if (control_parse_request(line, (size_t)n, &back, err, sizeof(err)) != 0 ||
	    back.cmd != req.cmd || back.json != req.json || strcmp(back.instance, req.instance))
		abort();
	return 0;
}
