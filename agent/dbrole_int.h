/* SPDX-License-Identifier: GPL-2.0-or-later */
/* dbrole_int.h: what dbrole.c and its flow files (demote, gate, contest, witness) share; not a public API. */
#ifndef VIGIL_DBROLE_INT_H
#define VIGIL_DBROLE_INT_H

#include "dbrole.h"
#include "monotime.h"
#include "sqlbatch.h"

#define DBROLE_MAX_PEERS 32

/* What holds the local connection. */
enum dbrole_job {
	DBROLE_JOB_NONE = 0,
	DBROLE_JOB_POLL,
	DBROLE_JOB_DEMOTE,
	DBROLE_JOB_GATE,
	DBROLE_JOB_CONTEST,
};

struct dbrole_peer {
	struct dbrole *r;
	char host[INET6_ADDRSTRLEN];
	char where[INET6_ADDRSTRLEN + 8]; /* "host:port", "[host]:port" for IPv6 */
	uint16_t port;
	struct sqlbatch *b;
	struct db_facts f;
	bool polling;
	bool failing;
	uint64_t gen_started, polled_gen; /* look generation of the running / last finished poll */
};

/* Stages of the promotion gate (docs/data-safety.md "3.4 Promotion gate"). */
enum gate_stage {
	GATE_LOCAL = 0,   /* is the local server a replica? */
	GATE_OLD_MASTER,  /* does the old master answer, read-only, at which position? */
	GATE_STOP_IO,     /* it does not: freeze what we received */
	GATE_WAIT,        /* MASTER_GTID_WAIT for the position */
	GATE_STOP,        /* STOP SLAVE, check what was applied */
	GATE_OPEN,        /* epoch row, read_only = OFF */
};

struct dbrole {
	struct ev_loop *loop;
	const struct logger *log;
	struct dbrole_conf conf;          /* strings below are owned copies */
	char *instance, *router_id, *host, *socket, *defaults_file;
	struct dbrole_ops ops;
	void *ctx;

	struct sqlbatch *local;
	struct dbrole_peer peers[DBROLE_MAX_PEERS];
	size_t n_peers;
	ev_timer poll_timer;
	ev_timer gate_timer;

	bool started;
	bool stopping;
	bool refused;
	bool vip_present_at_start;
	bool poll_due;
	bool poll_failing;
	int semisync_state;               /* -1 unknown, 0 off, 1 AFTER_COMMIT, 2 AFTER_SYNC */
	uint32_t semisync_timeout_ms;     /* rpl_semi_sync_master_timeout, 0 when off */
	struct db_facts self;
	char self_addr[INET6_ADDRSTRLEN]; /* this node's own address, as replicas name it */
	uint64_t self_ms;                 /* when the local server last answered a poll */
	uint64_t gen;                     /* look generation: bumped when what was seen goes stale */
	uint64_t look_gen;                /* eligibility waits for polls of this generation (0: no) */
	uint64_t poll_gen_started, self_gen;
	bool io_was_connected;
	enum dbrole_mode mode;
	enum vrrp_state vstate;
	enum dbrole_job job;

	/* eligibility */
	bool eligible, eligible_reported;
	char why[256];

	/* demotion */
	bool want_demote;
	bool demote_release;              /* call ops->demoted at the end */
	const char *demote_why;
	int demote_stage;
	bool demote_retried;
	bool demote_refused;              /* the last demotion: the server answered, read_only not set */
	uint64_t unanswered_ms;           /* a role statement just got no answer (0: none) */
	unsigned kill_rounds;
	void (*stop_done)(void *ctx);
	void *stop_ctx;

	/* gate */
	bool want_gate;
	bool gate_wait_permit;            /* the gate waits for ops.may_write */
	enum gate_stage gate_stage;
	uint64_t gate_t0_ms;
	struct gtid_list gate_target;
	bool gate_target_known;
	struct gtid_list gate_applied_at_start;
	struct dbrole_peer *gate_old;     /* the old master's server, if known */
	bool gate_old_writable_logged;
	bool gate_timed_out;
	bool gate_stopped_io;             /* STOP SLAVE IO_THREAD ran and the gate has not opened */

	/* contest */
	bool want_contest;
	struct vrrp_fsm_advert contest_peer;
	bool contest_reopen;              /* we closed a writable server for it */
	int contest_stage;
	uint64_t contest_our_epoch;
	size_t contest_asked;             /* peer answers still to come */
	uint64_t contest_best;            /* highest epoch a peer answered with */
	struct dbrole_peer *contest_best_peer;
	char our_state[2048];             /* @@gtid_binlog_state at the contest */
	char our_epoch_since[40];         /* when our newest epoch row was written (server time) */
	char diverged[1024];              /* what the winner lacks, for the demotion's log */

	/* witness */
	struct sqlconn *wconn;
	uint32_t wseq;
	bool wrunning;
	int wlast;                        /* last verdict logged: -1 none, 0 not served, 1 served */
	uint64_t wlast_ms;                /* when it came */

	struct dbrole_stats stats;
};

/* Tell the owner (notify_alarm) that data safety failed at something. */
void dbrole_alarm(struct dbrole *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dbrole_set_mode(struct dbrole *r, enum dbrole_mode m);
void dbrole_parse_facts(struct dbrole *r, const struct sqlbatch_result *res, struct db_facts *f);
void dbrole_evaluate(struct dbrole *r);
void dbrole_schedule(struct dbrole *r);
void dbrole_preempt(struct dbrole *r);
void dbrole_start_poll(struct dbrole *r);

/* A failed batch's error text ("no answer" when it has none). */
const char *dbrole_errtext(const struct sqlbatch_result *res);

/* dbrole_demote.c */
void dbrole_request_demote(struct dbrole *r, const char *why, bool release);
void dbrole_run_demote(struct dbrole *r);
/* dbrole_gate.c */
void dbrole_begin_gate(struct dbrole *r);
void dbrole_run_gate(struct dbrole *r);
void dbrole_gate_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
/* dbrole_contest.c */
void dbrole_run_contest(struct dbrole *r);

#endif
