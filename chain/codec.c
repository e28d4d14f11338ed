/*
 * codec.c - canonical binary encoding primitives (see codec.h).
 *
 * Every decoder in the node sits on these readers, so canonical form is
 * enforced here once: a varint has exactly one accepted spelling, and a
 * reader that fails leaves both its position and the output untouched.
 */
#include "ember/codec.h"

#include <string.h>

void ember_wbuf_init(struct ember_wbuf *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p ? cap : 0;
	w->len = 0;
	w->err = 0;
}

/*
 * All writes go through here.  len always advances, so a counting writer
 * (p == NULL) and a writer that ran out of room both report the size the
 * full encoding needs; only a real buffer that is too small latches err.
 */
void ember_put_bytes(struct ember_wbuf *w, const void *src, size_t n)
{
	if (w->p && !w->err) {
		if (n > w->cap - w->len)
			w->err = EMBER_ENC_BUFFER;
		else if (n)
			memcpy(w->p + w->len, src, n);
	}
	w->len += n;
}

void ember_put_u8(struct ember_wbuf *w, uint8_t v)
{
	ember_put_bytes(w, &v, 1);
}

void ember_put_u32(struct ember_wbuf *w, uint32_t v)
{
	uint8_t b[4];
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	ember_put_bytes(w, b, 4);
}

void ember_put_u64(struct ember_wbuf *w, uint64_t v)
{
	uint8_t b[8];
	ember_le64_put(b, v);
	ember_put_bytes(w, b, 8);
}

void ember_put_varint(struct ember_wbuf *w, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;
	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	ember_put_bytes(w, b, n);
}

size_t ember_varint_size(uint64_t v)
{
	size_t n = 1;
	while (v >>= 7)
		n++;
	return n;
}

void ember_rbuf_init(struct ember_rbuf *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
}

int ember_get_view(struct ember_rbuf *r, const uint8_t **out, size_t n)
{
	if (n > r->len - r->off)
		return EMBER_ENC_TRUNCATED;
	*out = r->p + r->off;
	r->off += n;
	return 0;
}

int ember_get_bytes(struct ember_rbuf *r, void *out, size_t n)
{
	const uint8_t *v;
	int rc = ember_get_view(r, &v, n);
	if (rc)
		return rc;
	if (n)
		memcpy(out, v, n);
	return 0;
}

int ember_get_u8(struct ember_rbuf *r, uint8_t *out)
{
	return ember_get_bytes(r, out, 1);
}

int ember_get_u32(struct ember_rbuf *r, uint32_t *out)
{
	const uint8_t *v;
	int rc = ember_get_view(r, &v, 4);
	if (rc)
		return rc;
	*out = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 |
	       (uint32_t)v[3] << 24;
	return 0;
}

int ember_get_u64(struct ember_rbuf *r, uint64_t *out)
{
	const uint8_t *v;
	int rc = ember_get_view(r, &v, 8);
	if (rc)
		return rc;
	*out = ember_le64_get(v);
	return 0;
}

/*
 * Minimal LEB128.  Three ways to spell a value twice are closed: a final
 * 0x00 group after the first byte (e.g. 80 00 for 0), an 11th byte, and a
 * 10th byte carrying bits above bit 63 (which would also silently wrap).
 * A short input is TRUNCATED, not VARINT, so that every prefix of a valid
 * encoding fails the same way.
 */
int ember_get_varint(struct ember_rbuf *r, uint64_t *out)
{
	uint64_t v = 0;
	size_t off = r->off;
	for (unsigned i = 0;; i++) {
		if (off >= r->len)
			return EMBER_ENC_TRUNCATED;
		uint8_t b = r->p[off++];
		if (i == 9 && b > 0x01)
			return EMBER_ENC_VARINT;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			if (b == 0 && i > 0)
				return EMBER_ENC_VARINT;
			break;
		}
	}
	r->off = off;
	*out = v;
	return 0;
}

int ember_rbuf_done(const struct ember_rbuf *r)
{
	return r->off == r->len ? 0 : EMBER_ENC_TRAILING;
}

void ember_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Nibble value of each byte, 0x10 for anything that is not a hex digit, so
 * one pass both decodes and validates (OR of all entries has bit 4 set iff
 * a byte was bad): sendtx decodes every tx through here. */
static const uint8_t hex_val[256] = {
#define X16 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, \
	    0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10
	X16, X16, X16,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
	0x10, 10, 11, 12, 13, 14, 15, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
	X16,
	0x10, 10, 11, 12, 13, 14, 15, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
	X16, X16, X16, X16, X16, X16, X16, X16, X16
#undef X16
};
_Static_assert(sizeof(hex_val) == 256, "one entry per byte");

int ember_hex_decode(const char *hex, size_t hexlen, uint8_t *out,
                     size_t outcap, size_t *written)
{
	const unsigned char *h = (const unsigned char *)hex;
	uint8_t bad = 0;

	if (hexlen % 2 || hexlen / 2 > outcap)
		return EMBER_EPARSE;
	for (size_t i = 0; i < hexlen / 2; i++) {
		uint8_t hi = hex_val[h[2 * i]], lo = hex_val[h[2 * i + 1]];
		bad |= hi | lo;
		out[i] = (uint8_t)(hi << 4 | (lo & 0x0f));
	}
	if (bad & 0x10)
		return EMBER_EPARSE;
	if (written)
		*written = hexlen / 2;
	return 0;
}
