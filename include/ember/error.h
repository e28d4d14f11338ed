/*
 * error.h - one error space for the whole node.
 *
 * Every fallible function returns int: 0 (EMBER_OK) on success, a negative
 * code from the table below on failure.  Codes are grouped in ranges of 100
 * per module so a code says where it came from.  ember_strerror() maps every
 * code to a short lowercase message; callers that know the subject (an
 * account, a nonce) build the longer message a person reads.
 *
 * API misuse (a NULL pointer, a buffer too small for a documented size) is
 * EMBER_EINVAL; bad *input* (a malformed tx) always has its own code.
 */
#ifndef EMBER_ERROR_H
#define EMBER_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define EMBER_WUR __attribute__((warn_unused_result))
#else
#define EMBER_WUR
#endif

enum ember_err {
	EMBER_OK = 0,

	/* generic: -1 .. -99 */
	EMBER_EINVAL = -1,        /* API misuse: NULL, bad size, bad flag */
	EMBER_ENOMEM = -2,
	EMBER_EIO = -3,           /* file or socket I/O failed; errno has detail */
	EMBER_ENOTFOUND = -4,
	EMBER_EEXIST = -5,
	EMBER_EFULL = -6,         /* a bounded container is full */
	EMBER_EINTERNAL = -7,     /* a library call failed unexpectedly */
	EMBER_ERANGE = -8,        /* a number is out of its allowed range */
	EMBER_EPARSE = -9,        /* text (JSON, hex, amount) does not parse */
	EMBER_EBUSY = -10,

	/* encoding: -100 .. -199 */
	EMBER_ENC_TRUNCATED = -100,    /* input ends inside a field */
	EMBER_ENC_TRAILING = -101,     /* bytes left after the object */
	EMBER_ENC_VARINT = -102,       /* non-minimal or overlong varint */
	EMBER_ENC_OVERSIZE = -103,     /* a length exceeds its limit */
	EMBER_ENC_VERSION = -104,      /* unknown version byte */
	EMBER_ENC_KIND = -105,         /* unknown tx kind */
	EMBER_ENC_BUFFER = -106,       /* output buffer too small */
	EMBER_ENC_CHARSET = -107,      /* a string field has a forbidden byte */

	/* crypto and addresses: -200 .. -299 */
	EMBER_CRYPTO_SECKEY = -200,    /* secret key is zero or >= group order */
	EMBER_CRYPTO_PUBKEY = -201,    /* 32 bytes that are not an x-only point */
	EMBER_CRYPTO_SIGN = -202,      /* signing failed */
	EMBER_CRYPTO_VERIFY = -203,    /* a signature does not verify */
	EMBER_ADDR_CHECKSUM = -203,    /* bech32m checksum mismatch */
	EMBER_ADDR_FORMAT = -204,      /* bad character, case mix, length */
	EMBER_ADDR_HRP = -205,         /* human-readable part is not "ember" */

	/* transaction validity: -300 .. -399 */
	EMBER_TX_BAD_SIG = -300,
	EMBER_TX_WRONG_CHAIN = -301,
	EMBER_TX_NONCE_USED = -302,    /* nonce below the account's next nonce */
	EMBER_TX_NONCE_GAP = -303,     /* nonce above the account's next nonce */
	EMBER_TX_INSUFFICIENT = -304,  /* balance < amount + fee */
	EMBER_TX_OVERFLOW = -305,      /* a u64 sum would overflow */
	EMBER_TX_ZERO_AMOUNT = -306,
	EMBER_TX_FEE_LOW = -307,       /* fee below the chain's minimum */
	EMBER_TX_TOO_LARGE = -308,

	/* blocks: -400 .. -499 */
	EMBER_BLK_HEIGHT = -400,       /* not tip + 1 */
	EMBER_BLK_PREV = -401,         /* prev_hash is not the tip hash */
	EMBER_BLK_TX_ROOT = -402,
	EMBER_BLK_STATE_ROOT = -403,
	EMBER_BLK_TOO_LARGE = -404,
	EMBER_BLK_BAD_TX = -405,       /* a tx in the block is invalid */
	EMBER_BLK_CERT = -406,         /* commit certificate lacks +2/3 or has a bad signature */
	EMBER_BLK_PROPOSER = -407,
	EMBER_BLK_TIME = -408,
	EMBER_BLK_DUP_TX = -409,
	EMBER_BLK_LAST_COMMIT = -410,  /* the last commit is not block H-1's canonical +2/3 */

	/* store: -500 .. -599 */
	EMBER_STORE_LMDB = -500,       /* an LMDB call failed; see the log */
	EMBER_STORE_CORRUPT = -501,    /* stored bytes do not decode */
	EMBER_STORE_MAP_FULL = -502,   /* map could not be grown */
	EMBER_STORE_GENESIS = -503,    /* datadir belongs to another genesis */
	EMBER_STORE_DISK_FULL = -504,  /* no space left for the ledger */
	EMBER_STORE_EXISTS = -505,     /* key already stored (no-overwrite put) */
	EMBER_STORE_DAMAGED = -506,    /* ledger file truncated or its chain broken */
	EMBER_STORE_LOCKED = -507,     /* ledger in use by another process */
	EMBER_STORE_GUARD = -508,      /* signing guard forbids this signature */

	/* mempool: -600 .. -699 */
	EMBER_MP_DUP = -600,           /* txid already in the pool */
	EMBER_MP_FULL = -601,          /* pool full and the tx pays too little to evict */
	EMBER_MP_SENDER_LIMIT = -602,  /* too many pending txs from one sender */
	EMBER_MP_REPLACE_FEE = -603,   /* same nonce pending, fee not 10% higher */
	EMBER_MP_KNOWN = -604,         /* tx already committed in a block */

