/* SPDX-License-Identifier: GPL-2.0-or-later */
/* etcd_proto: etcd v3 JSON-gateway requests and answers, pure (no I/O, no clock). */
#ifndef VIGIL_ETCD_PROTO_H
#define VIGIL_ETCD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The operations vigil's quorum needs from etcd 3.4, each one POST to the
 * gateway (grpc-gateway) with a JSON body built here with json-c, and its
 * answer parsed here with json-c, strictly:
 *
 *   op                     path                  what it does
 *   ETCD_OP_LEASE_GRANT    /v3/lease/grant       a lease of ttl seconds
 *   ETCD_OP_LEASE_KEEPALIVE /v3/lease/keepalive  refresh lease; the TTL left
 *   ETCD_OP_LEASE_REVOKE   /v3/lease/revoke      end lease (its keys go)
 *   ETCD_OP_GET            /v3/kv/range          one key
 *   ETCD_OP_GET_PREFIX     /v3/kv/range          the keys under a prefix
 *   ETCD_OP_CREATE         /v3/kv/txn            if create_revision(key) == 0
 *                                                then put key=value with lease
 *                                                else range key (the holder)
 *   ETCD_OP_PUT_IF_OURS    /v3/kv/txn            if lease(key) == lease then
 *                                                put key=value with lease,
 *                                                else range key
 *   ETCD_OP_DELETE_IF_OURS /v3/kv/txn            if lease(key) == lease then
 *                                                delete key, else range key
 *
 * The gateway's JSON mapping (proto3): keys and values are base64
 * (base64.h); int64 and uint64 are decimal strings; a field at its zero
 * value is left out ("succeeded" of a failed txn, "TTL" of an expired
 * lease, "lease" of a key without one, "value" of an empty value), so a
 * missing field means zero, while a present field of the wrong type or
 * out of range makes the answer malformed. Every answer carries a
 * "header"; one without it is malformed. Errors come as HTTP 4xx/5xx with
 * {"error": TEXT, "message": TEXT, "code": GRPC_CODE}, or, on the
 * keepalive stream (HTTP 200 already sent), as {"error": {...}}.
 *
 * Retries and idempotence: the client (etcd_client.h) sends a request to
 * the next endpoint when one does not answer, so a txn may be applied
 * twice, or once without its answer being seen. The txns are written so
 * that a repeat is harmless and reads true: CREATE reports success when
 * the key is found held under our own lease (the first try won, its
 * answer was lost); PUT_IF_OURS writes the same value again; DELETE_IF_OURS
 * finds the key gone (succeeded false, no holder). A repeated
 * LEASE_GRANT can leave an unused lease behind, which etcd drops after
 * its TTL; a repeated LEASE_REVOKE finds the lease gone, which is
 * reported as success with lease_found false.
 */

/* Bytes of a key (or prefix) and of a value that a request may carry;
 * vigil's keys are short names, this only bounds mistakes. */
#define ETCD_KEY_MAX 1024u
#define ETCD_VALUE_MAX 4096u
/* Keys a prefix read returns at most (its "limit"); 0 in a request
 * means ETCD_RANGE_LIMIT_DEFAULT. */
#define ETCD_RANGE_LIMIT_DEFAULT 64u
#define ETCD_RANGE_LIMIT_MAX 1000u
/* A lease's TTL in seconds, as a request may ask (etcd's own maximum is
 * 9000000000; an hour is more than a quorum lease ever needs). */
#define ETCD_TTL_MAX 3600
/* Bytes of an answer read at most (a prefix read of the limit's keys
 * fits many times over); a larger one is malformed. */
#define ETCD_BODY_MAX (1024u * 1024u)
/* Bytes of an error text kept, NUL included. */
#define ETCD_ERROR_MAX 200u
/* The gRPC code etcd answers when it cannot serve now (no leader, a
 * request timed out inside raft, the member stopping): worth asking
 * another member. */
