/*
 * cancel.c: cooperative cancellation (sp.h). A flag per thread, not a
 * parameter through every reader: the loops that may run long are deep in
 * pdf/ and crypto/ (a content stream's operators inside a placement search
 * inside a signing preparation), and what they must do when it is set is
 * what they do for any other error: stop and unwind.
 */
#include "sp.h"

static __thread const volatile int *bound;
static __thread int fired; /* a check saw the flag since the bind */

void
sp_cancel_bind(const volatile int *flag)
{
	bound = flag;
	fired = 0;
}

int
sp_cancel_unbind(void)
{
	int was = fired;

	bound = NULL;
	fired = 0;
	return was;
}

int
sp_cancelled(void)
{
	const volatile int *f = bound;

	if (f == NULL || __atomic_load_n(f, __ATOMIC_RELAXED) == 0)
		return 0;
	fired = 1;
	return 1;
}

int
sp_cancel_check(struct sp_errinfo *ei)
{
	if (!sp_cancelled())
		return SP_OK;
	return sp_err(ei, SP_ERR_UNAVAILABLE,
		      "nobody waits for this work any more (its request was answered or its "
		      "client left)");
}
