// SPDX-License-Identifier: GPL-2.0-or-later
// base64: standard alphabet with padding (RFC 4648 section 4), strict decoder.
#include "base64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

static const char alphabet[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t base64_encoded_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

size_t base64_decoded_max(size_t n)
{
	return n / 4 * 3;
}

void base64_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
}

/* The 6-bit value of c, or -1 for anything outside the standard alphabet
 * (computed rather than tabled: no table to get wrong, and it is not on
 * a hot path). */
static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(const char *in, size_t n, void *out, size_t *outlen)
{
	unsigned char *q = out;
	size_t o = 0;
	*outlen = 0;
	if (n % 4 != 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i += 4) {
		int a = sextet(in[i]), b = sextet(in[i + 1]);
		int c = sextet(in[i + 2]), d = sextet(in[i + 3]);
		bool last = i + 4 == n;
		if (a < 0 || b < 0)
			return -EINVAL;
		/* '=' only in the last group: "xx==" or "xxx=". */
		int pad = 0;
		if (last && in[i + 2] == '=' && in[i + 3] == '=')
			pad = 2;
		else if (last && c >= 0 && in[i + 3] == '=')
			pad = 1;
		else if (c < 0 || d < 0)
			return -EINVAL;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12;
		if (pad < 2)
			v |= (uint32_t)c << 6;
		if (pad < 1)
			v |= (uint32_t)d;
		/* Canonical: the bits the padding leaves over must be zero. */
		if ((pad == 2 && (v & 0xffff)) || (pad == 1 && (v & 0xff)))
			return -EINVAL;
		q[o++] = (unsigned char)(v >> 16);
		if (pad < 2)
			q[o++] = (unsigned char)(v >> 8);
		if (pad < 1)
			q[o++] = (unsigned char)v;
	}
	*outlen = o;
	return 0;
}
