/*
 * node_log.c - emberd's log (node_log_internal.h).
 *
 * Each line is formatted once and written whole with one fputs per sink,
 * then flushed: a line is in the file when the event that caused it is
 * over, which is what someone tailing the log (or a test) expects, and a
 * crash loses nothing that was logged.
 */
#include "node_log_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define NODE_LOG_LINE 4096

static const char *const level_names[] = {
	[EMBER_LOG_ERROR] = "error",
	[EMBER_LOG_WARN] = "warn",
	[EMBER_LOG_INFO] = "info",
	[EMBER_LOG_DEBUG] = "debug",
};

int ember_log_level_parse(const char *name, enum ember_log_level *out)
{
	size_t i;

	if (!name || !out)
		return EMBER_EINVAL;
	for (i = EMBER_LOG_ERROR; i <= EMBER_LOG_DEBUG; i++)
		if (strcasecmp(name, level_names[i]) == 0) {
			*out = (enum ember_log_level)i;
			return 0;
		}
	if (strcasecmp(name, "warning") == 0) {
		*out = EMBER_LOG_WARN;
		return 0;
	}
	return EMBER_EPARSE;
}

/* Open path for appending, 0600 when it is created.  Returns: the stream
 * or NULL (errno set). */
static FILE *open_append(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "a"))) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

int node_log_open(struct node_log *l, const char *path,
                  enum ember_log_level level)
{
	memset(l, 0, sizeof *l);
	l->level = level == EMBER_LOG_DEFAULT ? EMBER_LOG_INFO : level;
	if (!path)
		return 0;
	if (strlen(path) >= sizeof l->path)
		return EMBER_EINVAL;
	memcpy(l->path, path, strlen(path) + 1);
	if (!(l->f = open_append(path)))
		return EMBER_EIO;
	return 0;
}

int node_log_reopen(struct node_log *l)
{
	if (!l->path[0])
		return 0;
	if (l->f)
		fclose(l->f);
	l->f = open_append(l->path);
	return l->f ? 0 : EMBER_EIO;
}

void node_log_close(struct node_log *l)
{
	if (l->f)
		fclose(l->f);
	l->f = NULL;
}

int node_log_enabled(const struct node_log *l, enum ember_log_level lv)
{
	return lv <= l->level;
}

void node_log_printf(struct node_log *l, enum ember_log_level lv,
                     const char *fmt, ...)
{
	char line[NODE_LOG_LINE], ts[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;
	int n;

	if (!node_log_enabled(l, lv))
		return;
	gmtime_r(&now, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* Info lines carry no tag, as before levels existed; the others say
	 * what they are, in git's words. */
	n = snprintf(line, sizeof line, "%s emberd: %s", ts,
	             lv == EMBER_LOG_ERROR ? "error: " :
	             lv == EMBER_LOG_WARN ? "warning: " :
	             lv == EMBER_LOG_DEBUG ? "debug: " : "");
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof line)
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s\n", line);
	if (l->f) {
		fprintf(l->f, "%s\n", line);
		fflush(l->f);
	}
}
