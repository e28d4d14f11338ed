/*
 * guard.h - the signing guard: a validator never signs two different blocks
 * (votes) for one (height, round, step).  CometBFT's privval last-sign
 * state is the model.
 *
 * One small file beside the validator key, DIR/sign_guard, holds the last
 * signature this key was about to make and the block it was for:
 *
 *   offset  size  field
 *   0       8     magic "EMBGUARD"
 *   8       4     le32 version (1)
 *   12      8     le64 height
 *   20      4     le32 round
 *   24      1     step (EMBER_VOTE_PREVOTE, EMBER_VOTE_PRECOMMIT, ...)
 *   25      32    block id (the block hash)
 *   57      4     le32 block length n (0: no block kept)
 *   61      n     the block's encoding
 *   61+n    32    SHA-256 of bytes 0 .. 61+n
 *
 * It is written to DIR/sign_guard.tmp, fsynced, renamed over the old file,
 * and the directory fsynced, all before the signature is made: a crash at
 * any point leaves either the old record or the new one, never a signature
 * the file does not cover.  The block is kept so that a node killed
 * between signing and its ledger commit commits that same block on restart
 * instead of building (and signing) a different one.  The consensus issue
 * extends the steps (proposal, nil votes); the format stays.
 *
 * Rules (cons_guard_sign): a record at a higher (height, round) than the
 * last is always allowed; at the same (height, round) the same block id is
 * allowed at any step (signing it again is harmless), a different one only
 * at a later step; anything lower is refused.
 *
 * Not thread-safe: owned by the node's loop thread.
 */
#ifndef EMBER_GUARD_H
#define EMBER_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define CONS_GUARD_FILE "sign_guard"

struct cons_guard_rec {
	uint64_t height;
	uint32_t round;
	uint8_t step;
	uint8_t block_id[32];
};

struct cons_guard;

/*
 * Open the guard of directory dir (the datadir), reading DIR/sign_guard if
 * it exists.  err gets a message for a person.
 * Returns: 0, EMBER_ENOMEM, EMBER_EIO (cannot read), EMBER_STORE_DAMAGED
 * (the file exists but is not a whole guard record).
 */
EMBER_WUR int cons_guard_open(struct cons_guard **out, const char *dir,
                              char *err, size_t errlen);
void cons_guard_free(struct cons_guard *g);

/* The last record: returns 1 and fills *out, or 0 if nothing was signed. */
int cons_guard_last(const struct cons_guard *g, struct cons_guard_rec *out);
/* The block kept with the last record (NULL when none); valid until the
 * next cons_guard_sign or cons_guard_free. */
const uint8_t *cons_guard_block(const struct cons_guard *g, size_t *len);

/*
 * May this key sign r?  If so and r is new, make it durable (with blk, the
 * block it is for, blklen may be 0) before returning 0; the caller signs
 * only after 0.  why gets the reason on refusal.
 * Returns: 0, EMBER_STORE_GUARD (conflicts with the last record), EMBER_EIO
 * (the file could not be written and synced: do not sign),
 * EMBER_STORE_DISK_FULL (the same, for want of space), EMBER_ENOMEM.
 */
EMBER_WUR int cons_guard_sign(struct cons_guard *g,
                              const struct cons_guard_rec *r,
                              const uint8_t *blk, size_t blklen, char *why,
                              size_t whylen);

#endif