#define ETCD_GRPC_UNAVAILABLE 14
/* The gRPC code of "etcdserver: requested lease not found". */
#define ETCD_GRPC_NOT_FOUND 5

enum etcd_op {
	ETCD_OP_LEASE_GRANT = 0,
	ETCD_OP_LEASE_KEEPALIVE,
	ETCD_OP_LEASE_REVOKE,
	ETCD_OP_GET,
	ETCD_OP_GET_PREFIX,
	ETCD_OP_CREATE,
	ETCD_OP_PUT_IF_OURS,
	ETCD_OP_DELETE_IF_OURS,
	ETCD_OP__COUNT
};

/* "lease_grant", "lease_keepalive", "lease_revoke", "get", "get_prefix",
 * "create", "put_if_ours", "delete_if_ours"; "?" out of range. */
const char *etcd_op_name(enum etcd_op op);

/* The gateway path of op ("/v3/kv/txn"), or NULL out of range. */
const char *etcd_op_path(enum etcd_op op);

/* How a request ended. */
enum etcd_status {
	ETCD_OK = 0,
	ETCD_E_TIMEOUT,   /* the deadline passed without an answer */
	ETCD_E_CONNECT,   /* the endpoint could not be reached (refused, unreachable) */
	ETCD_E_TRANSPORT, /* the connection broke, or closed without an answer */
	ETCD_E_HTTP,      /* an HTTP status other than 200 without a gateway error body */
	ETCD_E_SERVER,    /* etcd's error answer: grpc_code and error say which */
	ETCD_E_MALFORMED, /* an answer that is not what this operation returns */
	ETCD_E_NOMEM,
	ETCD_STATUS__COUNT
};

/* "ok", "timeout", "connect", "transport", "http", "server", "malformed",
 * "nomem"; "?" out of range. */
const char *etcd_status_name(enum etcd_status s);

/*
 * One request. Strings are binary-safe: a length of 0 means strlen() of
 * the pointer (NULL then counts as empty), so C strings need no length.
 *   key    GET, CREATE, PUT_IF_OURS, DELETE_IF_OURS: the key (non-empty);
 *          GET_PREFIX: the prefix (non-empty)
 *   value  CREATE, PUT_IF_OURS: the value (may be empty)
 *   lease  CREATE, PUT_IF_OURS, DELETE_IF_OURS: our lease (> 0), the one
 *          the key is put with and compared to; KEEPALIVE, REVOKE: the lease
 *   ttl    LEASE_GRANT: seconds, 1..ETCD_TTL_MAX (etcd may grant more: it
 *          raises a TTL below its minimum)
 *   limit  GET_PREFIX: at most this many keys (0: the default)
 */
struct etcd_request {
	enum etcd_op op;
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
	int64_t lease;
	int64_t ttl;
	unsigned limit;
};

/* The response header of every answer (the top-level one). */
struct etcd_header {
	uint64_t cluster_id;
	uint64_t member_id;
	int64_t revision;   /* the store's revision when the answer was made */
	uint64_t raft_term;
};

/* One key as etcd holds it. key and value are decoded and NUL-terminated
 * (their lengths count bytes without the NUL; they may hold NULs). */
struct etcd_kv {
	char *key;
	size_t key_len;
	char *value;
	size_t value_len;
	int64_t create_revision; /* > 0 */
	int64_t mod_revision;    /* >= create_revision */
	int64_t version;         /* > 0 */
	int64_t lease;           /* 0: no lease */
};

