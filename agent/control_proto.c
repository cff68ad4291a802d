// SPDX-License-Identifier: GPL-2.0-or-later
// The control socket's protocol: one request line in, one answer out.
#include "control_proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* What a malformed request is told to try. */
#define USAGE_HINT "try: status, metrics, resign INSTANCE, resume INSTANCE, reload, restart"
/* An offending word is quoted back at most this long. */
#define WORD_SHOWN_MAX 32

/* Each command and what follows it. */
enum arg_kind { ARG_NONE, ARG_JSON_FLAG, ARG_INSTANCE };
static const struct {
	const char *name;
	enum arg_kind arg;
	const char *usage;      /* told back when its arguments are wrong */
} commands[CONTROL_CMD__COUNT] = {
	[CONTROL_CMD_STATUS] = { "status", ARG_JSON_FLAG, "status, or status json" },
	[CONTROL_CMD_METRICS] = { "metrics", ARG_NONE, "metrics" },
	[CONTROL_CMD_RESIGN] = { "resign", ARG_INSTANCE, "resign INSTANCE" },
	[CONTROL_CMD_RESUME] = { "resume", ARG_INSTANCE, "resume INSTANCE" },
	[CONTROL_CMD_RELOAD] = { "reload", ARG_NONE, "reload" },
	[CONTROL_CMD_RESTART] = { "restart", ARG_NONE, "restart" },
};

const char *control_cmd_name(enum control_cmd cmd)
{
	return cmd < CONTROL_CMD__COUNT ? commands[cmd].name : "?";
}

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Up to max words of line into start/len; returns how many there are
 * (more than max are counted, not stored). */
static size_t split(const char *line, size_t len, const char **start, size_t *wlen, size_t max)
{
	size_t n = 0, i = 0;
	while (i < len) {
		while (i < len && blank(line[i]))
			i++;
		if (i == len)
			break;
		size_t b = i;
		while (i < len && !blank(line[i]))
			i++;
		if (n < max) {
			start[n] = line + b;
			wlen[n] = i - b;
		}
		n++;
	}
	return n;
}

/* A word as it may be quoted back: printable ASCII only, cut short. */
static void shown(const char *w, size_t len, char *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 4 < cap && i < WORD_SHOWN_MAX; i++)
		out[n++] = (w[i] >= 0x20 && w[i] < 0x7f && w[i] != '\'') ? w[i] : '?';
	if (len > WORD_SHOWN_MAX && n + 4 < cap) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

static bool word_is(const char *w, size_t len, const char *s)
{
	return len == strlen(s) && memcmp(w, s, len) == 0;
}

/* An instance name as the configuration allows it: printable, no blank
 * (split() already removed those), not too long. */
static bool instance_name_ok(const char *w, size_t len)
{
	if (len == 0 || len > CONTROL_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (w[i] < 0x21 || w[i] > 0x7e)
			return false;
	return true;
}

int control_parse_request(const char *line, size_t len, struct control_request *req,
			  char *err, size_t errlen)
{
	const char *w[3];
	size_t wl[3], n;
	char word[WORD_SHOWN_MAX + 8];

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len)) {
		snprintf(err, errlen, "error: request contains a NUL byte; " USAGE_HINT "\n");
		return -EINVAL;
	}
	n = split(line, len, w, wl, 3);
	if (n == 0) {
		snprintf(err, errlen, "error: empty request; " USAGE_HINT "\n");
		return -EINVAL;
	}
	enum control_cmd cmd = CONTROL_CMD__COUNT;
	for (size_t c = 0; c < CONTROL_CMD__COUNT; c++)
		if (word_is(w[0], wl[0], commands[c].name))
			cmd = (enum control_cmd)c;
	if (cmd == CONTROL_CMD__COUNT) {
		shown(w[0], wl[0], word, sizeof(word));
		snprintf(err, errlen, "error: unknown command '%s'; " USAGE_HINT "\n", word);
		return -EINVAL;
	}
	*req = (struct control_request){ .cmd = cmd, .client_fd = -1 };
	const char *name = commands[cmd].name, *usage = commands[cmd].usage;
	switch (commands[cmd].arg) {
	case ARG_NONE:
		if (n == 1)
			return 0;
		break;
	case ARG_JSON_FLAG:
		if (n == 1)
			return 0;
		if (n == 2 && word_is(w[1], wl[1], "json")) {
			req->json = true;
			return 0;
		}
		if (n > 2 && word_is(w[1], wl[1], "json")) {
			shown(w[2], wl[2], word, sizeof(word));
			snprintf(err, errlen, "error: %s: unexpected argument '%s'; try: %s\n", name,
				 word, usage);
			return -EINVAL;
		}
		break;
	case ARG_INSTANCE:
		if (n == 1) {
			snprintf(err, errlen, "error: %s: which instance? try: %s\n", name, usage);
			return -EINVAL;
		}
		if (!instance_name_ok(w[1], wl[1])) {
			shown(w[1], wl[1], word, sizeof(word));
			snprintf(err, errlen,
				 "error: %s: '%s' is not an instance name (1 to %d printable characters)\n",
				 name, word, CONTROL_NAME_MAX);
			return -EINVAL;
		}
		if (n == 2) {
			memcpy(req->instance, w[1], wl[1]);
			req->instance[wl[1]] = '\0';
			return 0;
		}
		shown(w[2], wl[2], word, sizeof(word));
		snprintf(err, errlen, "error: %s: unexpected argument '%s'; try: %s\n", name, word,
			 usage);
		return -EINVAL;
	}
	shown(w[1], wl[1], word, sizeof(word));
	snprintf(err, errlen, "error: %s: unexpected argument '%s'; try: %s\n", name, word, usage);
	return -EINVAL;
}
