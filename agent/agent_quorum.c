// SPDX-License-Identifier: GPL-2.0-or-later
// agent_quorum: one instance's etcd lease, carried out on the etcd client (agent_quorum.h).
#include "agent_quorum.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monotime.h"

/* A candidate entry that cannot be written is tried again after this. */
#define CANDIDATE_RETRY_MS 1000u

enum cand_op { CAND_NONE, CAND_GRANT, CAND_PUT, CAND_KEEPALIVE };

struct agent_quorum {
	struct ev_loop *loop;
	const struct logger *log;
	struct etcd_client *etcd;
	struct agent_quorum_ops ops;
	void *ctx;
	char *instance, *router_id, *key, *cand_prefix, *cand_key;
	uint32_t request_timeout_ms, probe_timeout_ms;

	struct quorum rules;
	ev_timer wake;                  /* the rules' wakeup */
	bool master;

	/* The rules' one request in flight (rules.in_flight). */
	uint64_t req_id;
	enum quorum_action_type req_type;
	uint64_t req_sent_ms;
	int64_t req_lease;
	uint32_t ka_ttl_left_ms;        /* keepalive answered; the key check follows */
	uint64_t last_renewal_ms;
	unsigned failures_in_row;       /* etcd failures since the last success (for the log) */

	/* The takeover probe. */
	bool probing;
	bool probe_cached;              /* answered from lost_ms's answer, etcd not asked */
	uint32_t probe_seq;
	ev_timer probe_timer;
	uint64_t lost_ms;               /* when a probe last found the key held by another */
	char lost_holder[64];           /* ... and by whom */

	/* This node as a candidate. */
	bool cand_want;
	uint8_t cand_prio;
	int64_t cand_lease;
	uint32_t cand_ttl_ms;
	bool cand_published;
	uint8_t cand_published_prio;
	uint8_t cand_putting_prio;      /* of the write in flight */
	enum cand_op cand_op;
	uint64_t cand_req;
	ev_timer cand_timer;

	/* The master's view of the candidates. */
	uint64_t read_req;
	size_t n_cands;
	struct agent_quorum_candidate cands[AGENT_QUORUM_CANDIDATES_MAX];
	bool bad_candidate_logged;

	/* The lease that last held the key (0: none, or revoked), and one
	 * of ours found still holding it after a demotion that could not
	 * revoke (the deadline passed with etcd unreachable). */
	int64_t held_lease;
	int64_t stale_lease;
	uint64_t held_revoke_id;        /* the revoke of such a lease in flight */
	int64_t held_revoke_lease;

	/* Each member's record as last seen, for the log. */
	uint64_t ep_attempts[ETCD_ENDPOINTS_MAX], ep_failures[ETCD_ENDPOINTS_MAX];
	bool ep_failing[ETCD_ENDPOINTS_MAX];

	char last_veto[96];
	unsigned vetoes_quiet;          /* vetoes not logged since the last logged one */

	uint64_t probes, probes_won, vetoes, request_errors, endpoint_errors, demotions;
};

static void apply(struct agent_quorum *q, const struct quorum_actions *a);

/* ---- requests ---------------------------------------------------------- */

static int submit(struct agent_quorum *q, const struct etcd_request *rq, etcd_done_fn done,
		  uint64_t *id)
{
	char err[160];
	int rc = etcd_submit(q->etcd, rq, q->request_timeout_ms, done, q, id, err, sizeof(err));

	if (rc < 0) {
		q->request_errors++;
		log_err(q->log, "instance %s: quorum: cannot send %s: %s", q->instance,
			etcd_op_name(rq->op), err);
	}
	return rc;
}

/* A member that failed a try (the request went on to the next) is said
 * once per run of failures, and again when it answers. */
