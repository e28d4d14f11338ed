/*
 * fsio.h - the file steps that make the node's own files durable, shared
 * by the ledger's write-ahead log (chain/store_wal.c), the consensus WAL
 * (consensus/cwal.c) and the signing guard (consensus/guard.c): writes
 * that finish (a short write or EINTR is not an error), and the fsync of
 * a directory that makes a name created or renamed in it survive a crash
 * (the file's own fsync does not; CometBFT's bug #6031).
 */
#ifndef EMBER_FSIO_H
#define EMBER_FSIO_H

#include <stddef.h>
#include <stdint.h>

/* All n bytes at offset off (pwrite) or at the file position (write).
 * A write that makes no progress is ENOSPC.  Returns 0 or -1 (errno). */
int ember_pwrite_all(int fd, const void *p, size_t n, uint64_t off);
int ember_write_all(int fd, const void *p, size_t n);

/* fsync directory dir.  Returns 0 or -1 (errno set, nothing left open). */
int ember_fsync_dir(const char *dir);

#endif
