// SPDX-License-Identifier: GPL-2.0-or-later
// The checker interface: what a health check reports, how a checker type
// plugs in, and the generic scheduler that runs one check on the loop.
#ifndef VIGIL_CHECK_H
#define VIGIL_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Only pointers to the loop cross this interface, so the header needs no
 * <ev.h>: pure code (agent/score.c) can use the result types without
 * libev. Checkers include <ev.h> themselves. */
struct ev_loop;

/*
 * A checker knows how to probe one thing (a TCP port, a SQL server, a
 * replica, a script) and nothing else: not VRRP, not scoring, not config
 * syntax. The scheduler (check.c) runs its probes every `interval` with a
 * hard `timeout` of its own, and hands every result to the owner's
 * callback. Rise/fall hysteresis and penalties are the owner's
 * (agent/score.c), so every checker gets them the same way.
 *
 * Probes may overlap, so that a hung server is found in about
 * timeout + (fall - 1) x interval rather than fall x max(interval, timeout):
 *   - at most max_inflight (the owner's fall) run at once, each in a slot
 *     of its own (0 .. check_slots() - 1), which the checker runs as a
 *     fresh connection or child;
 *   - a new probe starts only while the oldest one in flight has run for
 *     an interval and for twice as long as the server's last ok or
 *     degraded answer took: a server that is merely slow keeps one probe
 *     at a time once it has answered, and only one that stopped answering
 *     gets more;
 *   - results count in start order: one that comes before an older
 *     probe's is held until the older one reports or times out;
 *   - an ok result cancels the older probes still in flight (the server
 *     answers now: they are stale) and counts once; the next probe then
 *     follows at once, as after a skipped interval.
 */

/* The verdict of one probe. Order matters: worse is larger. */
enum check_status {
	CHECK_OK = 0,
	CHECK_DEGRADED, /* alive but slow / lagging / refusing clients */
	CHECK_FAILED,   /* dead, hung, broken, or timed out */
	CHECK_STATUS__COUNT
};

/* "ok", "degraded", "failed". */
const char *check_status_name(enum check_status s);

/* Length of a result's one-line detail, NUL included. */
#define CHECK_DETAIL_MAX 192

/* One result, as a checker reports it. */
struct check_result {
	enum check_status status;
	/* A definite answer (e.g. a refused connect right after the
	 * persistent connection was lost): the score counts it as `fall`
	 * results at once instead of waiting for more. */
	bool definite;
	/* The probe could not judge the database because vigil is set up
	 * wrong (bad credentials, missing privilege): reported loudly as a
	 * configuration problem. status is still what the score should use. */
	bool config_problem;
	/* The measured value: latency in microseconds for ping-like checks,
	 * lag in milliseconds for replication; -1 when there is none. */
	int64_t value;
	uint32_t duration_ms;   /* probe start to result (filled by the scheduler) */
	char detail[CHECK_DETAIL_MAX]; /* one line; MySQL error numbers included */
};

/* Fill *r (zeroing it; value -1, no value) with status and a printf-style
 * detail, truncated to CHECK_DETAIL_MAX - 1 bytes. */
