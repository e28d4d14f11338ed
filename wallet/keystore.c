/*
 * keystore.c - encrypted key files (see keystore.h for the format).
 *
 * The KDF cost is written into each file so that stronger settings can be
 * adopted later without breaking old files.  A file is untrusted input, so
 * on load the recorded cost must lie inside [WALLET_*_MIN, WALLET_*_MAX]:
 * otherwise a hostile file could make us allocate 100 GiB or spin for hours
 * before the tag check ever runs.
 *
 * Secrets (derived key, plaintext secret key) live in locked stack buffers
 * and are wiped on every path; sodium_munlock() zeroes before unlocking.
 */
#include "ember/keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#define WALLET_KS_VERSION 1
#define WALLET_KS_KDF "argon2id"
#define WALLET_KS_CIPHER "xchacha20poly1305"
#define WALLET_KS_MAX_FILE (64u * 1024)

/* Accepted KDF costs on load: libsodium's minimums up to its "sensitive"
 * preset (1 GiB, 4 passes: a few seconds on a laptop). */
#define WALLET_OPSLIMIT_MIN crypto_pwhash_OPSLIMIT_MIN
#define WALLET_OPSLIMIT_MAX crypto_pwhash_OPSLIMIT_SENSITIVE
#define WALLET_MEMLIMIT_MIN crypto_pwhash_MEMLIMIT_MIN
#define WALLET_MEMLIMIT_MAX crypto_pwhash_MEMLIMIT_SENSITIVE

#define WALLET_SALT_LEN crypto_pwhash_SALTBYTES                    /* 16 */
#define WALLET_NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES /* 24 */
#define WALLET_KEY_LEN crypto_aead_xchacha20poly1305_ietf_KEYBYTES  /* 32 */
#define WALLET_CT_LEN (EMBER_SECKEY_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)

/* An empty passphrase may come as (NULL, 0); libsodium wants a pointer. */
static const char *wallet_pass(const char *pass, size_t passlen)
{
	return (pass == NULL && passlen == 0) ? "" : pass;
}

static int wallet_derive(uint8_t key[WALLET_KEY_LEN], const char *pass,
                         size_t passlen, const uint8_t salt[WALLET_SALT_LEN],
                         unsigned long long ops, size_t mem)
{
	if (crypto_pwhash(key, WALLET_KEY_LEN, pass, passlen, salt, ops, mem,
	                  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return EMBER_ENOMEM;   /* the only documented failure: out of memory */
	return 0;
}

/* Write all of buf to a new file; unlinks it again on failure. */
static int wallet_write_new(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? EMBER_EEXIST : EMBER_EIO;
	size_t off = 0;
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(path);
	errno = e;
	return EMBER_EIO;
}

int ember_keystore_save(const char *path, const struct ember_keypair *kp,
                        const char *pass, size_t passlen)
{
	if (path == NULL || kp == NULL || (pass == NULL && passlen != 0))
		return EMBER_EINVAL;
	if (sodium_init() < 0)
		return EMBER_EINTERNAL;
	pass = wallet_pass(pass, passlen);

	char addr[EMBER_ADDR_BUFLEN];
	uint8_t salt[WALLET_SALT_LEN], nonce[WALLET_NONCE_LEN], ct[WALLET_CT_LEN];
	uint8_t key[WALLET_KEY_LEN];
	unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;

	ember_addr_encode(kp->pub, addr);
	randombytes_buf(salt, sizeof salt);
	randombytes_buf(nonce, sizeof nonce);
	sodium_mlock(key, sizeof key);
	int rc = wallet_derive(key, pass, passlen, salt, ops, mem);
	if (rc == 0)
		crypto_aead_xchacha20poly1305_ietf_encrypt(
			ct, NULL, kp->seckey, EMBER_SECKEY_LEN,
			(const uint8_t *)addr, strlen(addr), NULL, nonce, key);
	sodium_munlock(key, sizeof key);
	if (rc != 0)
		return rc;

	char salt_hex[2 * WALLET_SALT_LEN + 1], nonce_hex[2 * WALLET_NONCE_LEN + 1];
	char ct_hex[2 * WALLET_CT_LEN + 1];
	sodium_bin2hex(salt_hex, sizeof salt_hex, salt, sizeof salt);
	sodium_bin2hex(nonce_hex, sizeof nonce_hex, nonce, sizeof nonce);
	sodium_bin2hex(ct_hex, sizeof ct_hex, ct, sizeof ct);

	json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}",
	                      "version", WALLET_KS_VERSION, "address", addr,
	                      "kdf", WALLET_KS_KDF,
	                      "opslimit", (json_int_t)ops,
	                      "memlimit", (json_int_t)mem,
	                      "salt", salt_hex, "cipher", WALLET_KS_CIPHER,
	                      "nonce", nonce_hex, "ciphertext", ct_hex);
	char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (text == NULL)
		return EMBER_ENOMEM;
	size_t len = strlen(text);
	/* json_dumps has no trailing newline; files read better with one. */
	char *full = realloc(text, len + 2);
	if (full == NULL) {
		free(text);
		return EMBER_ENOMEM;
	}
	full[len] = '\n';
	full[len + 1] = '\0';
	rc = wallet_write_new(path, full, len + 1);
	free(full);
	return rc;
}

