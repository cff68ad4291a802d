// SPDX-License-Identifier: GPL-2.0-or-later
// etcd_proto: build etcd v3 JSON-gateway requests and parse their answers, pure.
#include "etcd_proto.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "base64.h"

/* Nesting of the deepest answer (txn: result, responses, response_range,
 * kvs, kv) is 6; more is not etcd. */
#define JSON_DEPTH 16
/* Bytes of a foreign body quoted in an error. */
#define QUOTE_MAX 60

static const char *const op_names[ETCD_OP__COUNT] = {
	[ETCD_OP_LEASE_GRANT] = "lease_grant",
	[ETCD_OP_LEASE_KEEPALIVE] = "lease_keepalive",
	[ETCD_OP_LEASE_REVOKE] = "lease_revoke",
	[ETCD_OP_GET] = "get",
	[ETCD_OP_GET_PREFIX] = "get_prefix",
	[ETCD_OP_CREATE] = "create",
	[ETCD_OP_PUT_IF_OURS] = "put_if_ours",
	[ETCD_OP_DELETE_IF_OURS] = "delete_if_ours",
};

static const char *const op_paths[ETCD_OP__COUNT] = {
	[ETCD_OP_LEASE_GRANT] = "/v3/lease/grant",
	[ETCD_OP_LEASE_KEEPALIVE] = "/v3/lease/keepalive",
	[ETCD_OP_LEASE_REVOKE] = "/v3/lease/revoke",
	[ETCD_OP_GET] = "/v3/kv/range",
	[ETCD_OP_GET_PREFIX] = "/v3/kv/range",
	[ETCD_OP_CREATE] = "/v3/kv/txn",
	[ETCD_OP_PUT_IF_OURS] = "/v3/kv/txn",
	[ETCD_OP_DELETE_IF_OURS] = "/v3/kv/txn",
};

static const char *const status_names[ETCD_STATUS__COUNT] = {
	[ETCD_OK] = "ok",
	[ETCD_E_TIMEOUT] = "timeout",
	[ETCD_E_CONNECT] = "connect",
	[ETCD_E_TRANSPORT] = "transport",
	[ETCD_E_HTTP] = "http",
	[ETCD_E_SERVER] = "server",
	[ETCD_E_MALFORMED] = "malformed",
	[ETCD_E_NOMEM] = "nomem",
};

const char *etcd_op_name(enum etcd_op op)
{
	return (unsigned)op < ETCD_OP__COUNT ? op_names[op] : "?";
}

const char *etcd_op_path(enum etcd_op op)
{
	return (unsigned)op < ETCD_OP__COUNT ? op_paths[op] : NULL;
}

const char *etcd_status_name(enum etcd_status s)
{
	return (unsigned)s < ETCD_STATUS__COUNT ? status_names[s] : "?";
}

/* ---- numbers ------------------------------------------------------------- */

/* Digits only, no leading zero but "0" itself, at most 20 of them. */
static int parse_digits(const char *s, uint64_t limit, uint64_t *out)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || s[n] != '\0')
		return -EINVAL;
	if (n > 1 && s[0] == '0')
		return -EINVAL;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int etcd_parse_uint64(const char *s, uint64_t *out)
{
	if (!s)
		return -EINVAL;
	return parse_digits(s, UINT64_MAX, out);
}

int etcd_parse_int64(const char *s, int64_t *out)
{
	if (!s)
		return -EINVAL;
	bool neg = s[0] == '-';
	uint64_t v;
	/* -(INT64_MIN) does not fit int64: allow one more when negative. */
	int rc = parse_digits(s + neg, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v);
	if (rc < 0)
		return rc;
	if (neg && v == 0)
		return -EINVAL; /* "-0": Go never writes it */
	*out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
	return 0;
}

/* ---- requests -------------------------------------------------------------- */

static size_t slen(const char *s, size_t len)
{
	return len ? len : (s ? strlen(s) : 0);
}

static bool needs_key(enum etcd_op op)
{
	return op == ETCD_OP_GET || op == ETCD_OP_GET_PREFIX || op == ETCD_OP_CREATE ||
	       op == ETCD_OP_PUT_IF_OURS || op == ETCD_OP_DELETE_IF_OURS;
}