void check_result_set(struct check_result *r, enum check_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The settings a checker may use. A plain struct: checks never see the
 * INI syntax. Strings are borrowed for the duration of create(). */
struct check_params {
	const char *name;            /* [check NAME], for messages */
	const char *host;            /* IP literal or NULL */
	uint16_t port;
	const char *socket;          /* unix socket path or NULL */
	uint32_t interval_ms;
	uint32_t timeout_ms;
	/* Probes in flight at most: the owner's fall, so that fall hung
	 * probes fail after timeout + (fall - 1) x interval (0: 1, no
	 * overlap). The scheduler never needs more than
	 * ceil(timeout / interval): starts are an interval apart. */
	uint32_t max_inflight;
	/* mysql_* */
	const char *defaults_file;   /* [global] mysql_defaults_file or NULL */
	uint32_t slow_ms;            /* mysql_ping: degraded when slower */
	const char *query;           /* mysql_ping: the cheap query */
	uint32_t connect_interval_ms;/* fresh-connection probe period */
	uint32_t warn_lag_ms;        /* mysql_replication */
	uint32_t crit_lag_ms;
	const char *heartbeat_table;
	/* script */
	char *const *argv;           /* NULL-terminated */
	const char *run_as;          /* [global] script_user: the program runs as this
				      * user (and may be owned by it); NULL: as vigild */
};

struct check;

/*
 * A checker type. Every function receives the checker's own state.
 * Probes are asynchronous: start() begins one in a slot and returns at
 * once; the checker later calls check_report() exactly once for it with
 * that slot, unless the scheduler cancelled it first (timeout, stop, or a
 * newer probe's success). Several slots may run at once (see above): a
 * slot's probe must not share a connection or a child with another's.
 * start() may also call check_report() before it returns (a connect
 * refused at once): the scheduler is ready for that. A checker may also
 * report on its own between probes (slot CHECK_NO_SLOT: a persistent
 * connection seen closing), and call check_probe_now() to ask for a
 * confirming probe at once.
 * The scheduler never calls start() from inside another of the checker's
 * functions or from inside check_report()/check_probe_now(): every probe
 * begins from the scheduler's own timer. It may call cancel() for other
 * slots from inside start() or check_report() (a success cancelling older
 * probes, or the owner stopping the check from its callback).
 */
struct check_type {
	const char *name;   /* "tcp", "mysql_ping", ... */
	/* Validate params and allocate state. chk is usable for check_loop(),
	 * check_name() and check_slots() already (keep it for
	 * check_report()); strings in p are borrowed for this call only.
	 * Returns 0 or a negative errno with a message in err. */
	int (*create)(struct check *chk, const struct check_params *p, void **state,
		      char *err, size_t errlen);
	/* Begin one probe in slot (< check_slots(); not running). */
	void (*start)(void *state, unsigned slot);
	/* Abandon slot's probe (no report must follow for it, not even from
	 * inside cancel()). Called only while that slot's probe runs. */
	void (*cancel)(void *state, unsigned slot);
	/* Release everything (probes may be running: cancel them). No report
	 * may follow. */
	void (*destroy)(void *state);
};

/* The slot of a report that belongs to no probe (check_report()). */
#define CHECK_NO_SLOT (~0u)

/* The checker type called name, or NULL (registry.c). */
const struct check_type *check_type_find(const char *name);

/*
 * Every result of a check, for the owner. r is valid during the call only.
 * The callback may call check_stop(), check_start() and check_probe_now()
 * on chk, but never check_free(chk): free it later, from outside.
 */
typedef void (*check_report_fn)(void *ctx, struct check *chk, const struct check_result *r);

/*
 * The scheduler's clock: monotonic time and one timer, nothing else, so a
 * test can run the scheduler on a fake clock and assert what happened and
 * when (test/unit/check_steps.h), as vrrp/fsm.c is driven. check_new()
 * uses libev's: CLOCK_MONOTONIC and an ev_timer on the check's loop.
 * Microseconds, because probe latency is counted in microseconds (most
 * pings take well under a millisecond).
 */
struct check_clock {
	/* Now, monotonic. */
	uint64_t (*now_us)(void *ctx);
	/* Make the one timer fire at at_us, replacing any earlier time; a
	 * time not in the future fires as soon as the clock runs again (for
	 * libev: on the next loop iteration), never inside arm(). On firing
	 * the clock calls check_clock_fired(). */
	void (*arm)(void *ctx, uint64_t at_us);
	/* Let the timer not fire. */
	void (*disarm)(void *ctx);
	void *ctx;
};

/* For a clock: its timer fired. Runs what is due at clock time now. Never
 * from inside another scheduler call. */
void check_clock_fired(struct check *chk);

/*
 * Create a check of the given type on loop; it does not run until
 * check_start().
 * p: settings; p->interval_ms and p->timeout_ms must be > 0 (-EINVAL);
 * p->name is copied (NULL: "check"). report/ctx: the owner's callback for
 * every result (report must not be NULL).
 * Returns 0 and *out, or a negative errno with a message in err (the
 * checker's own message when its create() refused the params).
 */
int check_new(struct check **out, struct ev_loop *loop, const struct check_type *type,
	      const struct check_params *p, check_report_fn report, void *ctx,
	      char *err, size_t errlen);

/* The same on another clock (copied; NULL: libev's). The checker still
 * gets loop from check_loop(). */
int check_new_clock(struct check **out, struct ev_loop *loop, const struct check_clock *clock,
		    const struct check_type *type, const struct check_params *p,
		    check_report_fn report, void *ctx, char *err, size_t errlen);

/*
 * Start probing: the first probe begins at once (on the clock's next run,
 * so the callback never runs inside check_start()), then one every
 * interval, measured start to start. An interval that comes while no probe
 * may start (the bound, or the rule above) is skipped and counted
 * (stats.skipped), and the next probe starts as soon as one may. Each
 * probe is cancelled after timeout_ms and reported as CHECK_FAILED
 * "timeout after N ms", whatever the checker's own timeouts. No-op when
 * already started.
 */
void check_start(struct check *chk);

/* Stop probing: running probes are cancelled and held results dropped (no
 * result for them), no more probes start, and reports that still arrive
 * are ignored (counted in stats.ignored). No-op when stopped. */
void check_stop(struct check *chk);

/* Stop and free. Accepts NULL. Never from inside the check's callback. */
void check_free(struct check *chk);

/*
 * For checkers: report the result of slot's probe, or an unsolicited one
 * (slot CHECK_NO_SLOT, or any slot with no probe running). For a probe's
 * result the scheduler fills duration_ms and passes it on in start order
 * (held while an older probe runs; an ok one cancels those instead); an
 * unsolicited result keeps the checker's duration_ms and goes on at once.
 * Either way it becomes check_last() when it goes to the owner, unless the
 * check is stopped. r is copied.
 */
void check_report(struct check *chk, unsigned slot, const struct check_result *r);

/* For checkers (and the owner): run a probe at once, e.g. to confirm a
 * lost connection instead of waiting for the interval. No-op while a probe
 * runs or when stopped. The probe begins on the clock's next run (never
 * inside this call), and the next periodic one an interval later. */
void check_probe_now(struct check *chk);

/* For checkers: the loop they run on. */
struct ev_loop *check_loop(const struct check *chk);

/* The check's name. */
const char *check_name(const struct check *chk);

/* The check's type. */
const struct check_type *check_get_type(const struct check *chk);

/* Returns true while a probe is in flight. */
bool check_probing(const struct check *chk);

/* Probes in flight now (0 .. check_slots()). */
unsigned check_inflight(const struct check *chk);

/* The slots a checker may be asked to run: min(max_inflight,
 * ceil(timeout / interval)), at least 1. */
unsigned check_slots(const struct check *chk);

/*
 * Probe latency (start to result, timeouts included; unsolicited reports
 * have none) in fixed buckets, for the Prometheus histogram: bucket i
 * counts the probes that took more than bound i-1 and at most bound i;
 * the last one (CHECK_LATENCY_BUCKETS) those above every bound. Fixed, so
 * that every vigild exports the same `le` values and they can be summed.
 */
#define CHECK_LATENCY_BUCKETS 12

/* Upper bound of bucket i in microseconds (1 ms, 2.5 ms, 5 ms ... 5 s),
 * or UINT32_MAX for i >= CHECK_LATENCY_BUCKETS (the +Inf bucket). */
uint32_t check_latency_bound_us(size_t i);

/* Counters, always on. */
struct check_stats {
	uint64_t probes;        /* probes started */
	uint64_t timeouts;      /* probes cancelled by the timeout */
	uint64_t skipped;       /* intervals skipped: no probe could start */
	uint64_t overlapped;    /* probes started while an older one ran */
	uint64_t superseded;    /* probes cancelled by a newer one's ok */
	uint64_t by_status[CHECK_STATUS__COUNT]; /* results passed on */
	uint64_t unsolicited;   /* reports outside a probe, passed on */
	uint64_t ignored;       /* reports while stopped, dropped */
	uint64_t latency_buckets[CHECK_LATENCY_BUCKETS + 1]; /* probes per bucket, not cumulative */
	uint64_t latency_sum_us;                            /* of every probe counted there */
};
const struct check_stats *check_get_stats(const struct check *chk);

/* The last result (status CHECK_FAILED, "no result yet" before the first). */
const struct check_result *check_last(const struct check *chk);

#endif