/* Read and parse the whole file (bounded).  *out: new reference. */
static int wallet_read_json(const char *path, json_t **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return EMBER_EIO;
	char *buf = malloc(WALLET_KS_MAX_FILE + 1);
	if (buf == NULL) {
		close(fd);
		return EMBER_ENOMEM;
	}
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + len, WALLET_KS_MAX_FILE + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			free(buf);
			close(fd);
			errno = e;
			return EMBER_EIO;
		}
		if (n == 0 || (len += (size_t)n) > WALLET_KS_MAX_FILE)
			break;
	}
	close(fd);
	if (len > WALLET_KS_MAX_FILE) {
		free(buf);
		return EMBER_KS_FORMAT;
	}
	*out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	free(buf);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return EMBER_KS_FORMAT;
	}
	return 0;
}

/* Exactly n bytes of hex in field name. */
static int wallet_get_hex(json_t *o, const char *name, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, name));
	size_t got = 0;
	if (s == NULL || strlen(s) != 2 * n ||
	    sodium_hex2bin(out, n, s, 2 * n, NULL, &got, NULL) != 0 || got != n)
		return EMBER_KS_FORMAT;
	return 0;
}

static int wallet_get_address(json_t *o, char out[EMBER_ADDR_BUFLEN],
                              uint8_t pub[32])
{
	const char *a = json_string_value(json_object_get(o, "address"));
	if (a == NULL || strlen(a) != EMBER_ADDR_STRLEN ||
	    ember_addr_decode(a, pub) != 0)
		return EMBER_KS_FORMAT;
	memcpy(out, a, EMBER_ADDR_BUFLEN);
	return 0;
}

int ember_keystore_load(const char *path, const char *pass, size_t passlen,
                        struct ember_keypair *out)
{
	if (path == NULL || out == NULL || (pass == NULL && passlen != 0))
		return EMBER_EINVAL;
	if (sodium_init() < 0)
		return EMBER_EINTERNAL;
	pass = wallet_pass(pass, passlen);
	memset(out, 0, sizeof *out);

	json_t *o = NULL;
	int rc = wallet_read_json(path, &o);
	if (rc != 0)
		return rc;

	char addr[EMBER_ADDR_BUFLEN];
	uint8_t pub[32], salt[WALLET_SALT_LEN], nonce[WALLET_NONCE_LEN];
	uint8_t ct[WALLET_CT_LEN];
	json_t *jops = json_object_get(o, "opslimit");
	json_t *jmem = json_object_get(o, "memlimit");
	const char *kdf = json_string_value(json_object_get(o, "kdf"));
	const char *cipher = json_string_value(json_object_get(o, "cipher"));
	json_t *ver = json_object_get(o, "version");

	rc = EMBER_KS_FORMAT;
	if (!json_is_integer(ver) || json_integer_value(ver) != WALLET_KS_VERSION ||
	    kdf == NULL || strcmp(kdf, WALLET_KS_KDF) != 0 ||
	    cipher == NULL || strcmp(cipher, WALLET_KS_CIPHER) != 0 ||
	    !json_is_integer(jops) || !json_is_integer(jmem) ||
	    wallet_get_address(o, addr, pub) != 0 ||
	    wallet_get_hex(o, "salt", salt, sizeof salt) != 0 ||
	    wallet_get_hex(o, "nonce", nonce, sizeof nonce) != 0 ||
	    wallet_get_hex(o, "ciphertext", ct, sizeof ct) != 0)
		goto done;
	json_int_t ops = json_integer_value(jops), mem = json_integer_value(jmem);
	if (ops < (json_int_t)WALLET_OPSLIMIT_MIN ||
	    ops > (json_int_t)WALLET_OPSLIMIT_MAX ||
	    mem < (json_int_t)WALLET_MEMLIMIT_MIN ||
	    mem > (json_int_t)WALLET_MEMLIMIT_MAX)
		goto done;

	uint8_t key[WALLET_KEY_LEN], sk[EMBER_SECKEY_LEN];
	sodium_mlock(key, sizeof key);
	sodium_mlock(sk, sizeof sk);
	rc = wallet_derive(key, pass, passlen, salt, (unsigned long long)ops,
	                   (size_t)mem);
	if (rc == 0 && crypto_aead_xchacha20poly1305_ietf_decrypt(
			sk, NULL, NULL, ct, sizeof ct, (const uint8_t *)addr,
			EMBER_ADDR_STRLEN, nonce, key) != 0)
		rc = EMBER_KS_PASSPHRASE;
	/* Authentic but inconsistent (a tool encrypted the wrong key under
	 * this address): the file is malformed, not the passphrase wrong. */
	if (rc == 0 && (ember_keypair_from_seckey(out, sk) != 0 ||
	                sodium_memcmp(out->pub, pub, 32) != 0))
		rc = EMBER_KS_FORMAT;
	sodium_munlock(sk, sizeof sk);
	sodium_munlock(key, sizeof key);
	if (rc != 0)
		ember_keypair_clear(out);
done:
	json_decref(o);
	return rc;
}

int ember_keystore_address(const char *path, char out[EMBER_ADDR_BUFLEN])
{
	if (path == NULL || out == NULL)
		return EMBER_EINVAL;
	json_t *o = NULL;
	uint8_t pub[32];
	int rc = wallet_read_json(path, &o);
	if (rc != 0)
		return rc;
	rc = wallet_get_address(o, out, pub);
	json_decref(o);
	return rc;
}

int ember_keystore_check_mode(const char *path, unsigned *mode)
{
	struct stat st;

	if (path == NULL)
		return EMBER_EINVAL;
	if (stat(path, &st) != 0)
		return EMBER_EIO;
	if (mode)
		*mode = (unsigned)(st.st_mode & 07777);
	return (st.st_mode & 077) ? EMBER_KS_MODE : 0;
}
