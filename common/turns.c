/*
 * turns.c: owners taking turns for a few servers (sp.h). A list, not a
 * table: it holds only the owners with work in flight, at most as many as
 * the bounded queue that uses it has jobs.
 */
#include <stdlib.h>
#include <string.h>

#include "sp.h"

struct sp_turn *
sp_turns_get(struct sp_turns *t, const unsigned char key[SP_TURN_KEY])
{
	struct sp_turn *o;

	for (o = t->owners; o != NULL; o = o->next)
		if (memcmp(o->key, key, SP_TURN_KEY) == 0)
			return o;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	memcpy(o->key, key, SP_TURN_KEY);
	o->next = t->owners;
	t->owners = o;
	return o;
}

void
sp_turns_start(struct sp_turns *t, struct sp_turn *o)
{
	if (o == NULL)
		return;
	o->queued--;
	o->running++;
	o->started = ++t->starts;
}

void
sp_turns_end(struct sp_turn *o)
{
	if (o != NULL)
		o->running--;
}

void
sp_turns_put(struct sp_turns *t, struct sp_turn *o)
{
	struct sp_turn **pp;

	if (o == NULL || o->queued > 0 || o->running > 0)
		return;
	for (pp = &t->owners; *pp != NULL; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			free(o);
			return;
		}
}

int
sp_turns_before(const struct sp_turn *a, const struct sp_turn *b)
{
	long na = a != NULL ? a->running : 0, nb = b != NULL ? b->running : 0;
	unsigned long long ta = a != NULL ? a->started : 0, tb = b != NULL ? b->started : 0;

	return na < nb || (na == nb && ta < tb);
}

int
sp_turns_fresh(const struct sp_turn *a)
{
	return a == NULL || (a->running == 0 && a->started == 0);
}

void
sp_turns_clear(struct sp_turns *t)
{
	struct sp_turn *o;

	while ((o = t->owners) != NULL) {
		t->owners = o->next;
		free(o);
	}
	t->starts = 0;
}