static bool needs_lease(enum etcd_op op)
{
	return op == ETCD_OP_LEASE_KEEPALIVE || op == ETCD_OP_LEASE_REVOKE ||
	       op == ETCD_OP_CREATE || op == ETCD_OP_PUT_IF_OURS || op == ETCD_OP_DELETE_IF_OURS;
}

int etcd_request_check(const struct etcd_request *rq, char *err, size_t errlen)
{
	if (!rq || (unsigned)rq->op >= ETCD_OP__COUNT) {
		snprintf(err, errlen, "unknown etcd operation");
		return -EINVAL;
	}
	const char *name = etcd_op_name(rq->op);
	if (needs_key(rq->op)) {
		size_t n = slen(rq->key, rq->key_len);
		if (!rq->key || n == 0) {
			snprintf(err, errlen, "%s: the key is empty", name);
			return -EINVAL;
		}
		if (n > ETCD_KEY_MAX) {
			snprintf(err, errlen, "%s: the key has %zu bytes (at most %u)", name, n,
				 ETCD_KEY_MAX);
			return -EINVAL;
		}
	}
	if (rq->op == ETCD_OP_CREATE || rq->op == ETCD_OP_PUT_IF_OURS) {
		size_t n = slen(rq->value, rq->value_len);
		if (rq->value_len && !rq->value) {
			snprintf(err, errlen, "%s: a value length without a value", name);
			return -EINVAL;
		}
		if (n > ETCD_VALUE_MAX) {
			snprintf(err, errlen, "%s: the value has %zu bytes (at most %u)", name, n,
				 ETCD_VALUE_MAX);
			return -EINVAL;
		}
	}
	if (needs_lease(rq->op) && rq->lease <= 0) {
		snprintf(err, errlen, "%s: lease %" PRId64 " is not a lease id (> 0)", name,
			 rq->lease);
		return -EINVAL;
	}
	if (rq->op == ETCD_OP_LEASE_GRANT && (rq->ttl < 1 || rq->ttl > ETCD_TTL_MAX)) {
		snprintf(err, errlen, "%s: ttl %" PRId64 " is not 1..%d seconds", name, rq->ttl,
			 ETCD_TTL_MAX);
		return -EINVAL;
	}
	if (rq->op == ETCD_OP_GET_PREFIX && rq->limit > ETCD_RANGE_LIMIT_MAX) {
		snprintf(err, errlen, "%s: limit %u is above %u", name, rq->limit,
			 ETCD_RANGE_LIMIT_MAX);
		return -EINVAL;
	}
	return 0;
}

/* A json string of n bytes encoded in base64, or NULL (out of memory). */
static json_object *b64_string(const void *p, size_t n)
{
	size_t m = base64_encoded_len(n);
	char *s = malloc(m + 1);
	if (!s)
		return NULL;
	base64_encode(p, n, s);
	json_object *o = json_object_new_string_len(s, (int)m);
	free(s);
	return o;
}

/* int64 the way proto3 JSON writes it: a decimal string. */
static json_object *int64_string(int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_object_new_string(buf);
}

/* Add name: v to o, taking v. Returns false (v freed) on failure, so calls
 * can be chained with && and checked once. */
