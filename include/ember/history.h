/*
 * history.h - account history: for each account, the committed txs that
 * name it, newest first, from an index kept at block commit (never a scan
 * of the chain at read time).
 *
 * Which accounts a tx names: its sender ("sender"), and the accounts its
 * payload names - a transfer's to ("recipient"), an accept's provider and
 * an evidence's validator ("party").  An account named only through an id
 * (the tenant of the order a bid is for, the other side of a lease a
 * close or topup is for) is not indexed: entries come from a block's
 * bytes alone, so applying a block reads no state and a rebuild from the
 * stored blocks gives exactly the same index.  A tx that names its own
 * sender again (a transfer to oneself) has one entry, as sender.
 *
 * EMBER_DB_HISTORY:
 *   key   32 account || be64 height || be32 index (position in the block)
 *   value u8 role || u8 kind || 32 txid [|| 32 from, when role != sender]
 * One account's entries are adjacent and in chain order, so a page newest
 * first is one cursor walk backwards from (account, cursor).  The txid and
 * kind are kept in the value so that a page costs one B-tree read per
 * entry (plus one header read per block) however large the blocks are,
 * instead of decoding a block per entry: 34 bytes for a sender, 66 for
 * the other roles.
 *
 * Meta key (EMBER_DB_META) "history": le64 height of the last block
 * indexed, written in the same write txn as the entries.  A ledger written
 * before the index existed (or by a node without it) has no key or an
 * older height; ember_history_sync() indexes the missing blocks at start,
 * and ember_history_put_block() itself indexes any gap before its block,
 * so the index always covers every committed block.
 *
 * The index is not part of the state root: it is derived data, like the
 * txid index (chain.h).
 */
#ifndef EMBER_HISTORY_H
#define EMBER_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "block.h"
#include "store.h"

#define EMBER_HIST_KEY_LEN (32 + 8 + 4)
/* "HEIGHT:INDEX", both decimal: 20 + 1 + 10 digits and the NUL. */
#define EMBER_HIST_CURSOR_BUFLEN 32

enum ember_hist_role {
	EMBER_HIST_SENDER = 1,
	EMBER_HIST_RECIPIENT = 2,
	EMBER_HIST_PARTY = 3
};

/* One tx that names an account. */
struct ember_hist_entry {
	uint64_t height;
	uint32_t index;                /* position in its block */
	uint8_t role;                  /* enum ember_hist_role */
	uint8_t kind;                  /* enum ember_tx_kind */
	uint8_t txid[32];
	uint8_t from[32];              /* the tx's sender */
};

/* A place in one account's history: a page starts strictly below it. */
struct ember_hist_pos {
	uint64_t height;
	uint32_t index;
};

/* "sender", "recipient", "party"; NULL for another value. */
const char *ember_hist_role_name(uint8_t role);

/* The index key of (account, height, index). */
void ember_hist_key(uint8_t out[EMBER_HIST_KEY_LEN], const uint8_t account[32],
                    uint64_t height, uint32_t index);

/*
 * The opaque cursor of an RPC page: pos as "HEIGHT:INDEX".  Parse takes
 * exactly that form (decimal, no sign, no spaces, no leading zeros, height
 * a u64 and index a u32).  Returns: 0, EMBER_EPARSE.
 */
void ember_hist_cursor_format(const struct ember_hist_pos *pos,
                              char out[EMBER_HIST_CURSOR_BUFLEN]);
EMBER_WUR int ember_hist_cursor_parse(const char *s, struct ember_hist_pos *pos);

/*
 * Index block `height` in write txn t, the txn that stores the block
 * (ember_chain_put_block): txs[i] is the encoding of tx i, txids[i] its
 * id.  Blocks the index does not cover yet below height (the "history"
 * meta key is behind) are read from t and indexed first.  A block's
 * entries are put in key order (sorted), so the writes walk the tree once.
 * One allocation per block with txs (the sorted entries), none per tx.
 * Returns: 0, EMBER_STORE_CORRUPT (a tx or a stored block does not
 * decode), EMBER_STORE_MAP_FULL, EMBER_STORE_DISK_FULL, EMBER_STORE_LMDB,
 * EMBER_ENOMEM, EMBER_EINVAL.
 */
EMBER_WUR int ember_history_put_block(struct ember_txn *t, uint64_t height,
                                      const struct ember_txref *txs,
                                      const uint8_t (*txids)[32], size_t ntx);

/*
 * At start: index every stored block above the "history" meta key (all of
 * them when it is missing: a ledger from before the index), in write txns
 * of a bounded size, each committed with the key, so an interrupted
 * rebuild resumes where it stopped; the map is grown when it fills.  No
 * other writer may run meanwhile.  When it indexes any block above
 * genesis it logs one line to stderr with the counts.  *blocks and
 * *entries (each may be NULL) get what was indexed.  An empty store is
 * left alone.
 * Returns: 0, EMBER_STORE_CORRUPT, EMBER_STORE_MAP_FULL (cannot grow),
 * EMBER_STORE_DISK_FULL, EMBER_STORE_LMDB, EMBER_ENOMEM.
 */
EMBER_WUR int ember_history_sync(struct ember_store *s, uint64_t *blocks,
                                 uint64_t *entries);

/* Height of the last block indexed.  Returns: 0, EMBER_ENOTFOUND (none),
 * EMBER_STORE_CORRUPT. */
EMBER_WUR int ember_history_height(struct ember_txn *t, uint64_t *height);

/*
 * A page of account's history, newest first (height, then index,
 * descending): up to max entries strictly below *before (NULL: from the
 * newest).  *n gets the count; *more is 1 when entries remain below the
 * last one returned (then that entry's position is the next cursor).
 * Returns: 0, EMBER_STORE_CORRUPT, EMBER_STORE_LMDB, EMBER_EINVAL.
 */
EMBER_WUR int ember_history_page(struct ember_txn *t, const uint8_t account[32],
                                 const struct ember_hist_pos *before,
                                 struct ember_hist_entry *out, size_t max,
                                 size_t *n, int *more);

#endif