static void note_endpoints(struct agent_quorum *q)
{
	size_t n = etcd_client_endpoints(q->etcd);

	for (size_t i = 0; i < n && i < ETCD_ENDPOINTS_MAX; i++) {
		const struct etcd_endpoint_stats *es = etcd_client_endpoint_stats(q->etcd, i);
		uint64_t failed = es->failures - q->ep_failures[i];
		uint64_t answered = (es->attempts - q->ep_attempts[i]) - failed;

		if (failed) {
			q->endpoint_errors += failed;
			if (!q->ep_failing[i])
				log_warn(q->log, "instance %s: quorum: etcd member %s failed: %s%s",
					 q->instance, etcd_client_endpoint(q->etcd, i),
					 etcd_status_name(es->last_status),
					 n > 1 ? " (the next member is asked)" : "");
			q->ep_failing[i] = true;
		}
		if (answered && q->ep_failing[i] && es->last_status == ETCD_OK) {
			log_info(q->log, "instance %s: quorum: etcd member %s answers again", q->instance,
				 etcd_client_endpoint(q->etcd, i));
			q->ep_failing[i] = false;
		}
		q->ep_attempts[i] = es->attempts;
		q->ep_failures[i] = es->failures;
	}
}

/* One failure of a run is logged; the rest only counted until etcd
 * answers again. */
static void note_failure(struct agent_quorum *q, const char *what, const struct etcd_result *r)
{
	q->request_errors++;
	if (q->failures_in_row++ == 0)
		log_warn(q->log, "instance %s: quorum: %s failed: %s: %s", q->instance, what,
			 etcd_status_name(r->status), r->error[0] ? r->error : "no detail");
}

static void note_success(struct agent_quorum *q)
{
	if (q->failures_in_row > 1)
		log_info(q->log, "instance %s: quorum: etcd answers again after %u failed requests",
			 q->instance, q->failures_in_row);
	q->failures_in_row = 0;
}

/* ---- the probe --------------------------------------------------------- */

static void probe_answer(struct agent_quorum *q, bool won, const char *why)
{
	if (!q->probing)
		return;
	q->probing = false;
	ev_timer_stop(q->loop, &q->probe_timer);
	if (won) {
		q->probes_won++;
		q->last_veto[0] = '\0';
	} else {
		q->vetoes++;
		/* The same veto again one Master_Down_Interval later is only
		 * counted, but said again every tenth time. */
		if (strcmp(why, q->last_veto) != 0 || ++q->vetoes_quiet >= 10) {
			log_info(q->log, "instance %s: quorum: takeover vetoed: %s%s", q->instance, why,
				 q->vetoes_quiet > 1 ? " (again)" : "");
			snprintf(q->last_veto, sizeof(q->last_veto), "%s", why);
			q->vetoes_quiet = 0;
		}
	}
	q->ops.probe_result(q->ctx, q->probe_seq, won);
}

static void want(struct agent_quorum *q, bool on)
{
	struct quorum_actions a;

	if (!on && q->req_id) {
		/* A request of the holding we give up: its answer must not
		 * reach the next one. A lease it may have created is revoked
		 * by the rules (they know it once granted); a grant whose
		 * answer is lost leaves a lease without keys, which etcd drops
		 * after its TTL. */
		etcd_cancel(q->etcd, q->req_id);
		q->req_id = 0;
	}
	quorum_want(&q->rules, on, monotime_ms(), &a);
	apply(q, &a);
}

static void probe_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct agent_quorum *q = w->data;

	if (q->probe_cached) {
		char why[128];

		q->probe_cached = false;
		snprintf(why, sizeof(why), "key held by %s", q->lost_holder);
		probe_answer(q, false, why);
		return;
	}
	if (q->rules.state == QUORUM_HELD) {
		probe_answer(q, true, NULL);
		return;
	}
	probe_answer(q, false, q->failures_in_row ? "etcd unreachable" : "etcd did not answer in time");
	if (!q->master)
		want(q, false);
}

