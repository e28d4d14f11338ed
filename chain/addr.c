/*
 * addr.c - bech32m (BIP-350) and "ember1..." account addresses.
 *
 * Follows the BIP-173 reference decoder's order of checks, with the BIP-350
 * checksum constant; a bech32 (constant 1) string is a checksum failure.
 */
#include "ember/addr.h"

#include <string.h>

#include "ember/key.h"

#define BECH32M_CONST 0x2bc830a3u
#define BECH32_MAXLEN 90

static const char addr_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* Character to 5-bit value, -1 for characters outside the charset. */
static int addr_charval(unsigned char c)
{
	const char *p;

	if (c >= 'A' && c <= 'Z')
		c = (unsigned char)(c - 'A' + 'a');
	if (c == '\0')
		return -1;
	p = strchr(addr_charset, c);
	return p ? (int)(p - addr_charset) : -1;
}

static uint32_t addr_polymod_step(uint32_t pre, uint8_t v)
{
	uint8_t b = (uint8_t)(pre >> 25);

	return ((pre & 0x1ffffffu) << 5) ^ v ^
	       (-((b >> 0) & 1u) & 0x3b6a57b2u) ^
	       (-((b >> 1) & 1u) & 0x26508e6du) ^
	       (-((b >> 2) & 1u) & 0x1ea119fau) ^
	       (-((b >> 3) & 1u) & 0x3d4233ddu) ^
	       (-((b >> 4) & 1u) & 0x2a1462b3u);
}

/* Polymod state after the expanded hrp (high bits, 0, low bits); hrp is
 * lowercased on the fly since the checksum covers the lowercase form. */
