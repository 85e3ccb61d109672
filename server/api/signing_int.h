/*
 * signing_int.h: private declarations of the signing modules of sealpactd
 * (api/signing.c: prepare; api/signing_complete.c: complete and abort;
 * api/tsa.c: POST /tsa). The timestamp source is in state.h.
 */
#ifndef SP_SERVER_SIGNING_INT_H
#define SP_SERVER_SIGNING_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "authn.h"
#include "db.h"
#include "server.h"
#include "state.h"

struct config;
struct crypto_tsa;

/* The signing routes (prepare, complete, abort) and POST /tsa. Start-up only. */

/* signing_complete.c: the handlers of POST .../complete and DELETE .../{id}. */
void signing_complete_step(struct request *r, const struct principal *who);
void signing_abort_step(struct request *r, const struct principal *who);

/*
 * Who acts in a signing state change (its audit event): org_id and user_id
 * (0: none), and r's peer address and User-Agent, which a points into: a is
 * valid while r is. Loop thread.
 */
void signing_actor_fill(struct db_actor *a, const struct request *r, int64_t org_id,
			int64_t user_id);

#endif /* SP_SERVER_SIGNING_INT_H */
