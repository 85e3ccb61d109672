/*
 * routes.c: the route modules of sealpactd. A later feature adds its module
 * (one `int routes_<name>_register(struct router *, struct sp_errinfo *)`
 * declared in server.h) to this table and nothing else.
 */
#include "auth_int.h"
#include "http_int.h"
#include "signing_int.h"

int routes_verify_register(struct router *rt, struct sp_errinfo *ei); /* verification.c */

static int (*const modules[])(struct router *rt, struct sp_errinfo *ei) = {
	routes_health_register,
	routes_contracts_register,
	routes_auth_register,
	routes_reviewer_register,
	routes_apikeys_register,
	routes_signing_register,
	routes_verify_register,
};

int
routes_register_all(struct router *rt, struct sp_errinfo *ei)
{
	size_t i;
	int r;

	for (i = 0; i < SP_ARRAY_LEN(modules); i++)
		if ((r = modules[i](rt, ei)) != SP_OK)
			return r;
	return SP_OK;
}
