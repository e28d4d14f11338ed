/*
 * gpukernel.h - the GPU proof's kernel math, in one header that compiles
 * as C11 and as CUDA, so the CPU reference and the GPU prover compute the
 * same bits by construction (DESIGN.md, "GPU proofs"; docs/proofs.md).
 *
 * Matrices.  A challenge seed (32 bytes) is a ChaCha20 key (RFC 8439: 20
 * rounds, 32-bit block counter, 96-bit nonce).  Two keystreams:
 *   stream A: nonce = le32 0x41 ('A') || 0 || 0
 *   stream B: nonce = le32 0x42 ('B') || 0 || 0
 * Element e of a stream is keystream byte e, read as int8 (two's
 * complement); byte e is byte e % 64 of block counter e / 64.
 *   A[i][k] = A-stream element i*N + k      (row-major: a row is contiguous)
 *   B[k][j] = B-stream element j*N + k      (column-major: a column is)
 *   C[i][j] = sum_k A[i][k] * B[k][j], exact in int32
 * |C[i][j]| <= N * 128 * 128 <= 2^30 for N <= 65536, so int32 never
 * overflows.  With N a power of two >= 64 every row of A and column of B
 * starts on a block boundary: row i is blocks i*N/64 .. (i+1)*N/64 - 1.
 * The block counter is 32-bit and N*N/64 <= 2^26, so it never wraps.
 *
 * Everything here is a static inline function of its arguments: no
 * globals, no allocation, no host-only calls (usable in __device__ code).
 * The keystream must equal libsodium's crypto_stream_chacha20_ietf; the
 * tests check it against libsodium and RFC 8439's block-function vector.
 */
#ifndef EMBER_GPUKERNEL_H
#define EMBER_GPUKERNEL_H

#include <stdint.h>

#ifdef __CUDACC__
#define EK_FN static inline __host__ __device__
#else
#define EK_FN static inline
#endif

#define EK_STREAM_A 0x41u
#define EK_STREAM_B 0x42u
#define EK_BLOCK 64                 /* bytes (= elements) per ChaCha20 block */

#define EK_ROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define EK_QR(a, b, c, d) do { \
	a += b; d ^= a; d = EK_ROTL(d, 16); \
	c += d; b ^= c; b = EK_ROTL(b, 12); \
	a += b; d ^= a; d = EK_ROTL(d, 8); \
	c += d; b ^= c; b = EK_ROTL(b, 7); \
} while (0)

/* Little-endian load of a 32-byte seed into the 8 key words. */
EK_FN void ek_key(const uint8_t seed[32], uint32_t key[8])
{
	for (int i = 0; i < 8; i++)
		key[i] = (uint32_t)seed[4 * i] | (uint32_t)seed[4 * i + 1] << 8 |
		         (uint32_t)seed[4 * i + 2] << 16 | (uint32_t)seed[4 * i + 3] << 24;
}

/*
 * RFC 8439 section 2.3: the ChaCha20 block function.  out gets the 16
 * state words after the final addition; serialised little-endian they are
 * the 64 keystream bytes of block `counter`.
 */
EK_FN void ek_chacha20_block(const uint32_t key[8], uint32_t counter,
                             const uint32_t nonce[3], uint32_t out[16])
{
	uint32_t s[16], x[16];
	s[0] = 0x61707865u; s[1] = 0x3320646eu; s[2] = 0x79622d32u; s[3] = 0x6b206574u;
	for (int i = 0; i < 8; i++)
		s[4 + i] = key[i];
	s[12] = counter;
	s[13] = nonce[0]; s[14] = nonce[1]; s[15] = nonce[2];
	for (int i = 0; i < 16; i++)
		x[i] = s[i];
	for (int r = 0; r < 10; r++) {
		EK_QR(x[0], x[4], x[8], x[12]);
		EK_QR(x[1], x[5], x[9], x[13]);
		EK_QR(x[2], x[6], x[10], x[14]);
		EK_QR(x[3], x[7], x[11], x[15]);
		EK_QR(x[0], x[5], x[10], x[15]);
		EK_QR(x[1], x[6], x[11], x[12]);
		EK_QR(x[2], x[7], x[8], x[13]);
		EK_QR(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++)
		out[i] = x[i] + s[i];
}

/* The 64 int8 elements of block `blk` of stream (EK_STREAM_A/_B). */
EK_FN void ek_gen_block(const uint32_t key[8], uint32_t stream, uint32_t blk,
                        int8_t out[EK_BLOCK])
{
	const uint32_t nonce[3] = { stream, 0, 0 };
	uint32_t w[16];
	ek_chacha20_block(key, blk, nonce, w);
	for (int i = 0; i < 16; i++) {
		out[4 * i] = (int8_t)(uint8_t)w[i];
		out[4 * i + 1] = (int8_t)(uint8_t)(w[i] >> 8);
		out[4 * i + 2] = (int8_t)(uint8_t)(w[i] >> 16);
		out[4 * i + 3] = (int8_t)(uint8_t)(w[i] >> 24);
	}
}

/*
 * n consecutive elements of a stream starting at element `first` (a
 * multiple of 64, n a multiple of 64): a row of A is
 * ek_gen(key, EK_STREAM_A, i*N, N, out), a column of B is
 * ek_gen(key, EK_STREAM_B, j*N, N, out).
 */
EK_FN void ek_gen(const uint32_t key[8], uint32_t stream, uint64_t first,
                  uint32_t n, int8_t *out)
{
	uint32_t blk = (uint32_t)(first / EK_BLOCK);
	for (uint32_t off = 0; off < n; off += EK_BLOCK)
		ek_gen_block(key, stream, blk++, out + off);
}

/* One element of a stream (tests and spot checks; slow). */
EK_FN int8_t ek_elem(const uint32_t key[8], uint32_t stream, uint64_t e)
{
	int8_t b[EK_BLOCK];
	ek_gen_block(key, stream, (uint32_t)(e / EK_BLOCK), b);
	return b[e % EK_BLOCK];
}

/* Exact int32 dot product of two int8 vectors (a row of A, a column of B). */
EK_FN int32_t ek_dot(const int8_t *a, const int8_t *b, uint32_t n)
{
	int32_t acc = 0;
	for (uint32_t k = 0; k < n; k++)
		acc += (int32_t)a[k] * (int32_t)b[k];
	return acc;
}

#endif
