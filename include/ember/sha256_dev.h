/*
 * sha256_dev.h - SHA-256 (FIPS 180-4) in one header that compiles as C11
 * and as CUDA (__host__ __device__), for the GPU prover's Merkle tree and
 * grinding search: OpenSSL does not run on a GPU.  Everywhere else the
 * node hashes with OpenSSL (hash.h); tests/unit/test_sha256_dev.c checks
 * this code against it on the host, for every length up to a few blocks
 * and for each fixed layout below.
 *
 * Word interface: a state is 8 words and a block 16 big-endian words, so
 * a kernel can build a fixed-layout block in registers and a midstate can
 * be carried from the host.  sd_sha256() is the byte interface.
 *
 * Everything here is a static inline function of its arguments: no
 * globals, no tables in memory (the round constants are immediates), no
 * allocation, no library calls.
 */
#ifndef EMBER_SHA256_DEV_H
#define EMBER_SHA256_DEV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define SD_FN static inline __host__ __device__
#else
#define SD_FN static inline
#endif

#define SD_ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define SD_CH(x, y, z) (((x) & (y)) ^ (~(x) & (z)))
#define SD_MAJ(x, y, z) (((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define SD_BSIG0(x) (SD_ROTR(x, 2) ^ SD_ROTR(x, 13) ^ SD_ROTR(x, 22))
#define SD_BSIG1(x) (SD_ROTR(x, 6) ^ SD_ROTR(x, 11) ^ SD_ROTR(x, 25))
#define SD_SSIG0(x) (SD_ROTR(x, 7) ^ SD_ROTR(x, 18) ^ ((x) >> 3))
#define SD_SSIG1(x) (SD_ROTR(x, 17) ^ SD_ROTR(x, 19) ^ ((x) >> 10))

/*
 * One round (FIPS 180-4 6.2.2 step 3).  Instead of shifting a..h along,
 * the caller names them in rotated order: the round writes the new e into
 * d's variable and the new a into h's.
 */
#define SD_RND(a, b, c, d, e, f, g, h, k, w) do { \
	uint32_t t1_ = (h) + SD_BSIG1(e) + SD_CH(e, f, g) + (k) + (w); \
	uint32_t t2_ = SD_BSIG0(a) + SD_MAJ(a, b, c); \
	(d) += t1_; \
	(h) = t1_ + t2_; \
} while (0)

/* W[t] for t < 16, and for t >= 16 computed in place in a 16-word window. */
#define SD_W0(t) (w[(t) & 15])
#define SD_WX(t) (w[(t) & 15] += SD_SSIG1(w[((t) - 2) & 15]) + \
                  w[((t) - 7) & 15] + SD_SSIG0(w[((t) - 15) & 15]))

/* Rounds t .. t+7 with constants k0..k7. */
#define SD_8(t, W, k0, k1, k2, k3, k4, k5, k6, k7) do { \
	SD_RND(a, b, c, d, e, f, g, h, k0, W((t) + 0)); \
	SD_RND(h, a, b, c, d, e, f, g, k1, W((t) + 1)); \
	SD_RND(g, h, a, b, c, d, e, f, k2, W((t) + 2)); \
	SD_RND(f, g, h, a, b, c, d, e, k3, W((t) + 3)); \
	SD_RND(e, f, g, h, a, b, c, d, k4, W((t) + 4)); \
	SD_RND(d, e, f, g, h, a, b, c, k5, W((t) + 5)); \
	SD_RND(c, d, e, f, g, h, a, b, k6, W((t) + 6)); \
	SD_RND(b, c, d, e, f, g, h, a, k7, W((t) + 7)); \
} while (0)

SD_FN uint32_t sd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

SD_FN void sd_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The initial hash value H(0) (FIPS 180-4 5.3.3). */
SD_FN void sd_sha256_init(uint32_t st[8])
{
	st[0] = 0x6a09e667u; st[1] = 0xbb67ae85u; st[2] = 0x3c6ef372u; st[3] = 0xa54ff53au;
	st[4] = 0x510e527fu; st[5] = 0x9b05688cu; st[6] = 0x1f83d9abu; st[7] = 0x5be0cd19u;
}

/* Fold one block (16 big-endian words) into the state. */
SD_FN void sd_sha256_compress(uint32_t st[8], const uint32_t blk[16])
{
	uint32_t w[16];
	uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
	uint32_t e = st[4], f = st[5], g = st[6], h = st[7];

	for (int i = 0; i < 16; i++)
		w[i] = blk[i];
	SD_8(0, SD_W0, 0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u,
	     0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u);
	SD_8(8, SD_W0, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
	     0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u);
	SD_8(16, SD_WX, 0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
	     0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau);
	SD_8(24, SD_WX, 0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
	     0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u);
	SD_8(32, SD_WX, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
	     0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u);
	SD_8(40, SD_WX, 0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u,
	     0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u);
	SD_8(48, SD_WX, 0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u,
	     0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u);
	SD_8(56, SD_WX, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
	     0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u);
	st[0] += a; st[1] += b; st[2] += c; st[3] += d;
	st[4] += e; st[5] += f; st[6] += g; st[7] += h;
}

/* The first n bytes (n <= 32) of the digest a final state stands for. */
SD_FN void sd_sha256_out(const uint32_t st[8], uint8_t *out, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = (uint8_t)(st[i / 4] >> (24 - 8 * (i % 4)));
}