	/* keystore and wallet: -700 .. -799 */
	EMBER_KS_PASSPHRASE = -700,    /* wrong passphrase or tampered file */
	EMBER_KS_FORMAT = -701,
	EMBER_KS_MODE = -702,          /* key file open to group or others */
	EMBER_MN_ASCII = -703,         /* mnemonic or passphrase is not ASCII */
	EMBER_MN_COUNT = -704,         /* mnemonic is not 12/15/18/21/24 words */
	EMBER_MN_WORD = -705,          /* a word is not in the BIP-39 list */
	EMBER_MN_CHECKSUM = -706,      /* mnemonic checksum mismatch */

	/* genesis and config: -800 .. -899 */
	EMBER_GEN_FORMAT = -800,

	/* rpc: -900 .. -999 */
	EMBER_RPC_TRANSPORT = -900,    /* could not reach the node */
	EMBER_RPC_REMOTE = -901,       /* the node answered with an error */

	/* token economy and market: -1000 .. -1099 */
	EMBER_TOK_STAKE_LOW = -1000,       /* unstake above stake, or SFA stake below minimum */
	EMBER_TOK_UNBONDING_LIMIT = -1001, /* too many pending unbonding entries */
	EMBER_TOK_PROVIDER_EXISTS = -1002,
	EMBER_TOK_NO_PROVIDER = -1003,
	EMBER_TOK_PROVIDER_RETIRED = -1004,
	EMBER_TOK_JAILED = -1005,
	EMBER_TOK_CLASS = -1006,           /* unknown GPU class, or vram below it */
	EMBER_TOK_CAPACITY = -1007,        /* not enough free GPUs */
	EMBER_TOK_LEASES_OPEN = -1008,     /* retire/update below GPUs in use */
	EMBER_TOK_NO_ORDER = -1009,
	EMBER_TOK_ORDER_CLOSED = -1010,    /* order already leased or cancelled */
	EMBER_TOK_ORDER_EXPIRED = -1011,
	EMBER_TOK_BID_PRICE = -1012,       /* bid above the order's max price */
	EMBER_TOK_BID_LIMIT = -1013,       /* order has its maximum of bids */
	EMBER_TOK_BID_EXISTS = -1014,
	EMBER_TOK_NO_BID = -1015,
	EMBER_TOK_NOT_PARTY = -1016,       /* sender is not the tenant/provider */
	EMBER_TOK_NO_LEASE = -1017,
	EMBER_TOK_LEASE_CLOSED = -1018,
	EMBER_TOK_NOTHING_TO_CLAIM = -1019,
	EMBER_TOK_NOT_VALIDATOR = -1020,
	EMBER_TOK_ORACLE_STALE = -1021,    /* no fresh oracle price for a BME payment */
	EMBER_TOK_SELF_DEAL = -1022,       /* provider bidding on its own order */
	EMBER_TOK_EPOCH = -1023,           /* maintenance not for a future epoch */
	EMBER_TOK_EVIDENCE = -1024,        /* evidence does not prove a double sign */
	EMBER_TOK_EVIDENCE_DUP = -1025,    /* this double sign was already punished */

	/* GPU proofs: -1100 .. -1199 */
	EMBER_PROOF_FORMAT = -1100,        /* body has the wrong size or layout */
	EMBER_PROOF_POW = -1101,           /* grinding nonce lacks the pow bits */
	EMBER_PROOF_ENTRY = -1102,         /* an opened entry is not (A x B)[i][j] */
	EMBER_PROOF_ROOT = -1103,          /* the paths do not lead to the root */
	EMBER_PROOF_LATE = -1104,          /* past the challenge's deadline */
	EMBER_PROOF_EPOCH = -1105,         /* not the current epoch's challenge */
	EMBER_PROOF_DUP = -1106,           /* this challenge is already answered */
	EMBER_PROOF_NOT_CHALLENGED = -1107,/* sender has no challenge this epoch */
	EMBER_PROOF_NO_CUDA = -1108,       /* no CUDA back end or no device */

	/* P2P: -1200 .. -1299 */
	EMBER_P2P_HANDSHAKE = -1200,       /* handshake failed (bad hello or signature) */
	EMBER_P2P_PEER_ID = -1201,         /* peer is not the node id that was dialled */
	EMBER_P2P_FRAME = -1202,           /* frame does not authenticate or is oversize */
	EMBER_P2P_MSG = -1203,             /* malformed message */
	EMBER_P2P_CHAIN = -1204,           /* peer is on another chain or genesis */
	EMBER_P2P_LIMIT = -1205,           /* a per-peer limit was exceeded */

	/* BFT state machine: -1300 .. -1399 */
	EMBER_BFT_OLD = -1300,             /* a height or round already past */
	EMBER_BFT_FUTURE = -1301,          /* too far ahead, or no room to queue */
	EMBER_BFT_VALIDATOR = -1302,       /* not a validator of that height */
	EMBER_BFT_PROPOSER = -1303,        /* not that round's proposer */
	EMBER_BFT_CONFLICT = -1304         /* a second, different message (equivocation) */
};

/*
 * Returns: a static, lowercase, NUL-terminated message for code; never NULL
 * (unknown codes map to "unknown error").
 */
const char *ember_strerror(int code);

/*
 * printf into a caller's message buffer (buf NULL or len 0: does nothing).
 * Modules that explain a refusal to a person ("nonce 7 already used by
 * account ...") fill an optional why/whylen pair with this.
 */
void ember_errf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
