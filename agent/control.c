// SPDX-License-Identifier: GPL-2.0-or-later
// The control socket: vigilctl's requests served on the daemon's loop.
#include "control.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define DEFAULT_MAX_CLIENTS 16u
#define DEFAULT_READ_TIMEOUT_MS 2000u
#define DEFAULT_WRITE_TIMEOUT_MS 5000u
/* Connections the kernel queues while every slot is busy. */
#define LISTEN_BACKLOG 16
/* After an accept() failure such as EMFILE the socket stays readable:
 * wait this long instead of spinning on it. */
#define ACCEPT_RETRY_S 0.2

static const char oom_answer[] = "error: out of memory\n";

struct control_client {
	struct control *ctl;
	int fd;                         /* -1: the slot is free */
	bool writing;                   /* the request is read, the answer goes out */
	ev_io io;
	ev_timer deadline;
	char in[CONTROL_REQUEST_MAX];
	size_t in_len;
	char *out;                      /* the answer (oom_answer is not ours to free) */
	size_t out_len, out_off;
};

struct control {
	struct ev_loop *loop;
	char *path;
	int fd;
	bool bound;                     /* we created the file at path */
	dev_t dev;
	ino_t ino;
	ev_io accept_w;
	ev_timer retry_w;
	bool paused_full;               /* accept_w stopped: every slot busy */
	control_respond_fn respond;
	void *ctx;
	unsigned max_clients;
	uint32_t read_timeout_ms, write_timeout_ms;
	struct control_client *clients;
	size_t n_clients;
	struct control_stats stats;
};

/* ---- clients ---------------------------------------------------------- */

static void client_close(struct control_client *cl)
{
	struct control *c = cl->ctl;
	ev_io_stop(c->loop, &cl->io);
	ev_timer_stop(c->loop, &cl->deadline);
	close(cl->fd);
	cl->fd = -1;
	if (cl->out != oom_answer)
		free(cl->out);
	cl->out = NULL;
	c->n_clients--;
	if (c->paused_full) {
		c->paused_full = false;
		if (!ev_is_active(&c->retry_w))
			ev_io_start(c->loop, &c->accept_w);
	}
}

/* Write what the peer takes now; close once everything is written. */
static void client_write(struct control_client *cl)
{
	while (cl->out_off < cl->out_len) {
		ssize_t n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return; /* EV_WRITE says when it drained */
			cl->ctl->stats.aborted++;
			client_close(cl);
			return;
		}
		cl->out_off += (size_t)n;
	}
	/* Closing a unix socket with unread input resets the peer's side
	 * (ECONNRESET after our answer): read what a chatty client sent
	 * beyond its line first, a bounded amount, never waiting. */
	char scratch[4096];
	for (int i = 0; i < 16 && recv(cl->fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0; i++)
		;
	client_close(cl);
}

/* Send out (from malloc; NULL: out of memory) and close: the request
 * phase is over, the write deadline starts. */
static void client_reply(struct control_client *cl, char *out)
{
	struct control *c = cl->ctl;
	cl->out = out ? out : (char *)oom_answer;
	cl->out_len = strlen(cl->out);
	cl->out_off = 0;
	cl->writing = true;
	ev_io_stop(c->loop, &cl->io);
	ev_io_set(&cl->io, cl->fd, EV_WRITE);
	ev_io_start(c->loop, &cl->io);
	ev_timer_stop(c->loop, &cl->deadline);
	ev_timer_set(&cl->deadline, c->write_timeout_ms / 1000.0, 0.);
	ev_timer_start(c->loop, &cl->deadline);
	client_write(cl);
}

/* The request line is in (len bytes of cl->in): parse and answer. */
static void client_answer(struct control_client *cl, size_t len)
{
	struct control *c = cl->ctl;
	struct control_request req;
	char err[160];
	if (control_parse_request(cl->in, len, &req, err, sizeof(err)) < 0) {
		c->stats.malformed++;
		client_reply(cl, strdup(err));
		return;
	}
	c->stats.requests++;
	req.client_fd = cl->fd;
	client_reply(cl, c->respond(c->ctx, &req));
}