void agent_quorum_probe(struct agent_quorum *q, uint32_t seq, bool master_alive)
{
	uint64_t now = monotime_ms();

	q->probing = true;
	q->probe_seq = seq;
	q->probes++;
	ev_timer_stop(q->loop, &q->probe_timer);
	/* A live master that spoke below us holds the key until it hands
	 * it over (priority 0, after a revoke): asking etcd again at every
	 * one of its adverts would only grant and revoke leases. */
	q->probe_cached = master_alive && q->lost_ms && q->rules.state != QUORUM_HELD &&
			  now - q->lost_ms < q->rules.conf.ttl_ms / 3;
	if (q->probe_cached) {
		ev_timer_set(&q->probe_timer, 0., 0.);
		ev_timer_start(q->loop, &q->probe_timer);
		return;
	}
	/* Held already: answer from the loop, never from inside the call. */
	ev_timer_set(&q->probe_timer,
		     q->rules.state == QUORUM_HELD ? 0. : q->probe_timeout_ms / 1000.0, 0.);
	ev_timer_start(q->loop, &q->probe_timer);
	want(q, true);
}

void agent_quorum_probe_cancel(struct agent_quorum *q)
{
	if (!q->probing)
		return;
	q->probing = false;
	ev_timer_stop(q->loop, &q->probe_timer);
	if (q->probe_cached) {
		q->probe_cached = false;
		return;  /* etcd was not asked */
	}
	if (!q->master)
		want(q, false);
}

/* ---- the rules' actions ------------------------------------------------- */

static void revoke_done(struct etcd_client *c, uint64_t id, const struct etcd_result *r, void *ctx)
{
	(void)c;
	struct agent_quorum *q = ctx;
	bool held = id && id == q->held_revoke_id;
	int64_t lease = q->held_revoke_lease;

	if (held) {
		q->held_revoke_id = 0;
		q->held_revoke_lease = 0;
	}
	note_endpoints(q);
	if (r->status != ETCD_OK) {
		note_failure(q, "revoke", r);
		/* A lease that held the key then runs out by itself within its
		 * TTL, or is revoked when this node next asks for the key and
		 * finds it still held by it (rules_done). */
		if (held) {
			q->stale_lease = lease;
			log_warn(q->log, "instance %s: quorum: revoke of lease %" PRId64 " failed: %s: it "
				 "ends with its TTL, or is revoked when etcd answers again", q->instance,
				 lease, etcd_status_name(r->status));
		}
		return;
	}
	note_success(q);
	if (held) {
		if (lease == q->stale_lease)
			q->stale_lease = 0;
		log_info(q->log, "instance %s: quorum: lease revoked (lease %" PRId64 "%s)", q->instance,
			 lease, r->lease_found ? "" : ", already gone");
	}
}

static void revoke_lease(struct agent_quorum *q, int64_t lease)
{
	struct etcd_request rq = { .op = ETCD_OP_LEASE_REVOKE, .lease = lease };
	/* Only the lease that held the key is worth a line (once etcd has
	 * answered): the others are a backup's tries while another node
	 * holds it. */
	bool held = lease == q->held_lease || lease == q->stale_lease;
	uint64_t id = 0;

	if (lease == q->held_lease)
		q->held_lease = 0;
	if (submit(q, &rq, revoke_done, &id) == 0 && held) {
		q->held_revoke_id = id;
		q->held_revoke_lease = lease;
	}
}

static void read_candidates(struct agent_quorum *q);

static void rules_done(struct etcd_client *c, uint64_t id, const struct etcd_result *r, void *ctx);

