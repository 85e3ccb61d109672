/*
 * tsa_serials.c: serials of the built-in TSA reserved ahead (state.h), for
 * the completions that skip their claim, whose nextval('tsa_serial') was
 * the one thing the claim gave them that this process cannot hold from the
 * prepare. One statement reserves BATCH of them, asked for when fewer than
 * LOW are left, on the loop in the background: a completion that finds
 * none takes the claim's path.
 */
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "state.h"

#define BATCH 64
#define LOW 32
#define CAP (LOW + BATCH)

struct tsa_serials {
	uint64_t v[CAP];
	size_t n;
	int asking; /* a reservation is in flight */
	unsigned long long one_trip, fell_back;
};

int
tsa_serials_new(struct tsa_serials **out, struct sp_errinfo *ei)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return sp_err(ei, SP_ERR_NOMEM, "out of memory");
	return SP_OK;
}

void
tsa_serials_free(struct tsa_serials *s)
{
	free(s);
}

static void
reserved(void *arg, const uint64_t *serials, size_t n, const struct sp_errinfo *err)
{
	struct tsa_serials *s = arg;

	s->asking = 0;
	if (err->code != SP_OK)
		return; /* the completions take the claim's path; asked again at the next one */
	if (n > CAP - s->n)
		n = CAP - s->n; /* never: at most BATCH asked below LOW; dropped ones are gaps */
	memcpy(s->v + s->n, serials, n * sizeof(*serials));
	s->n += n;
}

void
tsa_serials_want(struct tsa_serials *s, struct db_pool *db)
{
	if (s != NULL && s->n < LOW && !s->asking && db != NULL &&
	    db_tsa_serials_reserve(db, BATCH, reserved, s) == SP_OK)
		s->asking = 1;
}

int
tsa_serials_take(struct tsa_serials *s, struct db_pool *db, uint64_t *out)
{
	*out = 0;
	if (s == NULL)
		return SP_ERR_NOT_FOUND;
	tsa_serials_want(s, db);
	if (s->n == 0)
		return SP_ERR_NOT_FOUND;
	*out = s->v[--s->n];
	return SP_OK;
}

void
tsa_serials_outcome(struct tsa_serials *s, int one_trip)
{
	if (s == NULL)
		return;
	if (one_trip)
		s->one_trip++;
	else
		s->fell_back++;
}

void
tsa_serials_stats(const struct tsa_serials *s, unsigned long long *one_trip,
		  unsigned long long *fell_back, size_t *left)
{
	*one_trip = s != NULL ? s->one_trip : 0;
	*fell_back = s != NULL ? s->fell_back : 0;
	*left = s != NULL ? s->n : 0;
}
