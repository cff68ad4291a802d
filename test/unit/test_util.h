// SPDX-License-Identifier: GPL-2.0-or-later
// Helpers shared by the unit tests: skip-or-fail, a private network
// namespace and `ip`, temp dirs with scripts, child pids, bounded loop runs.
//
// The helpers that check something use cmocka's assertions, so a failure
// fails the calling test. Include <cmocka.h> (after <stdarg.h>, <stddef.h>,
// <stdint.h>, <setjmp.h>) before this header: TU_REQUIRE expands to cmocka
// macros.
#ifndef VIGIL_TEST_UTIL_H
#define VIGIL_TEST_UTIL_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* ---- skip or fail ------------------------------------------------------ */

/* Whether the environment variable CI is "true": there a test that cannot
 * run must fail rather than skip, so a broken CI runner is noticed. */
bool tu_ci(void);

/* If why is not NULL, the current test cannot run here: under CI=true it
 * fails with why; otherwise it prints "skipped: why" and skips. A macro so
 * that a failure points at the test's own line. */
#define TU_REQUIRE(why)                                                       \
	do {                                                                  \
		const char *tu_why_ = (why);                                  \
		if (tu_why_) {                                                \
			if (tu_ci())                                          \
				fail_msg("CI=true and %s", tu_why_);          \
			print_message("skipped: %s\n", tu_why_);              \
			skip();                                               \
		}                                                             \
	} while (0)

/* ---- network namespace ------------------------------------------------- */

/* Move the whole process into a new network namespace and create the veth
 * pair dev/peer there (down, no addresses). Everything in it dies with the
 * process, so nothing needs cleaning up and the root namespace is never
 * touched. Call it once from main(), before any test runs.
 *   dev, peer  interface names for the pair
 *   why, cap   buffer for a reason that needs formatting
 * Returns NULL when the namespace is ready, otherwise why it is not (not
 * root, unshare() refused, no veth): a constant string or why. Pass it to
 * TU_REQUIRE() in every test that needs the namespace. */
const char *tu_netns_veth(const char *dev, const char *peer, char *why, size_t cap);

/* Run `ip first ...` (the arguments end with NULL; at most 22 are used) with
 * stdout and stderr discarded.
 * Returns ip's exit status, or -1 if it could not be run or did not exit. */
int tu_ip(const char *first, ...);

/* Run `ip ...` (the arguments end with NULL; at most 22 are used) with
 * stderr discarded and stdout captured.
 *   out, cap  receives stdout, NUL-terminated, cut to cap - 1 bytes
 * Returns ip's exit status, or -1 if it could not be run or did not exit. */
int tu_ip_capture(char *out, size_t cap, ...);

/* ---- temp dir and scripts ---------------------------------------------- */

/* A private temp dir. Paths into it are built in a few rotating buffers
 * inside the struct, so no helper keeps hidden static state. */
struct tu_dir {
	char path[64];    /* /tmp/vigil-test-TAG.XXXXXX */
	char bufs[4][128]; /* tu_dir_path() results, reused in turn */
	unsigned next;
};

/* Create /tmp/vigil-test-TAG.XXXXXX (mode 0700) and fill d.
 * Returns 0, or -1 if it could not be created (errno says why). */
int tu_dir_make(struct tu_dir *d, const char *tag);

/* Remove the dir and everything below it, whatever mode a test gave the
 * dir itself. Symbolic links are removed, never followed.
 * Returns 0 only if the dir is really gone, else -1. */
int tu_dir_remove(struct tu_dir *d);

/* "DIR/name" in one of d's four rotating buffers: it stays valid until the
 * fourth following call that uses d. Returns that buffer. */
char *tu_dir_path(struct tu_dir *d, const char *name);

/* Write DIR/name with exactly text and then chmod it to mode (asserts that
 * every step works). Returns its path, as tu_dir_path(). */
char *tu_dir_write(struct tu_dir *d, const char *name, const char *text, mode_t mode);

/* Write DIR/name as "#!/bin/sh\nBODY\n" with mode, as tu_dir_write().
 * Returns its path, as tu_dir_path(). */
char *tu_dir_script(struct tu_dir *d, const char *name, const char *body, mode_t mode);

/* The pid a child wrote (as decimal text) to DIR/name, waiting up to one
 * second for the file to appear. Asserts that it is readable and > 1.
 * Returns the pid. */
pid_t tu_dir_read_pid(struct tu_dir *d, const char *name);

/* ---- processes ----------------------------------------------------------- */

/* Whether pid is gone, or a zombie (reparented: not ours to reap). */
bool tu_pid_dead(pid_t pid);

/* Poll tu_pid_dead() every 10 ms for up to max_ms.
 * Returns whether pid died in that time. */
bool tu_wait_dead(pid_t pid, int max_ms);

/* ---- bounded loop runs --------------------------------------------------- */

/* Run loop (EVRUN_ONCE at a time) until *flag is true or max_s seconds
 * pass; a guard timer makes sure it returns. Returns *flag. */
bool tu_run_until_flag(struct ev_loop *loop, const bool *flag, double max_s);

/* Run loop until *count >= n or max_s seconds pass.
 * Returns whether *count reached n. */
bool tu_run_until_count(struct ev_loop *loop, const int *count, int n, double max_s);

/* Run loop for s seconds, whatever happens in it. */
void tu_run_for(struct ev_loop *loop, double s);

#endif
