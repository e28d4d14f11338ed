/*
 * keystore.h - encrypted key files.
 *
 * JSON file, mode 0600:
 * { "version": 1, "address": "ember1...",
 *   "kdf": "argon2id", "opslimit": N, "memlimit": N, "salt": "<hex 16>",
 *   "cipher": "xchacha20poly1305", "nonce": "<hex 24>",
 *   "ciphertext": "<hex 32+16>" }
 * key = crypto_pwhash(argon2id13, passphrase, salt); ciphertext =
 * crypto_aead_xchacha20poly1305_ietf_encrypt(seckey, ad = address).  The
 * address is authenticated, so a file whose address was edited does not
 * open.  An empty passphrase is allowed (dev keys).  Secrets are wiped.
 */
#ifndef EMBER_KEYSTORE_H
#define EMBER_KEYSTORE_H

#include <stddef.h>
#include "error.h"
#include "key.h"
#include "addr.h"

/* Write kp to path (refuses to overwrite: EMBER_EEXIST).
 * Returns: 0, EMBER_EEXIST, EMBER_EIO, EMBER_ENOMEM, EMBER_EINTERNAL. */
EMBER_WUR int ember_keystore_save(const char *path,
                                  const struct ember_keypair *kp,
                                  const char *pass, size_t passlen);
/* Returns: 0, EMBER_KS_PASSPHRASE (wrong passphrase or tampered),
 * EMBER_KS_FORMAT, EMBER_EIO, EMBER_ENOMEM. */
EMBER_WUR int ember_keystore_load(const char *path, const char *pass,
                                  size_t passlen, struct ember_keypair *out);
/* Read the address without decrypting. Returns 0, EMBER_KS_FORMAT, EMBER_EIO. */
EMBER_WUR int ember_keystore_address(const char *path,
                                     char out[EMBER_ADDR_BUFLEN]);
/*
 * Is the key file at path closed to group and others (no bit of 077), as
 * ssh asks of a private key?  The encryption protects the key only as well
 * as its passphrase, and dev and validator keys often have none.  The one
 * check behind ember-cli's warning and emberd's refusal.
 * Out: *mode (may be NULL) the file's permission bits (07777), when stat
 * succeeds.  Returns: 0 (private), EMBER_KS_MODE (group or others have
 * some access), EMBER_EIO (stat failed; errno says why), EMBER_EINVAL.
 */
EMBER_WUR int ember_keystore_check_mode(const char *path, unsigned *mode);

#endif
