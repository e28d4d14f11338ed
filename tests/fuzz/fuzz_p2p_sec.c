/*
 * fuzz_p2p_sec.c - libFuzzer target for the encrypted channel (p2psec.h),
 * as the responder sees it.
 *
 * The input is what a peer sends: its HELLO0, its AUTH frame, then frames.
 * Every call must return one of its documented codes, a failure must
 * leave the channel closed, and every frame that opens must seal back to
 * a frame of the same length.
 *
 * An AUTH that opens needs keys agreed with the responder's ephemeral
 * key, so libsodium's randomness is replaced by a fixed stream restarted
 * for every input: the responder's ephemeral key is then the same each
 * run, and the seeds in corpus/fuzz_p2p_sec/ (a real initiator's
 * transcript against it) get past the handshake.  Changing fuz_rng_buf or
 * the node key below makes those seeds stop at the AUTH frame; write them
 * again.  Built with -DEMBER_LIBFUZZER under clang; otherwise main()
 * replays files or directories given on the command line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ember/p2psec.h"

#include "fuzz.h"

static uint64_t fuz_rng_state;

/* splitmix64: a test double for the RNG, not a source of secrets. */
static uint64_t fuz_rng_next(void)
{
	uint64_t z = (fuz_rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fuz_rng_buf(void *buf, size_t n)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)fuz_rng_next();
}

static uint32_t fuz_rng_random(void)
{
	return (uint32_t)fuz_rng_next();
}

static const char *fuz_rng_name(void)
{
	return "fuzz-fixed";
}

static randombytes_implementation fuz_rng = {
	.implementation_name = fuz_rng_name,
	.random = fuz_rng_random,
	.buf = fuz_rng_buf,
};

static struct ember_keypair fuz_key;   /* the responder's node key */

/* Once per process; the RNG must be swapped before sodium_init. */
static void fuz_init(void)
{
	static int done;
	uint8_t sk[32];

	if (done)
		return;
	FUZZ_CHECK(randombytes_set_implementation(&fuz_rng) == 0);
	FUZZ_CHECK(sodium_init() >= 0);
	memset(sk, 0x22, sizeof sk);
	FUZZ_CHECK(ember_keypair_from_seckey(&fuz_key, sk) == 0);
	done = 1;
}

/* A new responder whose ephemeral key is the same on every call. */
static struct p2p_sec *fuz_responder(void)
{
	struct p2p_sec *s = NULL;

	fuz_init();
	fuz_rng_state = 0;
	FUZZ_CHECK(p2p_sec_new(&s, 0, &fuz_key, NULL) == 0);
	return s;
}

/* Opens the frames in data; stops at the first one that is cut short,
 * out of bounds or does not open. */
static void fuz_frames(struct p2p_sec *s, const uint8_t *data, size_t size)
{
	while (size >= 4) {
		size_t body = p2p_sec_frame_len(data), mlen = 0, olen = 0;
		uint8_t *f, *out;
		int rc;

		if (!body || size - 4 < body)
			return;
		f = malloc(4 + body);
		out = malloc(4 + body);
		FUZZ_CHECK(f && out);
		memcpy(f, data, 4 + body);
		/* In place, as p2p_net.c is allowed to. */
		rc = p2p_sec_unseal(s, f, 4 + body, f + 4, body - P2P_TAG_LEN, &mlen);
		FUZZ_CHECK(rc == 0 || rc == EMBER_P2P_FRAME);
		FUZZ_CHECK(p2p_sec_open(s) == (rc == 0));
		if (rc == 0) {
			FUZZ_CHECK(mlen == body - P2P_TAG_LEN);
			FUZZ_CHECK(p2p_sec_seal(s, f + 4, mlen, out, 4 + body, &olen) == 0);
			FUZZ_CHECK(olen == 4 + body && p2p_sec_frame_len(out) == body);
		}
		free(f);
		free(out);
		if (rc != 0)
			return;
		data += 4 + body;
		size -= 4 + body;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct p2p_sec *s = fuz_responder();
	uint8_t hello[P2P_HELLO0_LEN], auth[P2P_AUTH_FRAME_LEN];
	int rc;

	p2p_sec_hello0(s, hello);
	FUZZ_CHECK(memcmp(hello, "EMB1\x02\x00", 6) == 0);
	if (size < P2P_HELLO0_LEN)
		goto out;
	rc = p2p_sec_on_hello0(s, data, auth);
	FUZZ_CHECK(rc == 0 || rc == EMBER_P2P_HANDSHAKE);
	if (rc != 0) {
		FUZZ_CHECK(p2p_sec_on_auth(s, auth) == EMBER_EINVAL);
		goto out;
	}
	FUZZ_CHECK(p2p_sec_frame_len(auth) == P2P_AUTH_LEN + P2P_TAG_LEN);
	data += P2P_HELLO0_LEN;
	size -= P2P_HELLO0_LEN;
	if (size < P2P_AUTH_FRAME_LEN)
		goto out;
	/* No id is pinned on this side, so EMBER_P2P_PEER_ID cannot occur. */
	rc = p2p_sec_on_auth(s, data);
	FUZZ_CHECK(rc == 0 || rc == EMBER_P2P_HANDSHAKE);
	FUZZ_CHECK(p2p_sec_open(s) == (rc == 0));
	if (rc != 0)
		goto out;
	fuz_frames(s, data + P2P_AUTH_FRAME_LEN, size - P2P_AUTH_FRAME_LEN);
out:
	p2p_sec_free(s);
	return 0;
}

#define FUZZ_NAME "fuzz_p2p_sec"
#define FUZZ_REPLAY_MAIN
#include "fuzz.h"