/*
 * A result. status says whether the rest is meaningful: with ETCD_OK the
 * fields of the operation are set, otherwise error says why (one line,
 * printable, naming the endpoint when the client fills it in).
 *
 *   LEASE_GRANT      lease: the new lease (> 0); ttl: granted, seconds (> 0)
 *   LEASE_KEEPALIVE  lease; ttl: seconds left, 0 = the lease expired (or
 *                    was revoked): etcd no longer keeps it, nor its keys
 *   LEASE_REVOKE     lease_found: false when etcd did not know the lease
 *                    (already revoked or expired: the end state wanted)
 *   GET              kvs: 0 (absent) or 1
 *   GET_PREFIX       kvs: the keys in order, at most the limit; count: how
 *                    many there are in all; more: count > nkvs
 *   CREATE           succeeded: the key is ours, created now (header.revision
 *                    is then its create_revision), or already held under our
 *                    lease (kvs[0] shows it: a repeat of a request whose
 *                    answer was lost); otherwise kvs[0] is the holder
 *   PUT_IF_OURS      succeeded: written; otherwise kvs: 0 (the key is
 *                    gone) or 1 (held under another lease, or none)
 *   DELETE_IF_OURS   succeeded: deleted now; otherwise kvs as PUT_IF_OURS
 *
 * The transport fields are the client's (etcd_client.h); the parser
 * leaves them alone.
 */
struct etcd_result {
	enum etcd_op op;
	enum etcd_status status;
	char error[ETCD_ERROR_MAX];
	long http_status;          /* of the answer parsed (0: none) */
	int grpc_code;             /* ETCD_E_SERVER: etcd's code (5 not found, 14 unavailable...) */
	struct etcd_header header;
	int64_t lease;
	int64_t ttl;
	bool lease_found;
	bool succeeded;
	size_t nkvs;
	struct etcd_kv *kvs;
	int64_t count;
	bool more;
	/* transport (etcd_client.c) */
	int endpoint;              /* index of the endpoint that answered or was tried last; -1 none */
	unsigned attempts;         /* endpoints tried */
	uint64_t elapsed_ms;       /* submit to result */
};

/*
 * Validate rq (op known, key and value present and within bounds, lease >
 * 0 where one is needed, ttl in range, limit <= ETCD_RANGE_LIMIT_MAX).
 * Returns 0, or -EINVAL with a reason in err.
 */
int etcd_request_check(const struct etcd_request *rq, char *err, size_t errlen);

/*
 * The JSON body of rq (validated first), in *body from malloc() (the
 * caller frees it). Returns 0, -EINVAL (reason in err) or -ENOMEM.
 */
int etcd_request_body(const struct etcd_request *rq, char **body, char *err, size_t errlen);

/*
 * Parse the answer to rq: HTTP status http_status, body of len bytes (not
 * NUL-terminated; may be NULL when len is 0). Fills r (cleared first;
 * its transport fields are kept): r->status is ETCD_OK, ETCD_E_SERVER (an
 * etcd error answer: grpc_code, error), ETCD_E_HTTP (a status other than
 * 200 with a body that is no etcd error), ETCD_E_MALFORMED or ETCD_E_NOMEM.
 * Never fails otherwise, whatever the bytes.
 */
void etcd_parse_response(const struct etcd_request *rq, long http_status, const char *body,
			 size_t len, struct etcd_result *r);

/*
 * Whether r is worth asking another member: etcd said "unavailable" (no
 * leader, a raft timeout, stopping: gRPC code 14 or HTTP 503), or the
 * member's answer was malformed or not etcd's (a proxy's 502, a wrong
 * port). Definite answers (ok, lease not found, invalid argument) are not.
 */
bool etcd_result_retryable(const struct etcd_result *r);

/* Free what r holds (kvs) and zero it, keeping nothing. Accepts NULL. */
void etcd_result_clear(struct etcd_result *r);

/*
 * Parse a decimal int64 the way the gateway writes one: an optional '-'
 * then 1 to 19 digits, nothing else (no '+', no spaces, no leading zeros
 * other than "0" itself), within int64. Returns 0 or -EINVAL / -ERANGE.
 * Exported for the tests.
 */
int etcd_parse_int64(const char *s, int64_t *out);

/* The same for uint64 (no sign). */
int etcd_parse_uint64(const char *s, uint64_t *out);

#endif
