/*
 * addr.h - bech32m (BIP-350) and Ember account addresses.
 *
 * An address is the bech32m encoding, with human-readable part "ember", of
 * the 32-byte x-only public key (converted to 5-bit groups, padded), e.g.
 * "ember1...". 6 + 52 + 6 = 64 characters.
 */
#ifndef EMBER_ADDR_H
#define EMBER_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define EMBER_ADDR_HRP_STR "ember"  /* not EMBER_ADDR_HRP: that is an error code */
#define EMBER_ADDR_STRLEN 64        /* characters, without NUL */
#define EMBER_ADDR_BUFLEN 65        /* with NUL */

/*
 * Generic bech32m over 5-bit values.  hrp is 1..83 chars of US-ASCII 33..126,
 * total length <= 90.  out gets the lowercase string (NUL-terminated).
 * Returns: 0, EMBER_ENC_BUFFER, EMBER_ADDR_FORMAT.
 */
EMBER_WUR int ember_bech32m_encode(char *out, size_t outcap, const char *hrp,
                                   const uint8_t *data5, size_t n5);
/*
 * Decode a bech32m string: rejects mixed case, bad characters, missing
 * separator, empty hrp, overall length > 90, checksum < 6, wrong checksum
 * (including bech32 non-m). hrp_out gets the lowercase hrp (cap hrpcap),
 * data5 the 5-bit values without checksum.
 * Returns: 0, EMBER_ADDR_FORMAT, EMBER_ADDR_CHECKSUM, EMBER_ENC_BUFFER.
 */
EMBER_WUR int ember_bech32m_decode(const char *str, char *hrp_out,
                                   size_t hrpcap, uint8_t *data5,
                                   size_t data5cap, size_t *n5);

/* Address of a public key. out must hold EMBER_ADDR_BUFLEN bytes. */
void ember_addr_encode(const uint8_t pub[32], char out[EMBER_ADDR_BUFLEN]);
/*
 * Parse an "ember1..." address into the public key.  Also checks that the
 * key is a valid x-only point.
 * Returns: 0, EMBER_ADDR_FORMAT, EMBER_ADDR_CHECKSUM, EMBER_ADDR_HRP,
 * EMBER_CRYPTO_PUBKEY.
 */
EMBER_WUR int ember_addr_decode(const char *str, uint8_t pub[32]);

#endif
