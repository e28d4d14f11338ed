/*
 * cwal.h - the consensus write-ahead log: every proposal, vote and fired
 * timeout a validator's state machine (bft.h) was fed, so that a
 * validator killed in the middle of a height resumes it where it was -
 * same round, same lock, same valid value - instead of starting it again
 * at round 0 with nothing but its signing guard (guard.h).  CometBFT's
 * consensus WAL is the model.
 *
 * One file per data directory, DIR/cons.wal, appended to and never
 * rewritten; when it passes CONS_WAL_ROTATE bytes at the start of a
 * height it is renamed to DIR/cons.wal.1 (replacing the older one) and a
 * new one begins, so the log of the height in progress is always whole
 * in DIR/cons.wal.
 *
 * Record (integers little-endian):
 *
 *   magic "ECWL" (4) | le32 payload_len | payload |
 *   SHA-256 of everything before it in the record (32)
 *
 *   payload: u8 kind | u8 own | le64 height | body
 *
 *   CONS_WAL_HEIGHT    (the node starts deciding `height`)  body: empty
 *   CONS_WAL_PROPOSAL  le32 round | le32 pol_round (two's complement,
 *                      -1 = none) | value (32) | le32 proposer |
 *                      sig (64) | le32 blklen | the block's bytes
 *   CONS_WAL_VOTE      u8 type | u8 nil | le32 round | value (32) |
 *                      le32 validator | le64 time_ms | sig (64)
 *   CONS_WAL_TIMEOUT   u8 step | le32 round
 *
 * own is 1 for what this node signed itself (its proposals and votes),
 * else 0.  A proposal or vote body holds exactly the fields of struct
 * bft_proposal / struct bft_vote (height from the payload header), so a
 * replay feeds the machine the same inputs.
 *
 * Durability: cons_wal_append with sync = 1 writes and fdatasyncs (a
 * node does that for what it signs, before the signature leaves the
 * process, which also makes every earlier record durable); sync = 0
 * only writes.  A kill -9 during an append leaves at most one torn record
 * at the very end: open cuts it off (saying how many bytes on stderr).
 * A record that fails its hash or parse with more bytes after it is
 * damage: open refuses with EMBER_STORE_DAMAGED and a message naming the
 * file, the byte offset and what is wrong (the signing guard still keeps
 * the validator from signing twice if the file is moved away).
 *
 * Not thread-safe: owned by the node's loop thread.
 */
#ifndef EMBER_CWAL_H
#define EMBER_CWAL_H

#include <stddef.h>
#include <stdint.h>
#include "bft.h"
#include "error.h"

#define CONS_WAL_FILE "cons.wal"
#define CONS_WAL_OLD "cons.wal.1"
#define CONS_WAL_ROTATE (64u << 20)     /* bytes, checked at a height start */
#define CONS_WAL_BLOCK_MAX (64u << 20)  /* a proposal's block, at most */

enum cons_wal_kind {
	CONS_WAL_HEIGHT = 1,
	CONS_WAL_PROPOSAL = 2,
	CONS_WAL_VOTE = 3,
	CONS_WAL_TIMEOUT = 4
};

struct cons_wal_rec {
	uint8_t kind;                   /* enum cons_wal_kind */
	uint8_t own;                    /* 1: signed by this node */
	uint64_t height;
	union {
		struct {
			struct bft_proposal p;  /* p.height == height */
			const uint8_t *blk;     /* not owned; see the callbacks */
			size_t blklen;
		} prop;
		struct bft_vote vote;       /* vote.height == height */
		struct {
			uint8_t step;           /* enum bft_step */
			uint32_t round;
		} timeout;
	} u;
};

struct cons_wal;

/* Called for each record, in file order.  r (and the block it points to)
 * is valid only during the call.  Return 0 to go on; anything else stops
 * the walk and is returned by the function that called back. */
typedef int (*cons_wal_cb)(void *ctx, const struct cons_wal_rec *r);

/*
 * Open DIR/cons.wal, creating it (mode 0600, the directory fsynced) if
 * missing.  The whole file is checked: a torn tail is truncated away, and
 * the offset of the last CONS_WAL_HEIGHT record is remembered for
 * cons_wal_replay.  The file is left positioned for appends.
 * Returns: 0; EMBER_STORE_DAMAGED (message in err); EMBER_EIO; EMBER_ENOMEM.
 */
EMBER_WUR int cons_wal_open(struct cons_wal **out, const char *dir, char *err,
                            size_t errlen);
void cons_wal_free(struct cons_wal *w);

/*
 * Hand cb the records of height h that follow the last CONS_WAL_HEIGHT
 * record, when that record is for h; nothing when the log's last height
 * is another one (or the log holds none).  Does not move the append
 * position.  Returns: 0, EMBER_EIO, EMBER_ENOMEM, or cb's non-zero return.
 */
EMBER_WUR int cons_wal_replay(struct cons_wal *w, uint64_t h, cons_wal_cb cb,
                              void *ctx);

/*
 * Append r (sync: fdatasync too).  A CONS_WAL_HEIGHT record first
 * rotates the file if it holds CONS_WAL_ROTATE bytes or more.  On failure
 * the file is cut back to where it was, so no partial record stays.
 * Returns: 0; EMBER_EINVAL (unknown kind, a block over
 * CONS_WAL_BLOCK_MAX, a height that disagrees with the body's);
 * EMBER_STORE_DISK_FULL; EMBER_EIO; EMBER_ENOMEM.
 */
EMBER_WUR int cons_wal_append(struct cons_wal *w, const struct cons_wal_rec *r,
                              int sync);

/* Bytes in DIR/cons.wal now. */
uint64_t cons_wal_size(const struct cons_wal *w);

/*
 * Read a whole log file (either one; nothing is changed) and hand every
 * record to cb in order, for tools and tests.  A torn last record is
 * reported in err and ends the walk with 0; damage before the end is
 * EMBER_STORE_DAMAGED with the offset in err.
 * Returns: 0, EMBER_STORE_DAMAGED, EMBER_EIO, EMBER_ENOMEM, cb's return.
 */
EMBER_WUR int cons_wal_read_file(const char *path, cons_wal_cb cb, void *ctx,
                                 char *err, size_t errlen);

#endif