static void send_rules_request(struct agent_quorum *q, enum quorum_action_type t, int64_t lease)
{
	struct etcd_request rq = { .lease = lease };

	switch (t) {
	case QUORUM_ACT_GRANT:
		rq.op = ETCD_OP_LEASE_GRANT;
		rq.ttl = q->rules.conf.ttl_ms / 1000;
		rq.lease = 0;
		break;
	case QUORUM_ACT_ACQUIRE:
		rq.op = ETCD_OP_CREATE;
		rq.key = q->key;
		rq.value = q->router_id;
		break;
	case QUORUM_ACT_KEEPALIVE:
		rq.op = ETCD_OP_LEASE_KEEPALIVE;
		q->ka_ttl_left_ms = 0;
		break;
	default:
		return;
	}
	q->req_type = t;
	q->req_lease = lease;
	q->req_sent_ms = monotime_ms();
	if (submit(q, &rq, rules_done, &q->req_id) < 0) {
		/* Nothing went out: the rules hear it as a failed request. */
		struct etcd_result fail = { .op = rq.op, .status = ETCD_E_NOMEM };

		q->req_id = 0;
		rules_done(q->etcd, 0, &fail, q);
	}
}

/* The key check that follows a keepalive. */
static void key_check(struct agent_quorum *q)
{
	struct etcd_request rq = { .op = ETCD_OP_GET, .key = q->key };

	q->req_type = QUORUM_ACT_KEEPALIVE;
	if (submit(q, &rq, rules_done, &q->req_id) < 0) {
		struct etcd_result fail = { .op = ETCD_OP_GET, .status = ETCD_E_NOMEM };

		q->req_id = 0;
		rules_done(q->etcd, 0, &fail, q);
	}
}

static void rules_done(struct etcd_client *c, uint64_t id, const struct etcd_result *r, void *ctx)
{
	(void)c;
	struct agent_quorum *q = ctx;
	struct quorum_actions a = { 0 };
	uint64_t now = monotime_ms();
	bool ok = r->status == ETCD_OK;

	if (id && id != q->req_id)
		return;
	q->req_id = 0;
	note_endpoints(q);
	if (ok)
		note_success(q);
	switch (r->op) {
	case ETCD_OP_LEASE_GRANT:
		if (!ok)
			note_failure(q, "lease grant", r);
		quorum_granted(&q->rules, ok, r->lease,
			       ok && r->ttl > 0 && r->ttl <= ETCD_TTL_MAX * 10 ? (uint32_t)r->ttl * 1000u : 0,
			       q->req_sent_ms, now, &a);
		break;
	case ETCD_OP_CREATE: {
		char holder[64] = "";

		if (!ok)
			note_failure(q, "taking the key", r);
		else if (!r->succeeded && r->nkvs == 1)
			snprintf(holder, sizeof(holder), "%.*s", (int)(r->kvs[0].value_len < 63 ? r->kvs[0].value_len : 63),
				 r->kvs[0].value);
		/* Our own lease of before a demotion still holds it (etcd
		 * extends every lease when it elects a leader): our server is
		 * read-only since, so give it back; the retry takes the key. */
		if (ok && !r->succeeded && r->nkvs == 1 && r->kvs[0].lease &&
		    r->kvs[0].lease == q->stale_lease) {
			log_info(q->log, "instance %s: quorum: the key is held by this node's lease of before "
				 "its demotion (lease %" PRId64 "): revoking it", q->instance, q->stale_lease);
			revoke_lease(q, q->stale_lease);
		}
		/* A value with bytes a log line should not carry: say so. */
		for (char *p = holder; *p; p++)
			if ((unsigned char)*p < 32 || *p == '"' || *p == '\\')
				*p = '?';
		quorum_acquired(&q->rules, ok, ok && r->succeeded, holder, now, &a);
		break;
	}
	case ETCD_OP_LEASE_KEEPALIVE:
		if (!ok) {
			note_failure(q, "renewal", r);
			quorum_renewed(&q->rules, false, 0, false, q->req_sent_ms, now, &a);
			break;
		}
		if (r->ttl <= 0) {
			quorum_renewed(&q->rules, true, 0, false, q->req_sent_ms, now, &a);
			break;
		}
		q->ka_ttl_left_ms = r->ttl > ETCD_TTL_MAX ? ETCD_TTL_MAX * 1000u : (uint32_t)r->ttl * 1000u;
		key_check(q);  /* req_sent_ms stays the keepalive's: the lease counts from it */
		return;
	case ETCD_OP_GET: {
		bool ours = ok && r->nkvs == 1 && r->kvs[0].lease == q->req_lease;

		if (!ok) {
			note_failure(q, "renewal (key check)", r);
			quorum_renewed(&q->rules, false, 0, false, q->req_sent_ms, now, &a);
			break;
		}
		quorum_renewed(&q->rules, true, q->ka_ttl_left_ms, ours, q->req_sent_ms, now, &a);
		if (ours) {
			q->last_renewal_ms = now;
			read_candidates(q);
		}
		break;
	}
	default:
		return;
	}
	apply(q, &a);
	/* A probe learns its answer from the rules' new state. */
	if (q->probing && q->rules.state == QUORUM_LOST) {
		char why[96];

		if (q->rules.holder[0]) {
			q->lost_ms = now;
			snprintf(q->lost_holder, sizeof(q->lost_holder), "%s", q->rules.holder);
		}
		snprintf(why, sizeof(why), "key held by %s", q->rules.holder[0] ? q->rules.holder : "another node");
		probe_answer(q, false, why);
		if (!q->master)
			want(q, false);
	}
}

