/*
 * node_key.c - the node's P2P identity (DIR/node_key) and a genesis given
 * with --genesis (copied into DIR/genesis.json on first start).
 */
#include "ember/node.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ember/codec.h"
#include "ember/keystore.h"

#include <sodium.h>

int ember_node_key(const char *dir, struct ember_keypair *out, int *created,
                   char *err, size_t errlen)
{
	char path[4096], hex[65];
	uint8_t sk[32];
	unsigned mode = 0;
	size_t w;
	int fd, rc;
	ssize_t n;

	*created = 0;
	snprintf(path, sizeof(path), "%s/node_key", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* First start: a fresh key, written where only we can read it. */
		if (ember_keypair_generate(out) != 0)
			return EMBER_EINTERNAL;
		ember_hex_encode(out->seckey, 32, hex);
		hex[64] = '\n';
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, hex, 65) != 65 || fsync(fd) != 0) {
			ember_errf(err, errlen, "cannot write node key '%s': %s", path,
			           strerror(errno));
			if (fd >= 0)
				close(fd);
			sodium_memzero(hex, sizeof(hex));
			return EMBER_EIO;
		}
		close(fd);
		sodium_memzero(hex, sizeof(hex));
		*created = 1;
		return 0;
	}
	if (fd < 0) {
		ember_errf(err, errlen, "cannot read node key '%s': %s", path, strerror(errno));
		return EMBER_EIO;
	}
	close(fd);
	if (ember_keystore_check_mode(path, &mode) == EMBER_KS_MODE) {
		ember_errf(err, errlen, "permissions %04o for '%s' are too open: a node "
		           "key must not be accessible by group or others; run "
		           "'chmod 600 %s'", mode, path, path);
		return EMBER_KS_MODE;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (n = read(fd, hex, sizeof(hex))) < 64) {
		if (fd >= 0)
			close(fd);
		ember_errf(err, errlen, "node key '%s' is not 64 hex digits", path);
		return EMBER_KS_FORMAT;
	}
	close(fd);
	rc = ember_hex_decode(hex, 64, sk, 32, &w);
	if (rc || w != 32 || ember_keypair_from_seckey(out, sk) != 0) {
		ember_errf(err, errlen, "node key '%s' is not a valid secret key", path);
		rc = EMBER_KS_FORMAT;
	}
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(hex, sizeof(hex));
	return rc ? EMBER_KS_FORMAT : 0;
}

/* The whole of path, malloc'd into *out (*len bytes).  Returns 0,
 * EMBER_EIO (errno set), EMBER_ENOMEM. */
static int slurp(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char buf[65536], *a = NULL, *na;
	size_t n;

	*out = NULL;
	*len = 0;
	if (!f)
		return EMBER_EIO;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (!(na = realloc(a, *len + n))) {
			free(a);
			fclose(f);
			return EMBER_ENOMEM;
		}
		a = na;
		memcpy(a + *len, buf, n);
		*len += n;
	}
	fclose(f);
	*out = a;
	return 0;
}

int ember_genesis_import(const char *datadir, const char *file, char *err,
                         size_t errlen)
{
	char path[4096], *a, *b;
	size_t alen, blen;
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/genesis.json", datadir);
	/* Genesis files are small; genesis.c bounds them when parsed. */
	if ((rc = slurp(file, &a, &alen))) {
		ember_errf(err, errlen, "cannot read genesis '%s': %s", file,
		           rc == EMBER_EIO ? strerror(errno) : ember_strerror(rc));
		return rc;
	}
	if ((rc = slurp(path, &b, &blen)) == 0) {
		/* Already there: it must be the same chain. */
		if (alen != blen || (alen && memcmp(a, b, alen) != 0)) {
			ember_errf(err, errlen, "'%s' differs from the genesis already in '%s'; "
			           "use another --datadir", file, path);
			rc = EMBER_STORE_GENESIS;
		}
		goto out;
	}
	rc = 0;
	if (!(f = fopen(path, "wb")) || fwrite(a, 1, alen, f) != alen) {
		ember_errf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		rc = EMBER_EIO;
	}
	if (f && fclose(f) != 0 && !rc) {
		ember_errf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
		rc = EMBER_EIO;
	}
out:
	free(a);
	free(b);
	return rc;
}
