/*
 * amount.h - EMB amounts as people write them.
 *
 * 1 EMB = 10^9 base units.  Text form: decimal with at most 9 fractional
 * digits, no sign, no exponent, no leading '+' or spaces ("12", "0.5",
 * "1.000000001").
 */
#ifndef EMBER_AMOUNT_H
#define EMBER_AMOUNT_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define EMBER_COIN 1000000000ULL
#define EMBER_AMOUNT_BUFLEN 32

/* Returns: 0, EMBER_EPARSE (bad text, > 9 decimals), EMBER_ERANGE (> u64). */
EMBER_WUR int ember_amount_parse(const char *s, uint64_t *out);
/* "123.45" form: trailing fractional zeros dropped, integer shown bare. */
void ember_amount_format(uint64_t v, char out[EMBER_AMOUNT_BUFLEN]);

#endif