static void wake_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct agent_quorum *q = w->data;
	struct quorum_actions a;

	quorum_tick(&q->rules, monotime_ms(), &a);
	apply(q, &a);
}

static void apply(struct agent_quorum *q, const struct quorum_actions *a)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct quorum_action *x = &a->a[i];

		switch (x->type) {
		case QUORUM_ACT_GRANT:
		case QUORUM_ACT_ACQUIRE:
		case QUORUM_ACT_KEEPALIVE:
			send_rules_request(q, x->type, x->lease);
			break;
		case QUORUM_ACT_REVOKE:
			revoke_lease(q, x->lease);
			break;
		case QUORUM_ACT_ALLOW:
			q->held_lease = x->lease;
			q->lost_ms = 0;
			log_info(q->log, "instance %s: quorum: key held (lease %" PRId64 ", ttl %" PRIu32 " ms)",
				 q->instance, x->lease, q->rules.granted_ttl_ms);
			if (q->probing)
				probe_answer(q, true, NULL);
			if (q->master)
				q->ops.allow(q->ctx);
			break;
		case QUORUM_ACT_DEMOTE:
			q->demotions++;
			log_err(q->log, "instance %s: quorum: DEMOTE: %s", q->instance, x->why ? x->why : "?");
			q->ops.demote(q->ctx, x->why ? x->why : "quorum lost");
			break;
		}
	}
	ev_timer_stop(q->loop, &q->wake);
	if (a->wakeup_ms) {
		uint64_t now = monotime_ms();

		ev_timer_set(&q->wake, a->wakeup_ms > now ? (double)(a->wakeup_ms - now) / 1000.0 : 0., 0.);
		ev_timer_start(q->loop, &q->wake);
	}
}

void agent_quorum_set_master(struct agent_quorum *q, bool master)
{
	if (master == q->master)
		return;
	q->master = master;
	if (master) {
		want(q, true);
		/* Held since the probe: the gate may open now. */
		if (q->rules.state == QUORUM_HELD)
			q->ops.allow(q->ctx);
	}
}

void agent_quorum_release(struct agent_quorum *q)
{
	if (q->master || q->probing)
		return;
	want(q, false);
	/* The rules stopped renewing at the safety deadline without a
	 * revoke (read_only was not confirmed then); it is now. */
	if (q->held_lease) {
		q->stale_lease = q->held_lease;
		revoke_lease(q, q->held_lease);
	}
}

void agent_quorum_give_up(struct agent_quorum *q)
{
	q->master = false;
	agent_quorum_probe_cancel(q);
	want(q, false);
}

