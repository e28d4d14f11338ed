/*
 * cwal_dump_internal.h - `emberd inspect-wal FILE` (node/ internal): a
 * consensus WAL file (cwal.h), either DIR/cons.wal or DIR/cons.wal.1, as
 * one JSON object per record and line, for people and scripts reading
 * what a validator was fed before it stopped.
 *
 *   {"kind":"height","own":false,"height":7}
 *   {"kind":"proposal","own":true,"height":7,"round":0,"pol_round":-1,
 *    "value":"<64 hex>","proposer":2,"sig":"<128 hex>","block_len":1834}
 *   {"kind":"vote","own":false,"height":7,"type":"prevote","nil":false,
 *    "round":0,"value":"<64 hex>" (null when nil),"validator":1,
 *    "time_ms":0,"sig":"<128 hex>"}
 *   {"kind":"timeout","own":false,"height":7,"step":"prevote","round":1}
 */
#ifndef EMBER_CWAL_DUMP_INTERNAL_H
#define EMBER_CWAL_DUMP_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

/*
 * Write every record of the log file at path to out, one compact JSON
 * object and a newline each, in file order.  The file is not changed.
 * Returns: what cons_wal_read_file returns (0 also when a torn last
 * record ended the walk, said in err); EMBER_ENOMEM; EMBER_EIO when out
 * cannot be written.
 */
int node_cwal_dump(const char *path, FILE *out, char *err, size_t errlen);

#endif
