/*
 * amount.c - EMB amounts as text (see amount.h).
 *
 * The grammar is digits [ "." 1*9digits ]: no sign, exponent, spaces, or a
 * bare "." at either end, because an amount typed by a person is money and
 * a lenient reading ("1e9", " 1", "1.") is a likely typo, not a request.
 * Leading zeros ("007") are unambiguous and accepted.  Syntax is checked in
 * full before any arithmetic, so "99999999999999999999x" is a parse error,
 * not a range error.
 */
#include "ember/amount.h"

#include <inttypes.h>
#include <stdio.h>

#include "ember/codec.h"

#define AMOUNT_DECIMALS 9

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int ember_amount_parse(const char *s, uint64_t *out)
{
	size_t nint = 0, nfrac = 0;
	uint64_t whole = 0, frac = 0, v;

	if (!s || !out)
		return EMBER_EINVAL;
	while (is_digit(s[nint]))
		nint++;
	if (nint == 0)
		return EMBER_EPARSE;
	if (s[nint] == '.') {
		while (is_digit(s[nint + 1 + nfrac]))
			nfrac++;
		if (nfrac == 0 || nfrac > AMOUNT_DECIMALS ||
		    s[nint + 1 + nfrac] != '\0')
			return EMBER_EPARSE;
	} else if (s[nint] != '\0') {
		return EMBER_EPARSE;
	}

	for (size_t i = 0; i < nint; i++)
		if (!ember_mul_u64(whole, 10, &whole) ||
		    !ember_add_u64(whole, (uint64_t)(s[i] - '0'), &whole))
			return EMBER_ERANGE;
	for (size_t i = 0; i < AMOUNT_DECIMALS; i++)
		frac = frac * 10 + (i < nfrac ? (uint64_t)(s[nint + 1 + i] - '0') : 0);
	if (!ember_mul_u64(whole, EMBER_COIN, &v) || !ember_add_u64(v, frac, &v))
		return EMBER_ERANGE;
	*out = v;
	return 0;
}

void ember_amount_format(uint64_t v, char out[EMBER_AMOUNT_BUFLEN])
{
	uint64_t whole = v / EMBER_COIN, frac = v % EMBER_COIN;
	if (frac == 0) {
		snprintf(out, EMBER_AMOUNT_BUFLEN, "%" PRIu64, whole);
		return;
	}
	int n = snprintf(out, EMBER_AMOUNT_BUFLEN, "%" PRIu64 ".%09" PRIu64,
	                 whole, frac);
	/* frac != 0, so stripping stops before the '.'. */
	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
}