/* Fold len bytes (a multiple of 64) into the state. */
SD_FN void sd_sha256_blocks(uint32_t st[8], const uint8_t *p, size_t len)
{
	uint32_t w[16];

	for (size_t off = 0; off < len; off += 64) {
		for (int i = 0; i < 16; i++)
			w[i] = sd_be32(p + off + 4 * i);
		sd_sha256_compress(st, w);
	}
}

/*
 * Finish a message of total bytes whose first total - len bytes (a
 * multiple of 64) are already in st and whose last len bytes (any length)
 * are p: the remaining blocks, the padding and the bit length (5.1.1).
 */
SD_FN void sd_sha256_finish(uint32_t st[8], const uint8_t *p, size_t len,
                            uint64_t total)
{
	uint8_t tail[128];
	size_t full = len / 64 * 64, rem = len - full, nb;
	uint64_t bits = total * 8;

	sd_sha256_blocks(st, p, full);
	for (size_t i = 0; i < sizeof tail; i++)
		tail[i] = 0;
	for (size_t i = 0; i < rem; i++)
		tail[i] = p[full + i];
	tail[rem] = 0x80;
	nb = rem < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[nb - 1 - i] = (uint8_t)(bits >> (8 * i));
	sd_sha256_blocks(st, tail, nb);
}

/* SHA-256 of len bytes. */
SD_FN void sd_sha256(const uint8_t *p, size_t len, uint8_t out[32])
{
	uint32_t st[8];

	sd_sha256_init(st);
	sd_sha256_finish(st, p, len, len);
	sd_sha256_out(st, out, 32);
}

/*
 * Leading zero bits of the digest a final state stands for, bit 7 of its
 * first byte first (256 for an all-zero digest).
 */
SD_FN unsigned sd_lead_zeros(const uint32_t st[8])
{
	unsigned z = 0;

	for (int i = 0; i < 8; i++) {
		uint32_t v = st[i];

		if (v == 0) {
			z += 32;
			continue;
		}
#ifdef __CUDA_ARCH__
		return z + (unsigned)__clz(v);
#else
		while (!(v & 0x80000000u)) {
			v <<= 1;
			z++;
		}
		return z;
#endif
	}
	return z;
}

/* --- the GPU proof's fixed layouts (proof.h) ---------------------------- */

/* Leaf hash: SHA-256(0x00 || 32-byte leaf)[0..20). */
SD_FN void sd_proof_leaf(const uint8_t leaf[32], uint8_t out[20])
{
	uint8_t m[33];
	uint32_t st[8];

	m[0] = 0x00;
	for (int i = 0; i < 32; i++)
		m[1 + i] = leaf[i];
	sd_sha256_init(st);
	sd_sha256_finish(st, m, sizeof m, sizeof m);
	sd_sha256_out(st, out, 20);
}

/* Node hash: SHA-256(0x01 || left 20 || right 20)[0..20). */
SD_FN void sd_proof_node(const uint8_t left[20], const uint8_t right[20],
                         uint8_t out[20])
{
	uint8_t m[41];
	uint32_t st[8];

	m[0] = 0x01;
	for (int i = 0; i < 20; i++) {
		m[1 + i] = left[i];
		m[21 + i] = right[i];
	}
	sd_sha256_init(st);
	sd_sha256_finish(st, m, sizeof m, sizeof m);
	sd_sha256_out(st, out, 20);
}

/*
 * The grinding hash t = tagged_hash(tag, head || le64 nonce) for a fixed
 * 52-byte head (seed 32 || root 20), as hash.h defines tagged hashes:
 * SHA-256(SHA-256(tag) || SHA-256(tag) || msg).  The 64 tag bytes are one
 * block, kept as a midstate; the 60-byte message and its padding are two
 * more blocks, of which only words 13 and 14 (the nonce) change per try.
 */
struct sd_tagged60 {
	uint32_t mid[8];        /* state after SHA-256(tag) || SHA-256(tag) */
	uint32_t head[13];      /* the 52 head bytes as big-endian words */
};

SD_FN void sd_tagged60_init(struct sd_tagged60 *p, const uint8_t *tag,
                            size_t taglen, const uint8_t head[52])
{
	uint8_t th[64];

	sd_sha256(tag, taglen, th);
	for (int i = 0; i < 32; i++)
		th[32 + i] = th[i];
	sd_sha256_init(p->mid);
	sd_sha256_blocks(p->mid, th, sizeof th);
	for (int i = 0; i < 13; i++)
		p->head[i] = sd_be32(head + 4 * i);
}

/* Byte-swap: the le64 nonce's bytes read as big-endian words. */
SD_FN uint32_t sd_bswap32(uint32_t v)
{
	return v >> 24 | (v >> 8 & 0xff00u) | (v << 8 & 0xff0000u) | v << 24;
}

/* Final state of t for this nonce (sd_sha256_out gives t's bytes). */
SD_FN void sd_tagged60_state(const struct sd_tagged60 *p, uint64_t nonce,
                             uint32_t st[8])
{
	uint32_t w[16];

	for (int i = 0; i < 8; i++)
		st[i] = p->mid[i];
	for (int i = 0; i < 13; i++)
		w[i] = p->head[i];
	w[13] = sd_bswap32((uint32_t)nonce);
	w[14] = sd_bswap32((uint32_t)(nonce >> 32));
	w[15] = 0x80000000u;
	sd_sha256_compress(st, w);
	for (int i = 0; i < 15; i++)
		w[i] = 0;
	w[15] = (64 + 60) * 8;
	sd_sha256_compress(st, w);
}

#endif
