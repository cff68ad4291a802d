/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer harness for agent/etcd_proto.c: an etcd gateway's answer, parsed as etcd_client.c does. */
/*
 * Input: byte 0 chooses the operation (modulo ETCD_OP__COUNT), byte 1 the
 * HTTP status (one of 200, 400, 404, 500, 503, 502, 401), the rest is the
 * body as the client received it (not NUL-terminated: a read past its end
 * is an ASan error). The requests are those of the seeds, recorded from a
 * real etcd 3.4 (test/unit/test_etcd_proto.c).
 *
 * Checked beyond "no crash, no leak": the status is known; the error is
 * one printable line, empty exactly when the status is ok; a result that
 * is not ok holds nothing (no key, no lease, no TTL, not succeeded); an
 * ok one agrees with its request: at most one key for a get or a txn and
 * that key, at most the limit under the prefix, each key NUL-terminated
 * at its length, revisions in order, leases >= 0, a header, a granted
 * lease and TTL > 0, a keepalive's TTL >= 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LEASE INT64_C(6825946485127742981)

static void check(const struct etcd_request *rq, const struct etcd_result *r)
{
	size_t n = strnlen(r->error, sizeof(r->error));
	if (n == sizeof(r->error) || (r->status == ETCD_OK) != (n == 0))
		abort();
	for (size_t i = 0; i < n; i++)
		if (r->error[i] < 0x20 || r->error[i] > 0x7e)
			abort();
	if ((unsigned)r->status >= ETCD_STATUS__COUNT)
		abort();
	if (r->status != ETCD_OK) {
		if (r->nkvs || r->kvs || r->lease || r->ttl || r->succeeded || r->lease_found)
			abort();
		return;
	}
	size_t max = rq->op == ETCD_OP_GET_PREFIX ? ETCD_RANGE_LIMIT_DEFAULT : 1;
	if (r->nkvs > max || (r->nkvs && !r->kvs) || r->count < (int64_t)r->nkvs)
		abort();
	size_t klen = strlen(rq->key ? rq->key : "");
	for (size_t i = 0; i < r->nkvs; i++) {
		const struct etcd_kv *kv = &r->kvs[i];
		if (!kv->key || !kv->value || kv->key[kv->key_len] || kv->value[kv->value_len])
			abort();
		if (kv->create_revision <= 0 || kv->mod_revision < kv->create_revision ||
		    kv->version <= 0 || kv->lease < 0)
			abort();
		if (kv->key_len < klen || memcmp(kv->key, rq->key, klen) != 0)
			abort();
		if (rq->op != ETCD_OP_GET_PREFIX && kv->key_len != klen)
			abort();
	}
	/* Every answer has its header, but the revoke of an unknown lease,
	 * which is etcd's error body read as the end state wanted. */
	if (r->header.revision <= 0 && !(rq->op == ETCD_OP_LEASE_REVOKE && !r->lease_found))
		abort();
	if (rq->op == ETCD_OP_LEASE_GRANT && (r->lease <= 0 || r->ttl <= 0))
		abort();
	if (rq->op == ETCD_OP_LEASE_KEEPALIVE && (r->lease != LEASE || r->ttl < 0))
		abort();
	if (rq->op == ETCD_OP_CREATE && !r->succeeded && r->nkvs != 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 404, 500, 503, 502, 401 };
	static const struct etcd_request requests[ETCD_OP__COUNT] = {
		[ETCD_OP_LEASE_GRANT] = { .op = ETCD_OP_LEASE_GRANT, .ttl = 10 },
		[ETCD_OP_LEASE_KEEPALIVE] = { .op = ETCD_OP_LEASE_KEEPALIVE, .lease = LEASE },
		[ETCD_OP_LEASE_REVOKE] = { .op = ETCD_OP_LEASE_REVOKE, .lease = LEASE },
		[ETCD_OP_GET] = { .op = ETCD_OP_GET, .key = "vigil/leader/db" },
		[ETCD_OP_GET_PREFIX] = { .op = ETCD_OP_GET_PREFIX, .key = "vigil/cand/db/" },
		[ETCD_OP_CREATE] = { .op = ETCD_OP_CREATE, .key = "vigil/leader/db",
				     .value = "node-a", .lease = LEASE },
		[ETCD_OP_PUT_IF_OURS] = { .op = ETCD_OP_PUT_IF_OURS, .key = "vigil/leader/db",
					  .value = "node-a", .lease = LEASE },
		[ETCD_OP_DELETE_IF_OURS] = { .op = ETCD_OP_DELETE_IF_OURS, .key = "vigil/leader/db",
					     .lease = LEASE },
	};
	if (size < 2)
		return 0;
	const struct etcd_request *rq = &requests[data[0] % ETCD_OP__COUNT];
	long http = statuses[data[1] % (sizeof(statuses) / sizeof(statuses[0]))];
	size_t len = size - 2;
	/* A copy of exactly the body's bytes, so that ASan sees a read past it. */
	char *body = malloc(len ? len : 1);
	if (!body)
		return 0;
	memcpy(body, data + 2, len);
	struct etcd_result r = { 0 };
	etcd_parse_response(rq, http, body, len, &r);
	check(rq, &r);
	etcd_result_clear(&r);
	free(body);
	return 0;
}
