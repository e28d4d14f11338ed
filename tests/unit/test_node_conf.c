/*
 * test_node_conf.c - emberd's config file parser (node/node_conf.c) and
 * its log level names: a table of files, good and bad, each with the
 * entries or the message it must give.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ember/node.h"
#include "../../node/node_conf_internal.h"

static const struct option opts[] = {
	{ "rpc-listen", required_argument, NULL, 'r' },
	{ "peer", required_argument, NULL, 'P' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "max-peers", required_argument, NULL, 'X' },
	{ NULL, 0, NULL, 0 }
};
static const char *const repeatable[] = { "peer", NULL };

/* The entries as "name=value@line" joined by spaces. */
static void entries(const struct node_conf *c, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < c->n; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s=%s@%u", i ? " " : "",
		                      c->e[i].opt->name, c->e[i].value, c->e[i].line);
}

static void test_good(void **state)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "", "" },
		{ "\n\n", "" },
		{ "# only a comment\n   # and an indented one\n", "" },
		{ "rpc-listen=127.0.0.1:8645", "rpc-listen=127.0.0.1:8645@1" },
		{ "rpc-listen=127.0.0.1:8645\n", "rpc-listen=127.0.0.1:8645@1" },
		/* blanks around names and values, CRLF line ends */
		{ "  rpc-listen =\t1.2.3.4:5 \r\n", "rpc-listen=1.2.3.4:5@1" },
		/* repeatable names, in file order, with their lines */
		{ "peer=a:1\n# x\n\npeer=b:2\nmax-peers=9\n",
		  "peer=a:1@1 peer=b:2@4 max-peers=9@5" },
		/* flags: alone, =1, =0 */
		{ "quiet\n", "quiet=1@1" },
		{ "quiet=1", "quiet=1@1" },
		{ "quiet = 0", "quiet=0@1" },
		/* '#' inside a value belongs to it; only '=' splits, once */
		{ "peer=h#x:1", "peer=h#x:1@1" },
		{ "rpc-listen=a=b", "rpc-listen=a=b@1" },
	};
	char got[512], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct node_conf c;
		int rc = node_conf_parse(&c, "t.conf", cases[i].text,
		                         strlen(cases[i].text), opts, repeatable,
		                         err, sizeof err);
		if (rc != 0)
			fail_msg("case %zu: %s", i, err);
		entries(&c, got, sizeof got);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, got, cases[i].want);
		node_conf_release(&c);
	}
}