void agent_quorum_refresh_candidates(struct agent_quorum *q)
{
	if (q->master && q->rules.state == QUORUM_HELD)
		read_candidates(q);
}

bool agent_quorum_may_write(const struct agent_quorum *q)
{
	return quorum_may_write(&q->rules, monotime_ms());
}

/* ---- candidates --------------------------------------------------------- */

static void cand_kick(struct agent_quorum *q);

static void cand_retry(struct agent_quorum *q, uint32_t ms)
{
	ev_timer_stop(q->loop, &q->cand_timer);
	ev_timer_set(&q->cand_timer, ms / 1000.0, 0.);
	ev_timer_start(q->loop, &q->cand_timer);
}

static void cand_done(struct etcd_client *c, uint64_t id, const struct etcd_result *r, void *ctx)
{
	(void)c;
	struct agent_quorum *q = ctx;
	enum cand_op op = q->cand_op;

	if (id != q->cand_req)
		return;
	q->cand_req = 0;
	q->cand_op = CAND_NONE;
	note_endpoints(q);
	if (r->status != ETCD_OK) {
		note_failure(q, "publishing the candidate", r);
		cand_retry(q, CANDIDATE_RETRY_MS);
		return;
	}
	note_success(q);
	switch (op) {
	case CAND_GRANT:
		if (r->lease <= 0 || r->ttl <= 0) {
			cand_retry(q, CANDIDATE_RETRY_MS);
			return;
		}
		q->cand_lease = r->lease;
		q->cand_ttl_ms = r->ttl > ETCD_TTL_MAX ? ETCD_TTL_MAX * 1000u : (uint32_t)r->ttl * 1000u;
		q->cand_published = false;
		break;
	case CAND_PUT:
		if (!r->succeeded) {
			/* An entry of an earlier lease (a previous run) is in
			 * the way until it expires. */
			cand_retry(q, CANDIDATE_RETRY_MS);
			return;
		}
		q->cand_published = true;
		q->cand_published_prio = q->cand_putting_prio;
		break;
	case CAND_KEEPALIVE:
		if (r->ttl <= 0) {
			q->cand_lease = 0;
			q->cand_published = false;
		}
		break;
	case CAND_NONE:
		break;
	}
	cand_kick(q);
}

static void cand_submit(struct agent_quorum *q, enum cand_op op, const struct etcd_request *rq)
{
	q->cand_op = op;
	if (submit(q, rq, cand_done, &q->cand_req) < 0) {
		q->cand_op = CAND_NONE;
		q->cand_req = 0;
		cand_retry(q, CANDIDATE_RETRY_MS);
	}
}

static void cand_kick(struct agent_quorum *q)
{
	char value[8];

	if (q->cand_req)
		return;  /* its answer kicks again */
	ev_timer_stop(q->loop, &q->cand_timer);
	if (!q->cand_want) {
		if (q->cand_lease) {
			struct etcd_request rq = { .op = ETCD_OP_LEASE_REVOKE, .lease = q->cand_lease };

			/* Fire and forget: otherwise it ends with its TTL. */
			if (submit(q, &rq, revoke_done, NULL) == 0)
				q->cand_lease = 0;
		}
		q->cand_published = false;
		return;
	}
	if (!q->cand_lease) {
		struct etcd_request rq = { .op = ETCD_OP_LEASE_GRANT, .ttl = q->rules.conf.ttl_ms / 1000 };

		cand_submit(q, CAND_GRANT, &rq);
		return;
	}
	if (!q->cand_published || q->cand_published_prio != q->cand_prio) {
		snprintf(value, sizeof(value), "%u", q->cand_prio);
		q->cand_putting_prio = q->cand_prio;
		struct etcd_request rq = {
			.op = q->cand_published ? ETCD_OP_PUT_IF_OURS : ETCD_OP_CREATE,
			.key = q->cand_key,
			.value = value,
			.lease = q->cand_lease,
		};
		cand_submit(q, CAND_PUT, &rq);
		return;
	}
	cand_retry(q, q->cand_ttl_ms / 3);
}