/* Read what the client sent so far; answer once a line is complete. */
static void client_read(struct control_client *cl)
{
	while (cl->in_len < sizeof(cl->in)) {
		ssize_t n = recv(cl->fd, cl->in + cl->in_len, sizeof(cl->in) - cl->in_len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			cl->ctl->stats.aborted++;
			client_close(cl);
			return;
		}
		if (n == 0) {
			/* The peer shut its side: a last line without its
			 * newline is still a request; nothing at all (a probe
			 * by a starting vigild, a port scan) is just closed. */
			if (cl->in_len == 0)
				client_close(cl);
			else
				client_answer(cl, cl->in_len);
			return;
		}
		char *nl = memchr(cl->in + cl->in_len, '\n', (size_t)n);
		cl->in_len += (size_t)n;
		if (nl) {
			client_answer(cl, (size_t)(nl - cl->in));
			return;
		}
	}
	/* A full buffer and no newline: answered like any malformed
	 * request, without reading the rest. */
	char msg[96];
	snprintf(msg, sizeof(msg), "error: request longer than %d bytes; try: status\n",
		 CONTROL_REQUEST_MAX - 1);
	cl->ctl->stats.malformed++;
	client_reply(cl, strdup(msg));
}

static void client_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct control_client *cl = container_of(w, struct control_client, io);
	if (cl->writing)
		client_write(cl);
	else
		client_read(cl);
}

/* A client missed its deadline: a silent one is told why (one try, never
 * waiting), a slow reader is just dropped. */
static void client_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct control_client *cl = container_of(w, struct control_client, deadline);
	cl->ctl->stats.timeouts++;
	if (!cl->writing) {
		char msg[96];
		int n = snprintf(msg, sizeof(msg), "error: no request line within %u ms\n",
				 cl->ctl->read_timeout_ms);
		if (send(cl->fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* the client is dropped either way */
		}
	}
	client_close(cl);
}

static void client_start(struct control *c, int fd)
{
	struct control_client *cl = NULL;
	for (unsigned i = 0; i < c->max_clients; i++)
		if (c->clients[i].fd < 0) {
			cl = &c->clients[i];
			break;
		}
	if (!cl) { /* cannot happen: accept_cb checks n_clients first */
		close(fd);
		return;
	}
	cl->fd = fd;
	cl->writing = false;
	cl->in_len = 0;
	cl->out = NULL;
	cl->out_len = cl->out_off = 0;
	c->n_clients++;
	c->stats.accepted++;
	ev_io_init(&cl->io, client_io_cb, fd, EV_READ);
	ev_timer_init(&cl->deadline, client_deadline_cb, c->read_timeout_ms / 1000.0, 0.);
	ev_io_start(c->loop, &cl->io);
	ev_timer_start(c->loop, &cl->deadline);
}

/* ---- accepting -------------------------------------------------------- */

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	struct control *c = container_of(w, struct control, accept_w);
	for (;;) {
		if (c->n_clients >= c->max_clients) {
			/* Further clients wait in the backlog until a slot frees. */
			ev_io_stop(loop, &c->accept_w);
			c->paused_full = true;
			c->stats.full++;
			return;
		}
		int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			c->stats.accept_errors++;
			ev_io_stop(loop, &c->accept_w);
			ev_timer_start(loop, &c->retry_w);
			return;
		}
		client_start(c, fd);
	}
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct control *c = container_of(w, struct control, retry_w);
	if (!c->paused_full)
		ev_io_start(loop, &c->accept_w);
}

/* ---- the socket file -------------------------------------------------- */

/* Create path's parent directory (0700) when it is missing. */
static int make_parent(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0; /* the working directory, or / */
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	size_t len = (size_t)(slash - path);
	memcpy(dir, path, len);
	dir[len] = '\0';
	struct stat st;
	if (stat(dir, &st) == 0)
		return 0; /* bind() says it if it is not a directory */
	if (errno != ENOENT || (mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		int e = errno;
		snprintf(err, errlen, "control socket %s: cannot create directory %s: %s", path, dir,
			 strerror(e));
		return -e;
	}
	return 0;
}

/*
 * Is something listening on path already? A socket file nobody listens on
 * was left by a daemon that died: remove it. One that answers belongs to
 * a live daemon: refuse, touching nothing.
 */
static int claim_path(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		int e = errno;
		snprintf(err, errlen, "control socket %s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen,
			 "control socket %s: the path exists and is not a socket: remove it or set another [global] control_socket",
			 path);
		return -EEXIST;
	}
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		int e = errno;
		snprintf(err, errlen, "control socket %s: socket: %s", path, strerror(e));
		return -e;
	}
	int rc = connect(s, (const struct sockaddr *)sa, sizeof(*sa));
	int e = rc < 0 ? errno : 0;
	if (rc == 0 || e == EAGAIN) { /* EAGAIN: listening, its backlog full */
		struct ucred cred;
		socklen_t clen = sizeof(cred);
		char pid[32] = "";
		if (rc == 0 && getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 && cred.pid > 0)
			snprintf(pid, sizeof(pid), " (pid %ld)", (long)cred.pid);
		close(s);
		snprintf(err, errlen,
			 "control socket %s: another vigild%s is listening there: is vigild already running with this configuration? refusing to start a second one",
			 path, pid);
		return -EADDRINUSE;
	}
	close(s);
	if (e == ECONNREFUSED) { /* stale: nobody listens */
		if (unlink(path) < 0 && errno != ENOENT) {
			e = errno;
			snprintf(err, errlen, "control socket %s: cannot remove the stale socket: %s",
				 path, strerror(e));
			return -e;
		}
		return 0;
	}
	if (e == ENOENT)
		return 0; /* removed meanwhile */
	snprintf(err, errlen, "control socket %s: cannot tell whether a daemon listens there: %s",
		 path, strerror(e));
	return -e;
}

