/* error.c - the one table of error messages (see error.h). */
#include "ember/error.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct err_entry {
	int code;
	const char *msg;
};

static const struct err_entry err_table[] = {
	{ EMBER_OK, "ok" },
	{ EMBER_EINVAL, "invalid argument" },
	{ EMBER_ENOMEM, "out of memory" },
	{ EMBER_EIO, "input/output error" },
	{ EMBER_ENOTFOUND, "not found" },
	{ EMBER_EEXIST, "already exists" },
	{ EMBER_EFULL, "container full" },
	{ EMBER_EINTERNAL, "internal error" },
	{ EMBER_ERANGE, "value out of range" },
	{ EMBER_EPARSE, "cannot parse" },
	{ EMBER_EBUSY, "busy" },

	{ EMBER_ENC_TRUNCATED, "truncated encoding" },
	{ EMBER_ENC_TRAILING, "trailing bytes after encoding" },
	{ EMBER_ENC_VARINT, "non-canonical varint" },
	{ EMBER_ENC_OVERSIZE, "length exceeds limit" },
	{ EMBER_ENC_VERSION, "unknown version" },
	{ EMBER_ENC_KIND, "unknown transaction kind" },
	{ EMBER_ENC_BUFFER, "output buffer too small" },
	{ EMBER_ENC_CHARSET, "forbidden character in string field" },

	{ EMBER_CRYPTO_SECKEY, "invalid secret key" },
	{ EMBER_CRYPTO_PUBKEY, "invalid public key" },
	{ EMBER_CRYPTO_SIGN, "signing failed" },
	{ EMBER_CRYPTO_VERIFY, "signature does not verify" },
	{ EMBER_ADDR_CHECKSUM, "address checksum mismatch" },
	{ EMBER_ADDR_FORMAT, "malformed address" },
	{ EMBER_ADDR_HRP, "address is not for ember" },

	{ EMBER_TX_BAD_SIG, "bad signature" },
	{ EMBER_TX_WRONG_CHAIN, "wrong chain id" },
	{ EMBER_TX_NONCE_USED, "nonce already used" },
	{ EMBER_TX_NONCE_GAP, "nonce leaves a gap" },
	{ EMBER_TX_INSUFFICIENT, "insufficient funds" },
	{ EMBER_TX_OVERFLOW, "amount overflow" },
	{ EMBER_TX_ZERO_AMOUNT, "amount is zero" },
	{ EMBER_TX_FEE_LOW, "fee below minimum" },
	{ EMBER_TX_TOO_LARGE, "transaction too large" },

	{ EMBER_BLK_HEIGHT, "block height is not tip + 1" },
	{ EMBER_BLK_PREV, "block does not extend the tip" },
	{ EMBER_BLK_TX_ROOT, "block tx root mismatch" },
	{ EMBER_BLK_STATE_ROOT, "block state root mismatch" },
	{ EMBER_BLK_TOO_LARGE, "block too large" },
	{ EMBER_BLK_BAD_TX, "block contains an invalid transaction" },
	{ EMBER_BLK_CERT, "invalid commit certificate" },
	{ EMBER_BLK_PROPOSER, "wrong block proposer" },
	{ EMBER_BLK_TIME, "block time not after parent" },
	{ EMBER_BLK_DUP_TX, "duplicate transaction in block" },
	{ EMBER_BLK_LAST_COMMIT, "block's last commit does not certify its parent" },

	{ EMBER_STORE_LMDB, "database error" },
	{ EMBER_STORE_CORRUPT, "stored data is corrupt" },
	{ EMBER_STORE_MAP_FULL, "database map full and cannot grow" },
	{ EMBER_STORE_GENESIS, "data directory belongs to another genesis" },
	{ EMBER_STORE_DISK_FULL, "disk full" },
	{ EMBER_STORE_EXISTS, "already stored" },
	{ EMBER_STORE_DAMAGED, "ledger is damaged" },
	{ EMBER_STORE_LOCKED, "ledger is in use by another process" },
	{ EMBER_STORE_GUARD, "signing guard refuses a conflicting signature" },

	{ EMBER_MP_DUP, "transaction already in mempool" },
	{ EMBER_MP_FULL, "mempool full" },
	{ EMBER_MP_SENDER_LIMIT, "too many pending transactions from sender" },
	{ EMBER_MP_REPLACE_FEE, "replacement fee too low" },
	{ EMBER_MP_KNOWN, "transaction already committed" },

	{ EMBER_KS_PASSPHRASE, "wrong passphrase or corrupted keystore" },
	{ EMBER_KS_FORMAT, "malformed keystore file" },
	{ EMBER_KS_MODE, "key file is accessible by group or others" },
	{ EMBER_MN_ASCII, "mnemonic or passphrase has a non-ascii character" },
	{ EMBER_MN_COUNT, "mnemonic has the wrong number of words" },
	{ EMBER_MN_WORD, "unknown mnemonic word" },
	{ EMBER_MN_CHECKSUM, "mnemonic checksum mismatch" },

	{ EMBER_GEN_FORMAT, "malformed genesis" },

	{ EMBER_RPC_TRANSPORT, "cannot reach node" },
	{ EMBER_RPC_REMOTE, "node returned an error" },

	{ EMBER_TOK_STAKE_LOW, "stake too low" },
	{ EMBER_TOK_UNBONDING_LIMIT, "too many pending unbondings" },
	{ EMBER_TOK_PROVIDER_EXISTS, "provider already registered" },
	{ EMBER_TOK_NO_PROVIDER, "no such provider" },
	{ EMBER_TOK_PROVIDER_RETIRED, "provider is retired" },
	{ EMBER_TOK_JAILED, "provider is jailed" },
	{ EMBER_TOK_CLASS, "unknown or unmet gpu class" },
	{ EMBER_TOK_CAPACITY, "not enough free gpus" },
	{ EMBER_TOK_LEASES_OPEN, "provider has gpus leased" },
	{ EMBER_TOK_NO_ORDER, "no such order" },
	{ EMBER_TOK_ORDER_CLOSED, "order is not open" },
	{ EMBER_TOK_ORDER_EXPIRED, "order expired" },
	{ EMBER_TOK_BID_PRICE, "bid above the order's max price" },
	{ EMBER_TOK_BID_LIMIT, "order has too many bids" },
	{ EMBER_TOK_BID_EXISTS, "provider already bid on this order" },
	{ EMBER_TOK_NO_BID, "no such bid" },
	{ EMBER_TOK_NOT_PARTY, "sender is not a party to this" },
	{ EMBER_TOK_NO_LEASE, "no such lease" },
	{ EMBER_TOK_LEASE_CLOSED, "lease is closed" },
	{ EMBER_TOK_NOTHING_TO_CLAIM, "nothing to claim" },
	{ EMBER_TOK_NOT_VALIDATOR, "sender is not a validator" },
	{ EMBER_TOK_ORACLE_STALE, "oracle price is stale or missing" },
	{ EMBER_TOK_SELF_DEAL, "provider cannot bid on its own order" },
	{ EMBER_TOK_EPOCH, "epoch is not in the future" },
	{ EMBER_TOK_EVIDENCE, "evidence does not prove a double sign" },
	{ EMBER_TOK_EVIDENCE_DUP, "double sign already punished" },

	{ EMBER_PROOF_FORMAT, "malformed proof" },
	{ EMBER_PROOF_POW, "proof lacks its grinding work" },
	{ EMBER_PROOF_ENTRY, "proof opens a wrong entry" },
	{ EMBER_PROOF_ROOT, "proof paths do not match its root" },
	{ EMBER_PROOF_LATE, "proof is past its deadline" },
	{ EMBER_PROOF_EPOCH, "proof is not for the current epoch" },
	{ EMBER_PROOF_DUP, "challenge already answered" },
	{ EMBER_PROOF_NOT_CHALLENGED, "sender has no challenge this epoch" },
	{ EMBER_PROOF_NO_CUDA, "no cuda back end or device" },

	{ EMBER_P2P_HANDSHAKE, "p2p handshake failed" },
	{ EMBER_P2P_PEER_ID, "peer is not the node that was dialled" },
	{ EMBER_P2P_FRAME, "p2p frame does not authenticate" },
	{ EMBER_P2P_MSG, "malformed p2p message" },
	{ EMBER_P2P_CHAIN, "peer is on another chain" },
	{ EMBER_P2P_LIMIT, "peer exceeded a limit" },
	{ EMBER_BFT_OLD, "consensus message for a height or round already past" },
	{ EMBER_BFT_FUTURE, "consensus message too far ahead" },
	{ EMBER_BFT_VALIDATOR, "not a validator of that height" },
	{ EMBER_BFT_PROPOSER, "proposal not from that round's proposer" },
	{ EMBER_BFT_CONFLICT, "conflicting consensus message (equivocation)" },
};

const char *ember_strerror(int code)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == code)
			return err_table[i].msg;
	return "unknown error";
}

void ember_errf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	if (!buf || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}
