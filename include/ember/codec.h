/*
 * codec.h - canonical binary encoding primitives.
 *
 * One canonical byte form per value: little-endian fixed-width integers,
 * unsigned LEB128 varints that must be minimal (no trailing 0x80 0x00 forms,
 * at most 10 bytes, no overflow past 64 bits).  Decoders built on this are
 * strict: any short read, overlong varint or leftover byte is an error.
 *
 * No allocation.  A writer writes into caller memory and latches the first
 * error (buffer too small) so encoders can write straight-line code and check
 * once at the end.
 */
#ifndef EMBER_CODEC_H
#define EMBER_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

struct ember_wbuf {
	uint8_t *p;     /* caller-owned output buffer (may be NULL to only count) */
	size_t cap;     /* size of p */
	size_t len;     /* bytes written so far (or that would have been) */
	int err;        /* 0, or EMBER_ENC_BUFFER once something did not fit */
};

struct ember_rbuf {
	const uint8_t *p;  /* caller-owned input, not copied */
	size_t len;
	size_t off;        /* read position */
};

/* Writer. When p is NULL the writer only counts (len grows, err stays 0). */
void ember_wbuf_init(struct ember_wbuf *w, uint8_t *p, size_t cap);
void ember_put_u8(struct ember_wbuf *w, uint8_t v);
void ember_put_u32(struct ember_wbuf *w, uint32_t v);
void ember_put_u64(struct ember_wbuf *w, uint64_t v);
void ember_put_varint(struct ember_wbuf *w, uint64_t v);
void ember_put_bytes(struct ember_wbuf *w, const void *src, size_t n);
/* Bytes this value takes as a varint (1..10). */
size_t ember_varint_size(uint64_t v);

/* Reader. Each returns 0 or EMBER_ENC_TRUNCATED / EMBER_ENC_VARINT and on
 * failure leaves *out untouched. */
void ember_rbuf_init(struct ember_rbuf *r, const uint8_t *p, size_t len);
EMBER_WUR int ember_get_u8(struct ember_rbuf *r, uint8_t *out);
EMBER_WUR int ember_get_u32(struct ember_rbuf *r, uint32_t *out);
EMBER_WUR int ember_get_u64(struct ember_rbuf *r, uint64_t *out);
EMBER_WUR int ember_get_varint(struct ember_rbuf *r, uint64_t *out);
/* Copy n bytes into out. */
EMBER_WUR int ember_get_bytes(struct ember_rbuf *r, void *out, size_t n);
/* Point *out at the next n bytes of the input without copying (valid as long
 * as the input buffer is). */
EMBER_WUR int ember_get_view(struct ember_rbuf *r, const uint8_t **out, size_t n);
/* Returns: 0 when every byte was consumed, EMBER_ENC_TRAILING otherwise. */
EMBER_WUR int ember_rbuf_done(const struct ember_rbuf *r);

/* Little-endian helpers for fixed-width keys and values. */
static inline void ember_le16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline uint16_t ember_le16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline void ember_le32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t ember_le32_get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}
static inline void ember_le64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint64_t ember_le64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}
/* Big-endian, for LMDB keys that must sort numerically (block heights). */
static inline void ember_be32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static inline uint32_t ember_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	       (uint32_t)p[3];
}
static inline void ember_be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}
static inline uint64_t ember_be64_get(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Hex.  ember_hex_encode writes 2n chars plus NUL into out (size >= 2n+1).
 * ember_hex_decode accepts upper or lower case, needs an even hexlen with
 * hexlen/2 <= outcap (callers wanting an exact size check *written), and
 * returns EMBER_EPARSE on a bad character or length (out is then
 * unspecified, possibly partly written);
 * *written gets the byte count (may be NULL). */
void ember_hex_encode(const uint8_t *in, size_t n, char *out);
EMBER_WUR int ember_hex_decode(const char *hex, size_t hexlen, uint8_t *out,
                               size_t outcap, size_t *written);

/* Checked u64 arithmetic. Returns 1 on success (result in *out), 0 on
 * overflow / underflow (*out untouched). */
static inline int ember_add_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	uint64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return 0;
	*out = r;
	return 1;
}
static inline int ember_sub_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	if (b > a)
		return 0;
	*out = a - b;
	return 1;
}
static inline int ember_mul_u64(uint64_t a, uint64_t b, uint64_t *out)
{
	uint64_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return 0;
	*out = r;
	return 1;
}

#endif
