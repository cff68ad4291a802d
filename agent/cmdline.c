/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Splitting a configured command line into argv words, without a shell. */
#include "cmdline.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void cmdline_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int cmdline_split(const char *text, size_t max_words, char ***argv_out,
		  size_t *argc_out, const char **err_out)
{
	size_t len = strlen(text), argc = 0;
	char **argv = calloc(max_words + 1, sizeof(*argv));
	char *word = malloc(len + 1);
	const char *p = text;

	*err_out = NULL;
	if (!argv || !word) {
		free(argv);
		free(word);
		return -ENOMEM;
	}
	for (;;) {
		size_t n = 0;
		bool quoted = false;

		while (is_blank(*p))
			p++;
		if (*p == '\0')
			break;
		while (*p && (quoted || !is_blank(*p))) {
			if (*p == '"') {
				quoted = !quoted;
			} else {
				word[n++] = *p;
			}
			p++;
		}
		if (quoted) {
			*err_out = "unterminated double quote";
			goto invalid;
		}
		if (argc == max_words) {
			*err_out = "too many words";
			goto invalid;
		}
		word[n] = '\0';
		argv[argc] = strdup(word);
		if (!argv[argc]) {
			free(word);
			cmdline_free(argv);
			return -ENOMEM;
		}
		argc++;
	}
	free(word);
	if (argc == 0) {
		*err_out = "empty command";
		cmdline_free(argv);
		return -EINVAL;
	}
	*argv_out = argv;
	*argc_out = argc;
	return 0;

invalid:
	free(word);
	cmdline_free(argv);
	return -EINVAL;
}
