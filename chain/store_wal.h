/*
 * store_wal.h - the ledger's write-ahead log (store.h): one flat file,
 * <dir>/ledger.wal, to which every committed write transaction is
 * appended as one record and made durable (write + fdatasync) before the
 * commit returns.  Used by store.c only.
 *
 * Why: an LMDB commit rewrites a whole 4 KiB page (and its branch pages)
 * per changed key, so with millions of accounts a block of random
 * transfers costs tens of MiB of page writes.  The store instead keeps
 * the changes of recent commits in memory and writes them into LMDB in
 * one large, sorted batch every so often (a "flush"); the log is what
 * makes a commit durable in between.  A record is sequential bytes, so a
 * commit costs one append and one fdatasync, whatever the state's size.
 *
 * Record (all integers little-endian):
 *
 *   magic "EWAL" (4) | le32 payload_len | le64 seq | le32 count |
 *   payload (payload_len bytes: count entries) |
 *   SHA-256 of everything before it in the record (32)
 *
 *   entry: u8 db | u8 present | le16 klen | le32 vlen | key | value
 *          (present 0: a deletion, vlen 0)
 *
 * seq numbers commits: the first record after a reset is flushed_seq + 1
 * and each next record is one more.  The ledger's LMDB meta holds the seq
 * of the last commit that a flush wrote into LMDB (flushed_seq); records
 * at or below it are already in LMDB and are skipped on replay.
 *
 * Crash semantics: a record is acknowledged (its commit returns 0) only
 * after fdatasync.  A kill -9 or power loss during an append leaves at
 * most one incomplete or unverifiable record, and only at the very end of
 * the file: that is a torn tail, never acknowledged, and open cuts it off
 * (logging how many bytes).  A record that fails its hash or parse and is
 * followed by more bytes, a seq out of order, or a gap after flushed_seq
 * is damage: open refuses with EMBER_STORE_DAMAGED and a message naming
 * the file, the byte offset and what is wrong.
 */
#ifndef EMBER_STORE_WAL_H
#define EMBER_STORE_WAL_H

#include <stddef.h>
#include <stdint.h>

#define STORE_WAL_FILE "ledger.wal"

struct store_wal;

/* One change, as appended and as replayed.  key/val are not owned. */
struct store_wal_ent {
	uint8_t db;
	uint8_t present;        /* 0: deletion (val NULL, vlen 0) */
	uint16_t klen;
	uint32_t vlen;
	const uint8_t *key;
	const uint8_t *val;
};

/*
 * Called by store_wal_open for each record with seq > flushed_seq, in
 * order.  ents[0..n) and the bytes they point to are valid only during
 * the call.  Returns 0 to go on, or a negative code that open returns.
 */
typedef int (*store_wal_replay_cb)(void *ctx, uint64_t seq,
                                   const struct store_wal_ent *ents, size_t n);

/*
 * Open (creating if missing, mode 0600, with an fsync of dir so the new
 * name is durable) <dir>/ledger.wal and replay it: every record with
 * seq > flushed_seq goes to cb in order; a torn tail is truncated away
 * (logged to stderr).  On success the log is positioned for the next
 * append, whose seq must be the last replayed seq + 1 (or flushed_seq + 1
 * when nothing was replayed); *last_seq gets that last seq.
 * Returns: 0; EMBER_STORE_DAMAGED (message in err); EMBER_EIO; EMBER_ENOMEM;
 * or cb's negative code.  The caller owns *out (store_wal_close).
 */
int store_wal_open(struct store_wal **out, const char *dir,
                   uint64_t flushed_seq, store_wal_replay_cb cb, void *ctx,
                   uint64_t *last_seq, char *err, size_t errlen);

/*
 * Append one record (seq must be the last seq + 1) and make it durable
 * (fdatasync).  On any failure the file is cut back to its length before
 * the call, so no partial record stays behind, and nothing is appended.
 * Returns: 0; EMBER_STORE_DISK_FULL (ENOSPC, EDQUOT, EFBIG); EMBER_EINVAL
 * (seq out of order); EMBER_ENOMEM; EMBER_EIO.
 */
int store_wal_append(struct store_wal *w, uint64_t seq,
                     const struct store_wal_ent *ents, size_t n);

/*
 * Empty the log after a flush made every record durable in LMDB
 * (truncate to 0 and fsync).  The next append's seq is next_seq.
 * Returns: 0, EMBER_EIO.
 */
int store_wal_reset(struct store_wal *w, uint64_t next_seq);

/* Bytes in the log now (for metrics and flush decisions). */
uint64_t store_wal_size(const struct store_wal *w);

void store_wal_close(struct store_wal *w);

#endif