static void test_bad(void **state)
{
	static const struct { const char *text, *msg; } cases[] = {
		{ "fooo=1", "'t.conf' line 1: unknown option 'fooo'" },
		{ "# c\n\nrpc-listen=x:1\nrpclisten=x:1\n",
		  "'t.conf' line 4: unknown option 'rpclisten'" },
		{ "--peer=a:1", "'t.conf' line 1: unknown option '--peer' "
		  "(write names without the leading '--')" },
		{ "[main]", "'t.conf' line 1: unknown option '[main]'" },
		{ "=x", "'t.conf' line 1: expected name=value, got '=x'" },
		{ "rpc-listen", "'t.conf' line 1: 'rpc-listen' needs a value "
		  "('rpc-listen=VALUE')" },
		{ "rpc-listen=  ", "'t.conf' line 1: 'rpc-listen' needs a value "
		  "('rpc-listen=VALUE')" },
		{ "quiet=yes", "'t.conf' line 1: 'quiet' is a flag: write 'quiet', "
		  "'quiet=1' or 'quiet=0'" },
		{ "max-peers=1\nquiet\nmax-peers=2",
		  "'t.conf' line 3: 'max-peers' is set twice (first on line 1); keep one" },
		{ "quiet\nqu\x01iet=1", "'t.conf' line 2: unknown option 'qu?iet'" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct node_conf c;
		int rc = node_conf_parse(&c, "t.conf", cases[i].text,
		                         strlen(cases[i].text), opts, repeatable,
		                         err, sizeof err);
		if (rc != EMBER_EPARSE)
			fail_msg("case %zu: rc %d", i, rc);
		if (strcmp(err, cases[i].msg) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, err, cases[i].msg);
		assert_null(c.e);
		assert_int_equal(c.n, 0);
		node_conf_release(&c);
	}

	/* a NUL byte: not a text file; the line it is on is named */
	{
		struct node_conf c;
		assert_int_equal(node_conf_parse(&c, "t.conf", "quiet\npeer=a\0b", 13,
		                                 opts, repeatable, err, sizeof err),
		                 EMBER_EPARSE);
		assert_string_equal(err, "'t.conf' line 2: a NUL byte; is this a text file?");
	}
	/* a long bad name is cut when shown */
	{
		struct node_conf c;
		char text[300];
		memset(text, 'z', sizeof text - 1);
		text[sizeof text - 1] = '\0';
		assert_int_equal(node_conf_parse(&c, "t.conf", text, strlen(text), opts,
		                                 repeatable, err, sizeof err), EMBER_EPARSE);
		assert_true(strlen(err) < 120);
		assert_non_null(strstr(err, "zzz...'"));
	}
}

static void test_load(void **state)
{
	char dir[] = "/tmp/ember-conf-XXXXXX", path[64], err[256];
	struct node_conf c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/ember.conf", dir);
	/* missing: EMBER_EIO with ENOENT, which the caller may ignore */
	assert_int_equal(node_conf_load(&c, path, opts, repeatable, err, sizeof err),
	                 EMBER_EIO);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "cannot read config file"));

	assert_non_null(f = fopen(path, "w"));
	fputs("# node\npeer=a:1\npeer=b:2\nquiet\n", f);
	fclose(f);
	assert_int_equal(node_conf_load(&c, path, opts, repeatable, err, sizeof err), 0);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.e[1].value, "b:2");
	assert_int_equal(c.e[2].line, 4);
	node_conf_release(&c);
	node_conf_release(&c);   /* twice is fine */

	/* the path given is the one in the message */
	assert_non_null(f = fopen(path, "w"));
	fputs("quiet\nnope=1\n", f);
	fclose(f);
	assert_int_equal(node_conf_load(&c, path, opts, repeatable, err, sizeof err),
	                 EMBER_EPARSE);
	assert_non_null(strstr(err, "ember.conf' line 2: unknown option 'nope'"));

	/* too large to be a config file */
	assert_non_null(f = fopen(path, "w"));
	for (unsigned i = 0; i <= NODE_CONF_MAX_BYTES / 8; i++)
		fputs("# pad  \n", f);
	fclose(f);
	assert_int_equal(node_conf_load(&c, path, opts, repeatable, err, sizeof err),
	                 EMBER_EIO);
	assert_non_null(strstr(err, "is larger than"));
	unlink(path);
	rmdir(dir);
}

static void test_misuse(void **state)
{
	struct node_conf c;
	char err[64];

	(void)state;
	assert_int_equal(node_conf_parse(NULL, "p", "", 0, opts, NULL, err, sizeof err),
	                 EMBER_EINVAL);
	assert_int_equal(node_conf_parse(&c, NULL, "", 0, opts, NULL, err, sizeof err),
	                 EMBER_EINVAL);
	assert_int_equal(node_conf_parse(&c, "p", NULL, 3, opts, NULL, err, sizeof err),
	                 EMBER_EINVAL);
	assert_int_equal(node_conf_parse(&c, "p", "", 0, NULL, NULL, err, sizeof err),
	                 EMBER_EINVAL);
	/* no repeatable list: every name once */
	assert_int_equal(node_conf_parse(&c, "p", "peer=a\npeer=b", 13, opts, NULL,
	                                 err, sizeof err), EMBER_EPARSE);
	node_conf_release(NULL);
}

static void test_log_levels(void **state)
{
	static const struct { const char *name; int rc; enum ember_log_level lv; } cases[] = {
		{ "error", 0, EMBER_LOG_ERROR },
		{ "warn", 0, EMBER_LOG_WARN },
		{ "warning", 0, EMBER_LOG_WARN },
		{ "info", 0, EMBER_LOG_INFO },
		{ "DEBUG", 0, EMBER_LOG_DEBUG },
		{ "", EMBER_EPARSE, 0 },
		{ "trace", EMBER_EPARSE, 0 },
		{ "infox", EMBER_EPARSE, 0 },
	};
	enum ember_log_level lv;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		lv = EMBER_LOG_DEFAULT;
		assert_int_equal(ember_log_level_parse(cases[i].name, &lv), cases[i].rc);
		if (!cases[i].rc)
			assert_int_equal(lv, cases[i].lv);
	}
	assert_int_equal(ember_log_level_parse(NULL, &lv), EMBER_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_log_levels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