static uint32_t addr_hrp_polymod(const char *hrp, size_t hlen)
{
	uint32_t chk = 1;
	size_t i;

	for (i = 0; i < hlen; i++) {
		unsigned char c = (unsigned char)hrp[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		chk = addr_polymod_step(chk, c >> 5);
	}
	chk = addr_polymod_step(chk, 0);
	for (i = 0; i < hlen; i++) {
		unsigned char c = (unsigned char)hrp[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		chk = addr_polymod_step(chk, c & 31);
	}
	return chk;
}

int ember_bech32m_encode(char *out, size_t outcap, const char *hrp,
                         const uint8_t *data5, size_t n5)
{
	size_t hlen, total, k = 0;
	uint32_t chk;

	if (!out || !hrp || (!data5 && n5))
		return EMBER_EINVAL;
	hlen = strlen(hrp);
	if (hlen < 1 || hlen > 83 || n5 > BECH32_MAXLEN)
		return EMBER_ADDR_FORMAT;
	total = hlen + 1 + n5 + 6;
	if (total > BECH32_MAXLEN)
		return EMBER_ADDR_FORMAT;
	for (size_t i = 0; i < hlen; i++)
		if (hrp[i] < 33 || hrp[i] > 126)
			return EMBER_ADDR_FORMAT;
	for (size_t i = 0; i < n5; i++)
		if (data5[i] >> 5)
			return EMBER_ADDR_FORMAT;
	if (outcap < total + 1)
		return EMBER_ENC_BUFFER;

	chk = addr_hrp_polymod(hrp, hlen);
	for (size_t i = 0; i < hlen; i++) {
		char c = hrp[i];

		out[k++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[k++] = '1';
	for (size_t i = 0; i < n5; i++) {
		chk = addr_polymod_step(chk, data5[i]);
		out[k++] = addr_charset[data5[i]];
	}
	for (int i = 0; i < 6; i++)
		chk = addr_polymod_step(chk, 0);
	chk ^= BECH32M_CONST;
	for (int i = 0; i < 6; i++)
		out[k++] = addr_charset[(chk >> (5 * (5 - i))) & 31];
	out[k] = '\0';
	return EMBER_OK;
}

int ember_bech32m_decode(const char *str, char *hrp_out, size_t hrpcap,
                         uint8_t *data5, size_t data5cap, size_t *n5)
{
	size_t len, sep, dlen;
	int lower = 0, upper = 0;
	uint32_t chk;

	if (!str || !hrp_out || !n5 || (!data5 && data5cap))
		return EMBER_EINVAL;
	len = strnlen(str, BECH32_MAXLEN + 1);
	if (len > BECH32_MAXLEN)
		return EMBER_ADDR_FORMAT;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];

		if (c < 33 || c > 126)
			return EMBER_ADDR_FORMAT;
		lower |= c >= 'a' && c <= 'z';
		upper |= c >= 'A' && c <= 'Z';
	}
	if (lower && upper)
		return EMBER_ADDR_FORMAT;
	/* The separator is the last '1': the hrp may itself contain '1'. */
	{
		const char *p = strrchr(str, '1');

		if (!p)
			return EMBER_ADDR_FORMAT;
		sep = (size_t)(p - str);
	}
	if (sep < 1 || len - sep - 1 < 6)
		return EMBER_ADDR_FORMAT;
	dlen = len - sep - 1 - 6;

	chk = addr_hrp_polymod(str, sep);
	for (size_t i = sep + 1; i < len; i++) {
		int v = addr_charval((unsigned char)str[i]);

		if (v < 0)
			return EMBER_ADDR_FORMAT;
		chk = addr_polymod_step(chk, (uint8_t)v);
	}
	if (chk != BECH32M_CONST)
		return EMBER_ADDR_CHECKSUM;
	if (hrpcap < sep + 1 || data5cap < dlen)
		return EMBER_ENC_BUFFER;

	for (size_t i = 0; i < sep; i++) {
		char c = str[i];

		hrp_out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	hrp_out[sep] = '\0';
	for (size_t i = 0; i < dlen; i++)
		data5[i] = (uint8_t)addr_charval((unsigned char)str[sep + 1 + i]);
	*n5 = dlen;
	return EMBER_OK;
}

/* 32 bytes are 256 bits: 51 full groups of 5 and one of 1 bit + 4 padding. */
#define ADDR_N5 52

void ember_addr_encode(const uint8_t pub[32], char out[EMBER_ADDR_BUFLEN])
{
	uint8_t d[ADDR_N5];
	uint32_t acc = 0;
	int bits = 0;
	size_t k = 0;

	for (int i = 0; i < 32; i++) {
		acc = (acc << 8) | pub[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			d[k++] = (uint8_t)((acc >> bits) & 31);
		}
	}
	d[k++] = (uint8_t)((acc << (5 - bits)) & 31);
	/* Cannot fail: fixed hrp, 52 values < 32, 65-byte output. */
	if (ember_bech32m_encode(out, EMBER_ADDR_BUFLEN, EMBER_ADDR_HRP_STR, d,
	                         k) != EMBER_OK)
		out[0] = '\0';
}

int ember_addr_decode(const char *str, uint8_t pub[32])
{
	char hrp[BECH32_MAXLEN];
	uint8_t d[BECH32_MAXLEN];
	uint8_t key[32];
	size_t n5, k = 0;
	uint32_t acc = 0;
	int bits = 0, rc;

	if (!str || !pub)
		return EMBER_EINVAL;
	rc = ember_bech32m_decode(str, hrp, sizeof hrp, d, sizeof d, &n5);
	if (rc)
		return rc;
	if (strcmp(hrp, EMBER_ADDR_HRP_STR) != 0)
		return EMBER_ADDR_HRP;
	if (n5 != ADDR_N5)
		return EMBER_ADDR_FORMAT;
	for (size_t i = 0; i < n5; i++) {
		acc = ((acc << 5) | d[i]) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			key[k++] = (uint8_t)(acc >> bits);
		}
	}
	/* Canonical form only: the 4 leftover padding bits must be zero. */
	if (bits >= 5 || (acc & ((1u << bits) - 1)))
		return EMBER_ADDR_FORMAT;
	if (!ember_pubkey_valid(key))
		return EMBER_CRYPTO_PUBKEY;
	memcpy(pub, key, 32);
	return EMBER_OK;
}
