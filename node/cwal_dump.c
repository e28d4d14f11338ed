/*
 * cwal_dump.c - a consensus WAL file as JSON lines (cwal_dump_internal.h).
 */
#include "cwal_dump_internal.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "ember/codec.h"
#include "ember/cwal.h"

struct dump_ctx {
	FILE *out;
	char *err;
	size_t errlen;
};

static const char *const kind_names[] = {
	[CONS_WAL_HEIGHT] = "height",
	[CONS_WAL_PROPOSAL] = "proposal",
	[CONS_WAL_VOTE] = "vote",
	[CONS_WAL_TIMEOUT] = "timeout",
};

static const char *const step_names[] = {
	[BFT_PROPOSE] = "propose",
	[BFT_PREVOTE] = "prevote",
	[BFT_PRECOMMIT] = "precommit",
};

/* The record's fields past kind, own and height, as an object. */
static json_t *dump_body(const struct cons_wal_rec *r)
{
	char value[65], sig[129];

	switch (r->kind) {
	case CONS_WAL_HEIGHT:
		return json_object();
	case CONS_WAL_PROPOSAL: {
		const struct bft_proposal *p = &r->u.prop.p;

		ember_hex_encode(p->value, sizeof(p->value), value);
		ember_hex_encode(p->sig, sizeof(p->sig), sig);
		return json_pack("{s:I, s:I, s:s, s:I, s:s, s:I}",
		                 "round", (json_int_t)p->round,
		                 "pol_round", (json_int_t)p->pol_round,
		                 "value", value,
		                 "proposer", (json_int_t)p->proposer,
		                 "sig", sig,
		                 "block_len", (json_int_t)r->u.prop.blklen);
	}
	case CONS_WAL_VOTE: {
		const struct bft_vote *v = &r->u.vote;

		ember_hex_encode(v->value, sizeof(v->value), value);
		ember_hex_encode(v->sig, sizeof(v->sig), sig);
		return json_pack("{s:s, s:b, s:I, s:s?, s:I, s:I, s:s}",
		                 "type", v->type == BFT_VOTE_PREVOTE ? "prevote"
		                                                     : "precommit",
		                 "nil", v->nil != 0,
		                 "round", (json_int_t)v->round,
		                 "value", v->nil ? NULL : value,
		                 "validator", (json_int_t)v->validator,
		                 "time_ms", (json_int_t)v->time_ms,
		                 "sig", sig);
	}
	case CONS_WAL_TIMEOUT:
		return json_pack("{s:s, s:I}", "step", step_names[r->u.timeout.step],
		                 "round", (json_int_t)r->u.timeout.round);
	default:        /* cons_wal_read_file hands over known kinds only */
		return NULL;
	}
}

static int dump_cb(void *ctx, const struct cons_wal_rec *r)
{
	struct dump_ctx *d = ctx;
	json_t *o, *body;
	int rc = 0;

	o = json_pack("{s:s, s:b, s:I}", "kind", kind_names[r->kind],
	              "own", r->own != 0, "height", (json_int_t)r->height);
	body = dump_body(r);
	if (!o || !body || json_object_update(o, body) != 0) {
		ember_errf(d->err, d->errlen, "out of memory");
		rc = EMBER_ENOMEM;
	} else if (json_dumpf(o, d->out, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
	           fputc('\n', d->out) == EOF) {
		ember_errf(d->err, d->errlen, "cannot write the dump: %s",
		           strerror(errno));
		rc = EMBER_EIO;
	}
	json_decref(body);
	json_decref(o);
	return rc;
}

int node_cwal_dump(const char *path, FILE *out, char *err, size_t errlen)
{
	struct dump_ctx d = { out, err, errlen };

	if (!path || !out)
		return EMBER_EINVAL;
	return cons_wal_read_file(path, dump_cb, &d, err, errlen);
}
