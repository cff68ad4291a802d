/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Splitting a configured command line into argv words, without a shell. */
#ifndef VIGIL_CMDLINE_H
#define VIGIL_CMDLINE_H

#include <stddef.h>

/*
 * Split a command such as `/etc/vigil/notify.sh master "db one"` into words
 * for execve(), the way keepalived's notify scripts may carry arguments, but
 * without a shell: no variables, globbing, pipes or redirections.
 * Rules: words are separated by blanks (space, tab); a double quote starts
 * and ends a quoted part in which blanks are kept ("a b" is one word,
 * x"a b"y is the word "xa by", "" is an empty word); there are no escapes
 * and single quotes are ordinary characters. An unterminated quote is an
 * error.
 *
 * text: the command (NUL-terminated). max_words: refuse more words than this.
 * argv_out: receives a NULL-terminated heap array of heap strings, to free
 * with cmdline_free(). argc_out: receives the number of words.
 * err_out: on -EINVAL, receives a static description of the problem.
 * Returns 0, -EINVAL (empty command, unterminated quote, too many words),
 * or -ENOMEM.
 */
int cmdline_split(const char *text, size_t max_words, char ***argv_out,
		  size_t *argc_out, const char **err_out);

/* Free an array returned by cmdline_split(). Accepts NULL. */
void cmdline_free(char **argv);

#endif /* VIGIL_CMDLINE_H */
