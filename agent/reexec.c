// SPDX-License-Identifier: GPL-2.0-or-later
// Re-executing vigild in place (vigilctl restart): what crosses execve.
#include "reexec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* A hand-over larger than this is not one vigild wrote. */
#define STATE_MAX_BYTES (1u << 20)

extern char **environ;

int reexec_self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	/* A binary replaced while it runs reads "PATH (deleted)". */
	static const char deleted[] = " (deleted)";
	size_t dl = sizeof(deleted) - 1;
	if ((size_t)n > dl && strcmp(buf + n - dl, deleted) == 0)
		buf[n - dl] = '\0';
	return 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int clear_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int reexec_exec(const char *exe, char *const argv[], const char *text, int reply_fd, char *err,
		size_t errlen)
{
	int rc, fd = memfd_create("vigild-restart", MFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "memfd_create: %s", strerror(-rc));
		return rc;
	}
	rc = write_all(fd, text, strlen(text));
	if (rc == 0 && lseek(fd, 0, SEEK_SET) < 0)
		rc = -errno;
	if (rc < 0) {
		snprintf(err, errlen, "writing the hand-over: %s", strerror(-rc));
		close(fd);
		return rc;
	}
	char sfd[16], rfd[16];
	snprintf(sfd, sizeof(sfd), "%d", fd);
	snprintf(rfd, sizeof(rfd), "%d", reply_fd);
	/* Nothing but the two descriptors survives the exec (libraries may
	 * have opened some without O_CLOEXEC). */
	if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) < 0 || clear_cloexec(fd) < 0 ||
	    (reply_fd >= 0 && clear_cloexec(reply_fd) < 0) || setenv(REEXEC_STATE_ENV, sfd, 1) < 0 ||
	    setenv(REEXEC_REPLY_ENV, rfd, 1) < 0) {
		rc = -errno;
		snprintf(err, errlen, "preparing the descriptors: %s", strerror(-rc));
		goto fail;
	}
	/* libev blocks the signals it watches; the new image installs its own. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(exe, argv, environ);
	rc = -errno;
	snprintf(err, errlen, "execve %s: %s", exe, strerror(-rc));
fail:
	unsetenv(REEXEC_STATE_ENV);
	unsetenv(REEXEC_REPLY_ENV);
	close(fd);
	if (reply_fd >= 0)
		fcntl(reply_fd, F_SETFD, FD_CLOEXEC);
	return rc;
}

/* A descriptor number as the environment names it; -1 when absent or bad. */
static int env_fd(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return -1;
	char *end;
	long n = strtol(v, &end, 10);
	if (*end || n < 3 || n > INT_MAX || fcntl((int)n, F_GETFD) < 0)
		return -1;
	return (int)n;
}

int reexec_take(struct restart_state *s, int *reply_fd, char *err, size_t errlen)
{
	*reply_fd = -1;
	bool present = getenv(REEXEC_STATE_ENV) != NULL;
	int fd = env_fd(REEXEC_STATE_ENV);
	int rfd = env_fd(REEXEC_REPLY_ENV);
	unsetenv(REEXEC_STATE_ENV);
	unsetenv(REEXEC_REPLY_ENV);
	if (rfd >= 0) {
		fcntl(rfd, F_SETFD, FD_CLOEXEC);
		*reply_fd = rfd;
	}
	if (!present)
		return 0;
	if (fd < 0) {
		snprintf(err, errlen, "%s names no open descriptor", REEXEC_STATE_ENV);
		return -EBADF;
	}
	char *buf = malloc(STATE_MAX_BYTES);
	if (!buf) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	size_t len = 0;
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, STATE_MAX_BYTES - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "reading the hand-over: %s", strerror(-rc));
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == STATE_MAX_BYTES) {
			rc = -EFBIG;
			snprintf(err, errlen, "the hand-over is larger than %u bytes", STATE_MAX_BYTES);
			break;
		}
	}
	close(fd);
	if (rc == 0)
		rc = restart_state_decode(buf, len, s, err, errlen);
	free(buf);
	return rc < 0 ? rc : 1;
}
