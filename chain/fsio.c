/*
 * fsio.c - whole writes and directory fsyncs (fsio.h).
 */
#include "ember/fsio.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int ember_pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = pwrite(fd, b, n, (off_t)off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0) {           /* no progress: treat as no space */
			errno = ENOSPC;
			return -1;
		}
		b += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

int ember_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n) {
		ssize_t k = write(fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0) {
			errno = ENOSPC;
			return -1;
		}
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

int ember_fsync_dir(const char *dir)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc, e;

	if (dfd < 0)
		return -1;
	rc = fsync(dfd);
	e = errno;
	close(dfd);
	errno = e;
	return rc;
}