static void cand_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct agent_quorum *q = w->data;

	if (q->cand_req)
		return;
	if (q->cand_want && q->cand_lease && q->cand_published && q->cand_published_prio == q->cand_prio) {
		struct etcd_request rq = { .op = ETCD_OP_LEASE_KEEPALIVE, .lease = q->cand_lease };

		cand_submit(q, CAND_KEEPALIVE, &rq);
		return;
	}
	cand_kick(q);
}

void agent_quorum_candidate(struct agent_quorum *q, bool publish, uint8_t priority)
{
	if (publish == q->cand_want && priority == q->cand_prio)
		return;
	q->cand_want = publish;
	q->cand_prio = priority;
	cand_kick(q);
}

/* The master's read of the candidates (after each renewal). */
static void read_done(struct etcd_client *c, uint64_t id, const struct etcd_result *r, void *ctx)
{
	(void)c;
	struct agent_quorum *q = ctx;
	size_t plen = strlen(q->cand_prefix), best = SIZE_MAX;

	if (id != q->read_req)
		return;
	q->read_req = 0;
	note_endpoints(q);
	if (r->status != ETCD_OK) {
		note_failure(q, "reading the candidates", r);
		return;
	}
	q->n_cands = 0;
	for (size_t i = 0; i < r->nkvs && q->n_cands < AGENT_QUORUM_CANDIDATES_MAX; i++) {
		const struct etcd_kv *kv = &r->kvs[i];
		const char *rid = kv->key + plen;
		char *end = NULL;
		long prio;

		if (kv->key_len <= plen || kv->key_len - plen >= sizeof(q->cands[0].router_id) ||
		    strlen(rid) != kv->key_len - plen)
			continue;
		prio = kv->value_len ? strtol(kv->value, &end, 10) : -1;
		if (!end || *end || prio < 1 || prio > 254) {
			if (!q->bad_candidate_logged)
				log_warn(q->log, "instance %s: quorum: candidate %s: priority '%.16s' is "
					 "not 1..254: ignored", q->instance, rid, kv->value ? kv->value : "");
			q->bad_candidate_logged = true;
			q->request_errors++;
			continue;
		}
		if (strcmp(rid, q->router_id) == 0)
			continue;
		struct agent_quorum_candidate *cand = &q->cands[q->n_cands];
		snprintf(cand->router_id, sizeof(cand->router_id), "%s", rid);
		cand->priority = (uint8_t)prio;
		if (best == SIZE_MAX || cand->priority > q->cands[best].priority)
			best = q->n_cands;
		q->n_cands++;
	}
	if (best != SIZE_MAX && q->master)
		q->ops.candidate(q->ctx, q->cands[best].priority, q->cands[best].router_id);
}

static void read_candidates(struct agent_quorum *q)
{
	struct etcd_request rq = { .op = ETCD_OP_GET_PREFIX, .key = q->cand_prefix,
				   .limit = AGENT_QUORUM_CANDIDATES_MAX };

	if (q->read_req)
		return;
	if (submit(q, &rq, read_done, &q->read_req) < 0)
		q->read_req = 0;
}

/* ---- life ---------------------------------------------------------------- */

