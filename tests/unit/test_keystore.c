/*
 * test_keystore.c - encrypted key files: round trip, wrong passphrase,
 * tampering of each authenticated part, malformed files, KDF cost bounds.
 *
 * Files go to a private mkdtemp directory removed at the end.  A fixed
 * tampering table rewrites one field of a good file and names the code
 * the load must return.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ember/keystore.h"

static char g_dir[64];
static int g_seq;
static struct ember_keypair g_kp;
static char g_good[128];          /* a keystore of g_kp under "pw" */

static void tmp_path(char *out, size_t len)
{
	snprintf(out, len, "%s/ks%d.json", g_dir, g_seq++);
}

static int setup(void **state)
{
	snprintf(g_dir, sizeof g_dir, "/tmp/ember-ks-XXXXXX");
	if (mkdtemp(g_dir) == NULL)
		return -1;
	uint8_t sk[32];
	for (int i = 0; i < 32; i++)
		sk[i] = (uint8_t)(i + 1);
	if (ember_keypair_from_seckey(&g_kp, sk) != 0)
		return -1;
	tmp_path(g_good, sizeof g_good);
	return ember_keystore_save(g_good, &g_kp, "pw", 2);
}

static int teardown(void **state)
{
	DIR *d = opendir(g_dir);
	struct dirent *e;
	char p[512];
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(g_dir);
	ember_keypair_clear(&g_kp);
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Copy of the good file with field set to val (NULL: removed). */
static void write_variant(const char *path, const char *field, json_t *val)
{
	json_t *o = json_load_file(g_good, 0, NULL);
	assert_non_null(o);
	if (val)
		json_object_set_new(o, field, val);
	else
		json_object_del(o, field);
	unlink(path);
	assert_int_equal(json_dump_file(o, path, 0), 0);
	json_decref(o);
}

static void test_round_trip(void **state)
{
	struct ember_keypair kp;
	char addr[EMBER_ADDR_BUFLEN], want[EMBER_ADDR_BUFLEN];
	assert_int_equal(ember_keystore_load(g_good, "pw", 2, &kp), 0);
	assert_memory_equal(kp.seckey, g_kp.seckey, 32);
	assert_memory_equal(kp.pub, g_kp.pub, 32);
	ember_keypair_clear(&kp);

	/* the address reads without the passphrase */
	ember_addr_encode(g_kp.pub, want);
	assert_int_equal(ember_keystore_address(g_good, addr), 0);
	assert_string_equal(addr, want);

	/* a fresh random key survives too */
	struct ember_keypair k2, k3;
	char p[128];
	tmp_path(p, sizeof p);
	assert_int_equal(ember_keypair_generate(&k2), 0);
	assert_int_equal(ember_keystore_save(p, &k2, "correct horse", 13), 0);
	assert_int_equal(ember_keystore_load(p, "correct horse", 13, &k3), 0);
	assert_memory_equal(k2.seckey, k3.seckey, 32);
	ember_keypair_clear(&k2);
	ember_keypair_clear(&k3);
}

static void test_wrong_passphrase(void **state)
{
	struct ember_keypair kp;
	memset(&kp, 0xAA, sizeof kp);
	assert_int_equal(ember_keystore_load(g_good, "pW", 2, &kp),
	                 EMBER_KS_PASSPHRASE);
	/* nothing of the key leaks into the output on failure */
	static const uint8_t zero[sizeof kp];
	assert_memory_equal(&kp, zero, sizeof kp);
	assert_int_equal(ember_keystore_load(g_good, "pw", 1, &kp),
	                 EMBER_KS_PASSPHRASE);
	assert_int_equal(ember_keystore_load(g_good, NULL, 0, &kp),
	                 EMBER_KS_PASSPHRASE);
}

static void test_empty_passphrase(void **state)
{
	struct ember_keypair kp;
	char p[128];
	tmp_path(p, sizeof p);
	assert_int_equal(ember_keystore_save(p, &g_kp, NULL, 0), 0);
	assert_int_equal(ember_keystore_load(p, "", 0, &kp), 0);
	assert_memory_equal(kp.seckey, g_kp.seckey, 32);
	assert_int_equal(ember_keystore_load(p, "x", 1, &kp), EMBER_KS_PASSPHRASE);
}

static void test_mode_and_overwrite(void **state)
{
	struct stat st;
	assert_int_equal(stat(g_good, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* an existing file is never replaced */
	char before[4096], after[4096];
	FILE *f = fopen(g_good, "r");
	size_t n1 = fread(before, 1, sizeof before, f);
	fclose(f);
	assert_int_equal(ember_keystore_save(g_good, &g_kp, "other", 5),
	                 EMBER_EEXIST);
	f = fopen(g_good, "r");
	size_t n2 = fread(after, 1, sizeof after, f);
	fclose(f);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);

	/* unwritable location */
	assert_int_equal(ember_keystore_save("/nonexistent-dir/ks.json", &g_kp,
	                                     "pw", 2), EMBER_EIO);
}

/* The permission check: any group or other bit is too open (as ssh
 * judges a private key); the owner's bits do not matter. */
static void test_check_mode(void **state)
{
	static const struct { unsigned mode; int want; } cases[] = {
		{ 0600, 0 }, { 0400, 0 }, { 0700, 0 }, { 0200, 0 }, { 0000, 0 },
		{ 0644, EMBER_KS_MODE }, { 0640, EMBER_KS_MODE },
		{ 0604, EMBER_KS_MODE }, { 0660, EMBER_KS_MODE },
		{ 0620, EMBER_KS_MODE }, { 0602, EMBER_KS_MODE },
		{ 0610, EMBER_KS_MODE }, { 0601, EMBER_KS_MODE },
		{ 0666, EMBER_KS_MODE }, { 0777, EMBER_KS_MODE },
		{ 04600, 0 },
	};
	char p[128];
	unsigned mode;

	/* a new keystore is private whatever the umask */
	mode_t old = umask(0);
	tmp_path(p, sizeof p);
	assert_int_equal(ember_keystore_save(p, &g_kp, "", 0), 0);
	umask(old);
	mode = 0xffff;
	assert_int_equal(ember_keystore_check_mode(p, &mode), 0);
	assert_int_equal(mode, 0600);

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(chmod(p, cases[i].mode), 0);
		mode = 0xffff;
		int rc = ember_keystore_check_mode(p, &mode);
		if (rc != cases[i].want || mode != cases[i].mode)
			fail_msg("mode %04o: rc %d mode %04o, wanted rc %d",
			         cases[i].mode, rc, mode, cases[i].want);
		/* mode may be NULL */
		assert_int_equal(ember_keystore_check_mode(p, NULL), cases[i].want);
	}
	assert_int_equal(chmod(p, 0600), 0);

	/* a file that is not there, and misuse */
	char missing[128];
	snprintf(missing, sizeof missing, "%s/does-not-exist.json", g_dir);
	mode = 0xffff;
	assert_int_equal(ember_keystore_check_mode(missing, &mode), EMBER_EIO);
	assert_int_equal(mode, 0xffff);
	assert_int_equal(ember_keystore_check_mode(NULL, &mode), EMBER_EINVAL);
}

/* Flip one hex digit of a field of the good file. */
static json_t *flipped(const char *field)
{
	json_t *o = json_load_file(g_good, 0, NULL);
	char *s = strdup(json_string_value(json_object_get(o, field)));
	s[3] = s[3] == '0' ? '1' : '0';
	json_t *v = json_string(s);
	free(s);
	json_decref(o);
	return v;
}

static void test_tampered(void **state)
{
	struct ember_keypair other;
	char other_addr[EMBER_ADDR_BUFLEN];
	uint8_t sk[32];
	memset(sk, 7, sizeof sk);
	assert_int_equal(ember_keypair_from_seckey(&other, sk), 0);
	ember_addr_encode(other.pub, other_addr);

	const struct { const char *field; json_t *val; } cases[] = {
		{ "ciphertext", flipped("ciphertext") },
		{ "nonce", flipped("nonce") },
		{ "salt", flipped("salt") },
		/* a valid address of another key: the AD check catches it */
		{ "address", json_string(other_addr) },
		/* a different (legal) KDF cost derives another key */
		{ "opslimit", json_integer(3) },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char p[128];
		struct ember_keypair kp;
		tmp_path(p, sizeof p);
		write_variant(p, cases[i].field, cases[i].val);
		int rc = ember_keystore_load(p, "pw", 2, &kp);
		if (rc != EMBER_KS_PASSPHRASE)
			fail_msg("tampered %s: got %d", cases[i].field, rc);
	}
	ember_keypair_clear(&other);
}

static void test_malformed(void **state)
{
	const struct { const char *field; json_t *val; } cases[] = {
		{ "version", json_integer(2) },
		{ "version", json_string("1") },
		{ "version", NULL },
		{ "kdf", json_string("scrypt") },
		{ "cipher", json_string("aes-256-gcm") },
		{ "address", NULL },
		{ "address", json_string("ember1xyz") },
		{ "address", json_integer(5) },
		{ "salt", NULL },
		{ "salt", json_string("zz") },
		{ "salt", json_string("00112233445566778899aabbccddeeff00") },
		{ "nonce", json_string("0011") },
		{ "nonce", json_string("zz0000000000000000000000000000000000000000000000") },
		{ "ciphertext", json_string("") },
		{ "ciphertext", json_integer(0) },
		{ "opslimit", NULL },
		{ "opslimit", json_string("2") },
		{ "opslimit", json_integer(0) },
		{ "opslimit", json_integer(1000000) },
		{ "memlimit", NULL },
		{ "memlimit", json_integer(100LL * 1024 * 1024 * 1024) },  /* 100 GiB */
		{ "memlimit", json_integer(-1) },
		{ "memlimit", json_integer(1024) },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char p[128];
		struct ember_keypair kp;
		tmp_path(p, sizeof p);
		write_variant(p, cases[i].field, cases[i].val);
		int rc = ember_keystore_load(p, "pw", 2, &kp);
		if (rc != EMBER_KS_FORMAT)
			fail_msg("case %zu (%s): got %d", i, cases[i].field, rc);
	}

	static const char *texts[] = {
		"", "{", "not json", "[]", "{\"version\":1}", "null",
		"{\"version\":1,\"version\":1}",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		char p[128], addr[EMBER_ADDR_BUFLEN];
		struct ember_keypair kp;
		tmp_path(p, sizeof p);
		write_file(p, texts[i]);
		assert_int_equal(ember_keystore_load(p, "pw", 2, &kp), EMBER_KS_FORMAT);
		assert_int_equal(ember_keystore_address(p, addr), EMBER_KS_FORMAT);
	}

	/* an oversized file is refused before parsing */
	char p[128];
	tmp_path(p, sizeof p);
	FILE *f = fopen(p, "w");
	for (int i = 0; i < 70000; i++)
		fputc(' ', f);
	fputs("{}", f);
	fclose(f);
	struct ember_keypair kp;
	assert_int_equal(ember_keystore_load(p, "pw", 2, &kp), EMBER_KS_FORMAT);
}

static void test_missing_and_misuse(void **state)
{
	struct ember_keypair kp;
	char addr[EMBER_ADDR_BUFLEN];
	char p[128];
	snprintf(p, sizeof p, "%s/does-not-exist.json", g_dir);
	assert_int_equal(ember_keystore_load(p, "pw", 2, &kp), EMBER_EIO);
	assert_int_equal(ember_keystore_address(p, addr), EMBER_EIO);
	assert_int_equal(ember_keystore_load(NULL, "pw", 2, &kp), EMBER_EINVAL);
	assert_int_equal(ember_keystore_load(g_good, NULL, 2, &kp), EMBER_EINVAL);
	assert_int_equal(ember_keystore_load(g_good, "pw", 2, NULL), EMBER_EINVAL);
	assert_int_equal(ember_keystore_save(p, NULL, "pw", 2), EMBER_EINVAL);
	assert_int_equal(ember_keystore_address(g_good, NULL), EMBER_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_wrong_passphrase),
		cmocka_unit_test(test_empty_passphrase),
		cmocka_unit_test(test_mode_and_overwrite),
		cmocka_unit_test(test_check_mode),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_missing_and_misuse),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
