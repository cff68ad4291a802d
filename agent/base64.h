/* SPDX-License-Identifier: GPL-2.0-or-later */
/* base64: the standard alphabet of RFC 4648 section 4, with padding, pure. */
#ifndef VIGIL_BASE64_H
#define VIGIL_BASE64_H

#include <stddef.h>

/*
 * etcd's JSON gateway carries keys and values as proto3 "bytes", which
 * its JSON mapping writes in standard base64 with padding (Go's
 * base64.StdEncoding). No library vigil links exports a codec (libcurl
 * and libmariadb keep theirs private), so here is a small one.
 *
 * The decoder is strict, because everything it reads comes from the
 * network: only the standard alphabet, the length a multiple of 4, '='
 * only as one or two final characters, and the unused low bits of the
 * last character zero (the canonical form, the only one Go emits). No
 * whitespace, no URL-safe alphabet.
 */

/* Characters base64_encode() writes for n bytes (without the NUL). */
size_t base64_encoded_len(size_t n);

/* Bytes base64_decode() may write for n characters (an upper bound). */
size_t base64_decoded_max(size_t n);

/* Encode n bytes of in into out, which has room for
 * base64_encoded_len(n) + 1 characters; out is NUL-terminated. */
void base64_encode(const void *in, size_t n, char *out);

/*
 * Decode n characters of in into out (room for base64_decoded_max(n)
 * bytes); *outlen receives the bytes written. Returns 0, or -EINVAL if in
 * is not canonical padded standard base64 (out is then unspecified).
 */
int base64_decode(const char *in, size_t n, void *out, size_t *outlen);

#endif
