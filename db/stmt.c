/*
 * stmt.c: the statements a pooled connection prepared (db_query_send_prepared
 * in db_int.h). A statement is named by the SHA-256 of its text, so a name
 * means one text wherever it is found: on a server session that a pooler
 * hands from one client to another, "already exists" (42P05) under our name
 * is the same statement. Loop thread.
 */
#include "db_int.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* "sp_" and the first 16 bytes of the text's SHA-256 in hex; -1 on failure. */
static int
stmt_name(const char *sql, char name[36])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(sql, strlen(sql), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 16)
		return -1;
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): sp_hex ends it */
	memcpy(name, "sp_", 3);
	sp_hex(md, 16, name + 3); /* 32 digits and the NUL: name[35] */
	return 0;
}

int
db_stmt_lookup(struct db_conn *c, const char *sql)
{
	uint64_t h = fnv1a(sql);
	struct db_stmt *s;
	int i;

	for (i = 0; i < c->nstmts; i++) {
		if (c->stmts[i].hash == h && strcmp(c->stmts[i].sql, sql) == 0)
			return i;
	}
	if (c->nstmts >= DB_STMT_MAX)
		return -1; /* full: this text goes unnamed on this connection */
	if (c->stmts == NULL && (c->stmts = calloc(DB_STMT_MAX, sizeof(*c->stmts))) == NULL)
		return -1;
	s = &c->stmts[c->nstmts];
	if (stmt_name(sql, s->name) != 0 || (s->sql = strdup(sql)) == NULL)
		return -1;
	s->hash = h;
	s->mode = STMT_NEW;
	return c->nstmts++;
}

void
db_stmts_forget(struct db_conn *c)
{
	int i;

	for (i = 0; i < c->nstmts; i++)
		free(c->stmts[i].sql);
	free(c->stmts);
	c->stmts = NULL;
	c->nstmts = 0;
	c->phase = PH_UNNAMED;
	c->just_prepared = 0;
	c->resend = 0;
}