static int open_socket(struct control *c, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len = strlen(c->path);
	if (len == 0 || len >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket %s: the path must be 1 to %zu bytes long",
			 c->path, sizeof(sa.sun_path) - 1);
		return len ? -ENAMETOOLONG : -EINVAL;
	}
	memcpy(sa.sun_path, c->path, len + 1);
	int rc = make_parent(c->path, err, errlen);
	if (rc == 0)
		rc = claim_path(c->path, &sa, err, errlen);
	if (rc < 0)
		return rc;

	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "control socket %s: socket: %s", c->path, strerror(-rc));
		return rc;
	}
	/* Mode 0600 from the start: no moment where others may connect.
	 * The daemon is single-threaded, so the umask switch is safe. */
	mode_t old = umask(0177);
	rc = bind(c->fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	umask(old);
	if (rc < 0) {
		snprintf(err, errlen, "control socket %s: bind: %s%s", c->path, strerror(e),
			 e == EADDRINUSE ? " (another vigild is starting with the same control_socket?)"
					 : "");
		return -e;
	}
	struct stat st;
	if (stat(c->path, &st) == 0) {
		c->bound = true;
		c->dev = st.st_dev;
		c->ino = st.st_ino;
	}
	if (chmod(c->path, 0600) < 0 || listen(c->fd, LISTEN_BACKLOG) < 0) {
		e = errno;
		snprintf(err, errlen, "control socket %s: %s", c->path, strerror(e));
		return -e;
	}
	return 0;
}

/* ---- life cycle ------------------------------------------------------- */

int control_new(struct control **out, struct ev_loop *loop, const struct control_conf *conf,
		control_respond_fn respond, void *ctx, char *err, size_t errlen)
{
	*out = NULL;
	if (!conf->path || !respond) {
		snprintf(err, errlen, "control socket: no path");
		return -EINVAL;
	}
	struct control *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->fd = -1;
	c->respond = respond;
	c->ctx = ctx;
	c->max_clients = conf->max_clients ? conf->max_clients : DEFAULT_MAX_CLIENTS;
	c->read_timeout_ms = conf->read_timeout_ms ? conf->read_timeout_ms : DEFAULT_READ_TIMEOUT_MS;
	c->write_timeout_ms =
		conf->write_timeout_ms ? conf->write_timeout_ms : DEFAULT_WRITE_TIMEOUT_MS;
	c->path = strdup(conf->path);
	c->clients = calloc(c->max_clients, sizeof(*c->clients));
	if (!c->path || !c->clients) {
		control_free(c);
		snprintf(err, errlen, "control socket: out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < c->max_clients; i++) {
		c->clients[i].ctl = c;
		c->clients[i].fd = -1;
	}
	ev_timer_init(&c->retry_w, retry_cb, ACCEPT_RETRY_S, 0.);
	int rc = open_socket(c, err, errlen);
	if (rc < 0) {
		control_free(c);
		return rc;
	}
	ev_io_init(&c->accept_w, accept_cb, c->fd, EV_READ);
	ev_io_start(loop, &c->accept_w);
	*out = c;
	return 0;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	if (c->clients)
		for (unsigned i = 0; i < c->max_clients; i++)
			if (c->clients[i].fd >= 0)
				client_close(&c->clients[i]);
	ev_io_stop(c->loop, &c->accept_w);
	ev_timer_stop(c->loop, &c->retry_w);
	if (c->fd >= 0)
		close(c->fd);
	/* Remove the file only if it is still ours: never another daemon's. */
	struct stat st;
	if (c->bound && lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	free(c->clients);
	free(c->path);
	free(c);
}

const struct control_stats *control_stats(const struct control *c)
{
	return &c->stats;
}

size_t control_clients(const struct control *c)
{
	return c->n_clients;
}

char *control_answerf(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL;
	va_start(ap, fmt);
	int n = vasprintf(&out, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : out;
}
