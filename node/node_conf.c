/*
 * node_conf.c - emberd's config file parser (node_conf_internal.h).
 *
 * The text is copied once and cut in place: every name and value is a
 * NUL-terminated piece of c->buf, so entries need no allocation of their
 * own and live exactly as long as the conf.
 */
#include "node_conf_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NODE_CONF_SHOWN 64   /* longest piece of a bad line echoed back */

static void conf_err(char *err, size_t errlen, const char *path, unsigned line,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void conf_err(char *err, size_t errlen, const char *path, unsigned line,
                     const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errlen)
		return;
	n = snprintf(err, errlen, "'%s' line %u: ", path, line);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* src as it may be shown: printable ASCII, at most NODE_CONF_SHOWN bytes
 * and "..." after a cut. */
static const char *shown(const char *src, char out[NODE_CONF_SHOWN + 4])
{
	size_t i;

	for (i = 0; src[i] && i < NODE_CONF_SHOWN; i++)
		out[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	if (src[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* Drop blanks (and a CR from a CRLF file) on both sides; cuts in place. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static const struct option *opt_find(const struct option *opts, const char *name)
{
	for (; opts->name; opts++)
		if (strcmp(opts->name, name) == 0)
			return opts;
	return NULL;
}

static int repeatable_has(const char *const *rep, const char *name)
{
	for (; rep && *rep; rep++)
		if (strcmp(*rep, name) == 0)
			return 1;
	return 0;
}

/* One line, already cut out and NUL-terminated.  Returns 0, 1 for a line
 * with nothing to keep, or EMBER_EPARSE. */
static int parse_line(char *s, unsigned line, const char *path,
                      const struct option *opts, struct node_conf_entry *out,
                      char *err, size_t errlen)
{
	char buf[NODE_CONF_SHOWN + 4], *eq, *name, *value;
	const struct option *o;

	s = trim(s);
	if (!*s || *s == '#')
		return 1;
	eq = strchr(s, '=');
	if (eq)
		*eq = '\0';
	name = trim(s);
	value = eq ? trim(eq + 1) : NULL;
	if (!*name) {
		conf_err(err, errlen, path, line, "expected name=value, got '=%s'",
		         shown(value, buf));
		return EMBER_EPARSE;
	}
	if (!(o = opt_find(opts, name))) {
		conf_err(err, errlen, path, line, "unknown option '%s'%s",
		         shown(name, buf), strncmp(name, "--", 2) == 0 ?
		         " (write names without the leading '--')" : "");
		return EMBER_EPARSE;
	}
	if (o->has_arg == no_argument) {
		if (value && strcmp(value, "1") != 0 && strcmp(value, "0") != 0) {
			conf_err(err, errlen, path, line,
			         "'%s' is a flag: write '%s', '%s=1' or '%s=0'",
			         o->name, o->name, o->name, o->name);
			return EMBER_EPARSE;
		}
		out->value = value ? value : "1";
	} else {
		if (!value || !*value) {
			conf_err(err, errlen, path, line, "'%s' needs a value "
			         "('%s=VALUE')", o->name, o->name);
			return EMBER_EPARSE;
		}
		out->value = value;
	}
	out->opt = o;
	out->line = line;
	return 0;
}

int node_conf_parse(struct node_conf *c, const char *path, const char *text,
                    size_t len, const struct option *opts,
                    const char *const *repeatable, char *err, size_t errlen)
{
	size_t cap = 1, i;
	unsigned line = 0;
	char *p, *end;
	int rc;

	if (!c || !path || (!text && len) || !opts)
		return EMBER_EINVAL;
	memset(c, 0, sizeof(*c));
	if (len && (p = memchr(text, '\0', len))) {
		for (i = 0; text + i < p; i++)
			line += text[i] == '\n';
		conf_err(err, errlen, path, line + 1,
		         "a NUL byte; is this a text file?");
		return EMBER_EPARSE;
	}
	for (i = 0; i < len; i++)
		cap += text[i] == '\n';
	if (!(c->buf = malloc(len + 1)) || !(c->e = calloc(cap, sizeof(*c->e)))) {
		node_conf_release(c);
		return EMBER_ENOMEM;
	}
	if (len)
		memcpy(c->buf, text, len);
	c->buf[len] = '\0';
	for (p = c->buf; *p || p == c->buf; p = end + 1) {
		end = strchr(p, '\n');
		if (end)
			*end = '\0';
		line++;
		rc = parse_line(p, line, path, opts, &c->e[c->n], err, errlen);
		if (rc < 0) {
			node_conf_release(c);
			return rc;
		}
		if (rc == 0) {
			const struct node_conf_entry *ne = &c->e[c->n];
			for (i = 0; i < c->n; i++)
				if (c->e[i].opt == ne->opt &&
				    !repeatable_has(repeatable, ne->opt->name)) {
					conf_err(err, errlen, path, line, "'%s' is set twice "
					         "(first on line %u); keep one", ne->opt->name,
					         c->e[i].line);
					node_conf_release(c);
					return EMBER_EPARSE;
				}
			c->n++;
		}
		if (!end)
			break;
	}
	return 0;
}

int node_conf_load(struct node_conf *c, const char *path,
                   const struct option *opts, const char *const *repeatable,
                   char *err, size_t errlen)
{
	FILE *f;
	char *text;
	size_t len;
	int rc, e;

	if (!c || !path || !opts)
		return EMBER_EINVAL;
	memset(c, 0, sizeof(*c));
	if (!(f = fopen(path, "r"))) {
		e = errno;
		ember_errf(err, errlen, "cannot read config file '%s': %s", path,
		           strerror(e));
		errno = e;
		return EMBER_EIO;
	}
	if (!(text = malloc(NODE_CONF_MAX_BYTES + 1))) {
		fclose(f);
		return EMBER_ENOMEM;
	}
	len = fread(text, 1, NODE_CONF_MAX_BYTES + 1, f);
	e = ferror(f) ? errno : 0;
	fclose(f);
	if (e || len > NODE_CONF_MAX_BYTES) {
		if (e)
			ember_errf(err, errlen, "cannot read config file '%s': %s", path,
			           strerror(e));
		else
			ember_errf(err, errlen, "config file '%s' is larger than %u "
			           "bytes; is it the right file?", path, NODE_CONF_MAX_BYTES);
		free(text);
		errno = e ? e : EFBIG;
		return EMBER_EIO;
	}
	rc = node_conf_parse(c, path, text, len, opts, repeatable, err, errlen);
	free(text);
	return rc;
}

void node_conf_release(struct node_conf *c)
{
	if (!c)
		return;
	free(c->buf);
	free(c->e);
	memset(c, 0, sizeof(*c));
}