static char *join(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = calloc(1, n);

	if (s)
		snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

int agent_quorum_new(struct agent_quorum **out, struct ev_loop *loop, const struct logger *log,
		     struct etcd_client *etcd, const struct agent_quorum_conf *conf,
		     const struct agent_quorum_ops *ops, void *ctx, char *err, size_t errlen)
{
	struct agent_quorum *q = calloc(1, sizeof(*q));

	*out = NULL;
	if (!q)
		return -ENOMEM;
	if (quorum_init(&q->rules, &conf->rules) < 0) {
		snprintf(err, errlen, "quorum: lease_ttl %" PRIu32 " ms leaves no time to renew "
			 "before the demotion budget of %" PRIu32 " ms", conf->rules.ttl_ms,
			 conf->rules.demote_budget_ms);
		free(q);
		return -EINVAL;
	}
	q->loop = loop;
	q->log = log;
	q->etcd = etcd;
	q->ops = *ops;
	q->ctx = ctx;
	q->request_timeout_ms = conf->request_timeout_ms;
	q->probe_timeout_ms = conf->probe_timeout_ms;
	q->instance = strdup(conf->instance);
	q->router_id = strdup(conf->router_id);
	q->key = join(conf->prefix, conf->instance, "");
	q->cand_prefix = join(conf->prefix, conf->instance, "/candidates/");
	q->cand_key = q->cand_prefix ? join(q->cand_prefix, conf->router_id, "") : NULL;
	if (!q->instance || !q->router_id || !q->key || !q->cand_prefix || !q->cand_key) {
		agent_quorum_free(q);
		return -ENOMEM;
	}
	ev_timer_init(&q->wake, wake_cb, 0., 0.);
	q->wake.data = q;
	ev_timer_init(&q->probe_timer, probe_timer_cb, 0., 0.);
	q->probe_timer.data = q;
	ev_timer_init(&q->cand_timer, cand_timer_cb, 0., 0.);
	q->cand_timer.data = q;
	*out = q;
	return 0;
}

void agent_quorum_free(struct agent_quorum *q)
{
	if (!q)
		return;
	if (q->loop) {
		ev_timer_stop(q->loop, &q->wake);
		ev_timer_stop(q->loop, &q->probe_timer);
		ev_timer_stop(q->loop, &q->cand_timer);
	}
	if (q->etcd) {
		if (q->req_id)
			etcd_cancel(q->etcd, q->req_id);
		if (q->cand_req)
			etcd_cancel(q->etcd, q->cand_req);
		if (q->read_req)
			etcd_cancel(q->etcd, q->read_req);
	}
	free(q->instance);
	free(q->router_id);
	free(q->key);
	free(q->cand_prefix);
	free(q->cand_key);
	free(q);
}

void agent_quorum_status(const struct agent_quorum *q, struct agent_quorum_status *out)
{
	uint64_t now = monotime_ms(), deadline = quorum_deadline_ms(&q->rules);

	memset(out, 0, sizeof(*out));
	out->state = q->rules.state;
	out->key = q->key;
	snprintf(out->holder, sizeof(out->holder), "%s",
		 q->rules.state == QUORUM_HELD ? q->router_id : q->rules.holder);
	out->lease = q->rules.lease;
	out->lease_remaining_ms = -1;
	out->deadline_in_ms = -1;
	if (q->rules.lease && q->rules.granted_ttl_ms) {
		uint64_t end = q->rules.acked_send_ms + q->rules.granted_ttl_ms;

		out->lease_remaining_ms = end > now ? (int64_t)(end - now) : 0;
		if (deadline && !q->rules.conf.hold)
			out->deadline_in_ms = deadline > now ? (int64_t)(deadline - now) : 0;
	}
	out->last_renewal_ago_ms = q->last_renewal_ms ? (int64_t)(now - q->last_renewal_ms) : -1;
	out->may_write = quorum_may_write(&q->rules, now);
	out->publishing = q->cand_published;
	out->published_priority = q->cand_published_prio;
	out->n_candidates = q->n_cands;
	memcpy(out->candidates, q->cands, sizeof(out->candidates));
	out->rules = q->rules.counters;
	out->probes = q->probes;
	out->probes_won = q->probes_won;
	out->vetoes = q->vetoes;
	out->request_errors = q->request_errors;
	out->endpoint_errors = q->endpoint_errors;
	out->demotions = q->demotions;
}