static bool put(json_object *o, const char *name, json_object *v)
{
	if (!o || !v || json_object_object_add(o, name, v) != 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

static bool append(json_object *a, json_object *v)
{
	if (!a || !v || json_object_array_add(a, v) != 0) {
		json_object_put(v);
		return false;
	}
	return true;
}

/* {name: {fields...}}, where inner was built by the caller (taken). */
static json_object *wrap(const char *name, json_object *inner)
{
	json_object *o = json_object_new_object();
	if (!put(o, name, inner)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The prefix's range end: the prefix with its last byte that is not 0xff
 * raised by one and the rest cut (etcd's clientv3.GetPrefixRangeEnd);
 * "\0" (to the end of the keyspace) when every byte is 0xff. */
static size_t prefix_end(const char *key, size_t n, char *end)
{
	memcpy(end, key, n);
	for (size_t i = n; i-- > 0;) {
		if ((unsigned char)end[i] < 0xff) {
			end[i] = (char)((unsigned char)end[i] + 1);
			return i + 1;
		}
	}
	end[0] = '\0';
	return 1;
}

/* The txn of the three guarded writes; see the table in the header. */
static json_object *txn_body(const struct etcd_request *rq, const char *key, size_t klen)
{
	json_object *top = json_object_new_object();
	json_object *cmp = json_object_new_object();
	json_object *cmps = json_object_new_array();
	json_object *succ = json_object_new_array();
	json_object *fail = json_object_new_array();
	bool ok = put(cmp, "key", b64_string(key, klen));
	if (rq->op == ETCD_OP_CREATE)
		ok = ok && put(cmp, "target", json_object_new_string("CREATE")) &&
		     put(cmp, "result", json_object_new_string("EQUAL")) &&
		     put(cmp, "create_revision", int64_string(0));
	else
		ok = ok && put(cmp, "target", json_object_new_string("LEASE")) &&
		     put(cmp, "result", json_object_new_string("EQUAL")) &&
		     put(cmp, "lease", int64_string(rq->lease));
	ok = ok && append(cmps, cmp);
	cmp = NULL;
	json_object *op = json_object_new_object();
	ok = put(op, "key", b64_string(key, klen)) && ok;
	if (rq->op == ETCD_OP_DELETE_IF_OURS) {
		ok = append(succ, wrap("request_delete_range", op)) && ok;
	} else {
		const char *v = rq->value ? rq->value : "";
		ok = put(op, "value", b64_string(v, slen(rq->value, rq->value_len))) &&
		     put(op, "lease", int64_string(rq->lease)) && ok;
		ok = append(succ, wrap("request_put", op)) && ok;
	}
	json_object *rg = json_object_new_object();
	ok = put(rg, "key", b64_string(key, klen)) && ok;
	ok = append(fail, wrap("request_range", rg)) && ok;
	ok = put(top, "compare", cmps) && ok;
	ok = put(top, "success", succ) && ok;
	ok = put(top, "failure", fail) && ok;
	if (!ok) {
		json_object_put(top);
		return NULL;
	}
	return top;
}

int etcd_request_body(const struct etcd_request *rq, char **body, char *err, size_t errlen)
{
	*body = NULL;
	int rc = etcd_request_check(rq, err, errlen);
	if (rc < 0)
		return rc;
	const char *key = rq->key;
	size_t klen = slen(rq->key, rq->key_len);
	json_object *top = NULL;
	switch (rq->op) {
	case ETCD_OP_LEASE_GRANT:
		top = json_object_new_object();
		if (!put(top, "TTL", int64_string(rq->ttl)))
			goto nomem;
		break;
	case ETCD_OP_LEASE_KEEPALIVE:
	case ETCD_OP_LEASE_REVOKE:
		top = json_object_new_object();
		if (!put(top, "ID", int64_string(rq->lease)))
			goto nomem;
		break;
	case ETCD_OP_GET:
		top = json_object_new_object();
		if (!put(top, "key", b64_string(key, klen)))
			goto nomem;
		break;
	case ETCD_OP_GET_PREFIX: {
		char end[ETCD_KEY_MAX];
		size_t elen = prefix_end(key, klen, end);
		unsigned limit = rq->limit ? rq->limit : ETCD_RANGE_LIMIT_DEFAULT;
		top = json_object_new_object();
		if (!put(top, "key", b64_string(key, klen)) ||
		    !put(top, "range_end", b64_string(end, elen)) ||
		    !put(top, "limit", int64_string(limit)))
			goto nomem;
		break;
	}
	case ETCD_OP_CREATE:
	case ETCD_OP_PUT_IF_OURS:
	case ETCD_OP_DELETE_IF_OURS:
		top = txn_body(rq, key, klen);
		if (!top)
			goto nomem;
		break;
	case ETCD_OP__COUNT:
		break;
	}
	/* No "\/" for '/': both are JSON, the plain one is readable. */
	const char *s = json_object_to_json_string_ext(top, JSON_C_TO_STRING_PLAIN |
							       JSON_C_TO_STRING_NOSLASHESCAPE);
	*body = s ? strdup(s) : NULL;
	json_object_put(top);
	if (!*body) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
nomem:
	json_object_put(top);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

/* ---- answers --------------------------------------------------------------- */

void etcd_result_clear(struct etcd_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nkvs; i++) {
		free(r->kvs[i].key);
		free(r->kvs[i].value);
	}
	free(r->kvs);
	memset(r, 0, sizeof(*r));
}

/* Copy at most max bytes of s into out as one printable line ('?' for the
 * rest), so that foreign text is safe in a log line. */
static void quote(char *out, size_t cap, const char *s, size_t n, size_t max)
{
	if (cap == 0)
		return;
	size_t o = 0;
	for (size_t i = 0; i < n && i < max && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (n > max && o + 4 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static void set_error(struct etcd_result *r, enum etcd_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_error(struct etcd_result *r, enum etcd_status st, const char *fmt, ...)
{
	r->status = st;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

/* The parser's state: the result and where a malformed answer was found. */
struct pctx {
	struct etcd_result *r;
	const struct etcd_request *rq;
	bool bad;    /* a malformed answer (r->error says why) */
	bool nomem;
};

static void bad(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bad(struct pctx *p, const char *fmt, ...)
{
	if (p->bad || p->nomem)
		return; /* the first fault is the one worth reading */
	p->bad = true;
	char why[ETCD_ERROR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	set_error(p->r, ETCD_E_MALFORMED, "malformed answer to %s: %s",
		  etcd_op_name(p->rq->op), why);
}

static void nomem(struct pctx *p)
{
	if (p->nomem)
		return;
	p->nomem = true;
	set_error(p->r, ETCD_E_NOMEM, "out of memory while reading the answer to %s",
		  etcd_op_name(p->rq->op));
}

static const char *type_name(json_object *v)
{
	return v ? json_type_to_name(json_object_get_type(v)) : "null";
}

/*
 * Member name of o, of type t. Returns it, or NULL when absent (proto3:
 * the zero value) or when present with another type (then marked bad; a
 * JSON null is a wrong type too: the gateway never writes one).
 */
static json_object *field(struct pctx *p, json_object *o, const char *name, json_type t)
{
	json_object *v;
	if (!json_object_object_get_ex(o, name, &v))
		return NULL;
	if (!v || !json_object_is_type(v, t)) {
		bad(p, "'%s' is %s, not %s", name, type_name(v), json_type_to_name(t));
		return NULL;
	}
	return v;
}

/* An int64 member (a decimal string); 0 when absent. */
static int64_t field_i64(struct pctx *p, json_object *o, const char *name)
{
	json_object *v = field(p, o, name, json_type_string);
	if (!v)
		return 0;
	int64_t x = 0;
	const char *s = json_object_get_string(v);
	int rc = (int)strlen(s) == json_object_get_string_len(v) ? etcd_parse_int64(s, &x) : -EINVAL;
	if (rc < 0) {
		char q[QUOTE_MAX + 4];
		quote(q, sizeof(q), s, (size_t)json_object_get_string_len(v), 24);
		bad(p, "'%s' is \"%s\", %s", name, q,
		    rc == -ERANGE ? "out of the int64 range" : "not an int64");
		return 0;
	}
	return x;
}

static uint64_t field_u64(struct pctx *p, json_object *o, const char *name)
{
	json_object *v = field(p, o, name, json_type_string);
	if (!v)
		return 0;
	uint64_t x = 0;
	const char *s = json_object_get_string(v);
	int rc = (int)strlen(s) == json_object_get_string_len(v) ? etcd_parse_uint64(s, &x) : -EINVAL;
	if (rc < 0) {
		char q[QUOTE_MAX + 4];
		quote(q, sizeof(q), s, (size_t)json_object_get_string_len(v), 24);
		bad(p, "'%s' is \"%s\", %s", name, q,
		    rc == -ERANGE ? "out of the uint64 range" : "not a uint64");
		return 0;
	}
	return x;
}

static bool field_bool(struct pctx *p, json_object *o, const char *name)
{
	json_object *v = field(p, o, name, json_type_boolean);
	return v && json_object_get_boolean(v);
}

/*
 * A base64 member decoded into a fresh NUL-terminated buffer (*out, *len):
 * "" when absent. Returns false when bad or out of memory.
 */
static bool field_bytes(struct pctx *p, json_object *o, const char *name, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	json_object *v = field(p, o, name, json_type_string);
	if (p->bad)
		return false;
	const char *s = v ? json_object_get_string(v) : "";
	size_t n = v ? (size_t)json_object_get_string_len(v) : 0;
	char *buf = malloc(base64_decoded_max(n) + 1);
	if (!buf) {
		nomem(p);
		return false;
	}
	if (base64_decode(s, n, buf, len) < 0) {
		free(buf);
		char q[QUOTE_MAX + 4];
		quote(q, sizeof(q), s, n, 24);
		bad(p, "'%s' is \"%s\", not base64", name, q);
		return false;
	}
	buf[*len] = '\0';
	*out = buf;
	return true;
}

static void parse_header(struct pctx *p, json_object *top)
{
	json_object *h;
	if (!json_object_object_get_ex(top, "header", &h)) {
		bad(p, "no 'header'");
		return;
	}
	h = field(p, top, "header", json_type_object);
	if (!h)
		return;
	struct etcd_header *hd = &p->r->header;
	hd->cluster_id = field_u64(p, h, "cluster_id");
	hd->member_id = field_u64(p, h, "member_id");
	hd->revision = field_i64(p, h, "revision");
	hd->raft_term = field_u64(p, h, "raft_term");
	/* The store starts at revision 1: 0 (or absent) is no real answer. */
	if (!p->bad && hd->revision <= 0)
		bad(p, "header revision %" PRId64 " (a store's revision is > 0)", hd->revision);
}

static bool key_equals(const struct etcd_kv *kv, const char *key, size_t n)
{
	return kv->key_len == n && memcmp(kv->key, key, n) == 0;
}

/* One key-value object into kv (zeroed by the caller). */
static void parse_kv(struct pctx *p, json_object *o, struct etcd_kv *kv)
{
	if (!json_object_is_type(o, json_type_object)) {
		bad(p, "a 'kvs' entry is %s, not object", type_name(o));
		return;
	}
	if (!field_bytes(p, o, "key", &kv->key, &kv->key_len))
		return;
	if (kv->key_len == 0) {
		bad(p, "a 'kvs' entry without a key");
		return;
	}
	if (!field_bytes(p, o, "value", &kv->value, &kv->value_len))
		return;
	kv->create_revision = field_i64(p, o, "create_revision");
	kv->mod_revision = field_i64(p, o, "mod_revision");
	kv->version = field_i64(p, o, "version");
	kv->lease = field_i64(p, o, "lease");
	if (p->bad)
		return;
	if (kv->create_revision <= 0 || kv->mod_revision < kv->create_revision ||
	    kv->version <= 0 || kv->lease < 0)
		bad(p, "a key with create_revision %" PRId64 ", mod_revision %" PRId64
		       ", version %" PRId64 ", lease %" PRId64,
		    kv->create_revision, kv->mod_revision, kv->version, kv->lease);
}

/*
 * A range answer (the top-level one, or a txn's response_range) into r's
 * kvs: at most max entries; "count" checked against them.
 */
static void parse_range(struct pctx *p, json_object *o, size_t max)
{
	struct etcd_result *r = p->r;
	json_object *kvs = field(p, o, "kvs", json_type_array);
	int64_t count = field_i64(p, o, "count");
	bool more = field_bool(p, o, "more");
	if (p->bad)
		return;
	size_t n = kvs ? json_object_array_length(kvs) : 0;
	if (n > max) {
		bad(p, "%zu keys (at most %zu asked)", n, max);
		return;
	}
	if (count < 0 || (uint64_t)count < n || (more && (uint64_t)count <= n)) {
		bad(p, "'count' %" PRId64 " with %zu keys%s", count, n, more ? " and more" : "");
		return;
	}
	if (n) {
		r->kvs = calloc(n, sizeof(*r->kvs));
		if (!r->kvs) {
			nomem(p);
			return;
		}
	}
	for (size_t i = 0; i < n && !p->bad && !p->nomem; i++) {
		r->nkvs = i + 1; /* first, so that clear() frees a half-read entry */
		parse_kv(p, json_object_array_get_idx(kvs, i), &r->kvs[i]);
	}
	r->count = count;
	r->more = more || (uint64_t)count > n;
}

/* The range of one key: 0 or 1 entries, and that one is the key asked. */
static void parse_range_one(struct pctx *p, json_object *o)
{
	parse_range(p, o, 1);
	const char *key = p->rq->key;
	size_t klen = slen(p->rq->key, p->rq->key_len);
	if (p->bad || p->nomem)
		return;
	/* No limit was asked: all there is came back. */
	if (p->r->count != (int64_t)p->r->nkvs || p->r->more)
		bad(p, "'count' %" PRId64 " with %zu keys", p->r->count, p->r->nkvs);
	else if (p->r->nkvs == 1 && !key_equals(&p->r->kvs[0], key, klen))
		bad(p, "a key other than the one asked");
}

static void parse_txn(struct pctx *p, json_object *top)
{
	struct etcd_result *r = p->r;
	const struct etcd_request *rq = p->rq;
	bool ok = field_bool(p, top, "succeeded");
	json_object *rs = field(p, top, "responses", json_type_array);
	if (p->bad)
		return;
	if (!rs || json_object_array_length(rs) != 1) {
		bad(p, "%zu responses (the txn has one operation each way)",
		    rs ? json_object_array_length(rs) : 0);
		return;
	}
	json_object *one = json_object_array_get_idx(rs, 0);
	if (!json_object_is_type(one, json_type_object)) {
		bad(p, "a response is %s, not object", type_name(one));
		return;
	}
	const char *want = !ok ? "response_range"
			   : rq->op == ETCD_OP_DELETE_IF_OURS ? "response_delete_range"
							      : "response_put";
	json_object *inner = field(p, one, want, json_type_object);
	if (p->bad)
		return;
	if (!inner) {
		bad(p, "a %s txn without '%s'", ok ? "succeeded" : "failed", want);
		return;
	}
	r->succeeded = ok;
	if (ok) {
		if (rq->op == ETCD_OP_DELETE_IF_OURS) {
			int64_t deleted = field_i64(p, inner, "deleted");
			if (!p->bad && deleted != 1)
				bad(p, "deleted %" PRId64 " keys, not the one", deleted);
		}
		return;
	}
	parse_range_one(p, inner);
	if (p->bad || p->nomem)
		return;
	if (rq->op == ETCD_OP_CREATE) {
		/* The compare "create_revision == 0" failed: the key existed
		 * at that revision, and the failure branch read it in the same
		 * transaction. */
		if (r->nkvs != 1) {
			bad(p, "create failed but the key is absent");
			return;
		}
		/* Ours already: a repeat of a create whose answer was lost. */
		if (r->kvs[0].lease == rq->lease)
			r->succeeded = true;
	} else if (r->nkvs == 1 && r->kvs[0].lease == rq->lease) {
		/* The compare "lease == ours" failed, yet the key read in the
		 * same transaction has our lease: not etcd. */
		bad(p, "the guard failed on a key that has our lease");
	}
}

/* An etcd error answer: the gateway's {"error", "message", "code"} (or a
 * newer gateway's {"code", "message"}), or a stream's {"error": {...}}.
 * Returns whether top is one (r then set, possibly as malformed). */
static bool parse_error(struct pctx *p, json_object *top, long http)
{
	struct etcd_result *r = p->r;
	json_object *e = NULL, *code = NULL, *msg = NULL;
	bool has_e = json_object_object_get_ex(top, "error", &e);
	/* LeaseGrantResponse has an "error" string of its own, empty and so
	 * omitted; a newer gateway sends only code and message. */
	if (!has_e && !(http != 200 && json_object_object_get_ex(top, "code", &code) &&
			!json_object_object_get_ex(top, "header", NULL)))
		return false;
	json_object *where = top;
	if (has_e && e && json_object_is_type(e, json_type_object)) {
		where = e; /* the stream's form: grpc_code, http_code, message */
		code = field(p, e, "grpc_code", json_type_int);
	} else if (has_e && !(e && json_object_is_type(e, json_type_string))) {
		bad(p, "'error' is %s", type_name(e));
		return true;
	} else {
		code = field(p, top, "code", json_type_int);
	}
	msg = field(p, where, "message", json_type_string);
	if (p->bad)
		return true;
	if (!msg && has_e && json_object_is_type(e, json_type_string))
		msg = e;
	int64_t c = code ? json_object_get_int64(code) : 0;
	if (c < 0 || c > 1000) {
		bad(p, "an error with code %" PRId64, c);
		return true;
	}
	char q[ETCD_ERROR_MAX];
	if (msg)
		quote(q, sizeof(q), json_object_get_string(msg),
		      (size_t)json_object_get_string_len(msg), 120);
	else
		snprintf(q, sizeof(q), "no message");
	r->grpc_code = (int)c;
	set_error(r, ETCD_E_SERVER, "etcd: %s (code %d, HTTP %ld)", q, r->grpc_code, http);
	return true;
}

static void parse_ok(struct pctx *p, json_object *top)
{
	struct etcd_result *r = p->r;
	const struct etcd_request *rq = p->rq;
	if (rq->op == ETCD_OP_LEASE_KEEPALIVE) {
		/* The stream's one message, wrapped: {"result": {...}}. */
		json_object *res = field(p, top, "result", json_type_object);
		if (p->bad)
			return;
		if (!res) {
			bad(p, "no 'result'");
			return;
		}
		top = res;
	}
	parse_header(p, top);
	if (p->bad)
		return;
	switch (rq->op) {
	case ETCD_OP_LEASE_GRANT:
		r->lease = field_i64(p, top, "ID");
		r->ttl = field_i64(p, top, "TTL");
		if (!p->bad && (r->lease <= 0 || r->ttl <= 0))
			bad(p, "lease %" PRId64 " with TTL %" PRId64 " (both must be > 0)",
			    r->lease, r->ttl);
		break;
	case ETCD_OP_LEASE_KEEPALIVE: {
		/* A lease etcd no longer knows comes back with TTL 0 (left
		 * out), and its ID, or none when it never existed. */
		int64_t id = field_i64(p, top, "ID");
		r->ttl = field_i64(p, top, "TTL");
		if (p->bad)
			break;
		if (id != rq->lease && id != 0)
			bad(p, "lease %" PRId64 " when %" PRId64 " was asked", id, rq->lease);
		else if (r->ttl < 0 || (id == 0 && r->ttl != 0))
			bad(p, "TTL %" PRId64 " for lease %" PRId64, r->ttl, id);
		r->lease = rq->lease;
		break;
	}
	case ETCD_OP_LEASE_REVOKE:
		r->lease = rq->lease;
		r->lease_found = true;
		break;
	case ETCD_OP_GET:
		parse_range_one(p, top);
		break;
	case ETCD_OP_GET_PREFIX: {
		unsigned limit = rq->limit ? rq->limit : ETCD_RANGE_LIMIT_DEFAULT;
		parse_range(p, top, limit);
		size_t plen = slen(rq->key, rq->key_len);
		for (size_t i = 0; !p->bad && !p->nomem && i < r->nkvs; i++)
			if (r->kvs[i].key_len < plen || memcmp(r->kvs[i].key, rq->key, plen) != 0)
				bad(p, "a key outside the prefix");
		break;
	}
	case ETCD_OP_CREATE:
	case ETCD_OP_PUT_IF_OURS:
	case ETCD_OP_DELETE_IF_OURS:
		parse_txn(p, top);
		break;
	case ETCD_OP__COUNT:
		break;
	}
}

/* json-c's tree of body, or NULL with the reason in why. */
static json_object *parse_json(const char *body, size_t len, char *why, size_t whylen)
{
	if (len == 0) {
		snprintf(why, whylen, "an empty body");
		return NULL;
	}
	if (len > ETCD_BODY_MAX) {
		snprintf(why, whylen, "a body of %zu bytes (at most %u)", len, ETCD_BODY_MAX);
		return NULL;
	}
	if (memchr(body, '\0', len)) {
		snprintf(why, whylen, "a NUL byte in the body");
		return NULL;
	}
	json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	if (!tok) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS |
					    JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, body, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		end = len; /* every byte read, the value waits for more */
		/* The end of the input: a value still open is cut short. */
		o = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		if (e == json_tokener_continue)
			e = json_tokener_error_parse_eof;
	}
	json_tokener_free(tok);
	if (e == json_tokener_success && !o) {
		/* json-c's tree of a JSON null is NULL */
		snprintf(why, whylen, "a JSON null, not an object");
		return NULL;
	}
	if (e != json_tokener_success || !o) {
		json_object_put(o);
		snprintf(why, whylen, "not JSON (%s)",
			 e == json_tokener_error_parse_eof ? "cut short" : json_tokener_error_desc(e));
		return NULL;
	}
	/* One value, then nothing but the stream's newline. */
	for (size_t i = end; i < len; i++) {
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' && body[i] != '\n') {
			json_object_put(o);
			snprintf(why, whylen, "more after the JSON value (byte %zu)", i);
			return NULL;
		}
	}
	return o;
}

void etcd_parse_response(const struct etcd_request *rq, long http_status, const char *body,
			 size_t len, struct etcd_result *r)
{
	/* Keep the transport's fields, clear the rest. */
	int endpoint = r->endpoint;
	unsigned attempts = r->attempts;
	uint64_t elapsed = r->elapsed_ms;
	etcd_result_clear(r);
	r->endpoint = endpoint;
	r->attempts = attempts;
	r->elapsed_ms = elapsed;
	r->op = rq ? rq->op : ETCD_OP__COUNT;
	r->http_status = http_status;
	if (!rq || (unsigned)rq->op >= ETCD_OP__COUNT) {
		set_error(r, ETCD_E_MALFORMED, "an answer to an unknown operation");
		return;
	}
	struct pctx p = { .r = r, .rq = rq };
	char why[ETCD_ERROR_MAX];
	json_object *top = parse_json(body, len, why, sizeof(why));
	if (!top || !json_object_is_type(top, json_type_object)) {
		if (top)
			snprintf(why, sizeof(why), "a JSON %s, not an object", type_name(top));
		json_object_put(top);
		if (http_status != 200) {
			/* Not the gateway's answer: a 404 "Not Found" page of an
			 * unknown path, a proxy. Quote its first line. */
			char q[QUOTE_MAX + 4];
			size_t n = 0; /* the body is not NUL-terminated: bounded scan */
			while (body && n < len && body[n] != '\r' && body[n] != '\n')
				n++;
			quote(q, sizeof(q), body ? body : "", n, QUOTE_MAX);
			set_error(r, ETCD_E_HTTP, "HTTP %ld%s%s%s", http_status, q[0] ? " (" : "", q,
				  q[0] ? ")" : "");
		} else {
			set_error(r, ETCD_E_MALFORMED, "malformed answer to %s: %s",
				  etcd_op_name(rq->op), why);
		}
		return;
	}
	if (parse_error(&p, top, http_status)) {
		/* A revoke of a lease etcd does not know: the end state wanted
		 * (a repeat, or the lease expired first). */
		if (!p.bad && rq->op == ETCD_OP_LEASE_REVOKE && r->grpc_code == ETCD_GRPC_NOT_FOUND) {
			r->status = ETCD_OK;
			r->error[0] = '\0';
			r->grpc_code = 0;
			r->lease = rq->lease;
			r->lease_found = false;
		}
	} else if (http_status != 200) {
		set_error(r, ETCD_E_HTTP, "HTTP %ld with a JSON body that is no etcd error",
			  http_status);
	} else {
		parse_ok(&p, top);
		if (!p.bad && !p.nomem)
			r->status = ETCD_OK;
	}
	json_object_put(top);
	if (r->status != ETCD_OK) {
		/* The fields of a half-read answer mean nothing. */
		int code = r->grpc_code;
		char err[ETCD_ERROR_MAX];
		enum etcd_status st = r->status;
		memcpy(err, r->error, sizeof(err));
		etcd_result_clear(r);
		r->op = rq->op;
		r->status = st;
		r->grpc_code = code;
		r->http_status = http_status;
		memcpy(r->error, err, sizeof(err));
		r->endpoint = endpoint;
		r->attempts = attempts;
		r->elapsed_ms = elapsed;
	}
}

bool etcd_result_retryable(const struct etcd_result *r)
{
	switch (r->status) {
	case ETCD_OK:
	case ETCD_E_NOMEM:
		return false;
	case ETCD_E_SERVER:
		return r->grpc_code == ETCD_GRPC_UNAVAILABLE || r->http_status == 503;
	case ETCD_E_TIMEOUT:
	case ETCD_E_CONNECT:
	case ETCD_E_TRANSPORT:
	case ETCD_E_HTTP:
	case ETCD_E_MALFORMED:
		return true;
	case ETCD_STATUS__COUNT:
		break;
	}
	return false;
}
