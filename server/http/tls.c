/*
 * tls.c: the HTTPS side: one SSL_CTX per process (TLS 1.2 and later only),
 * and the evhttp bufferevent callback that wraps each accepted socket in a
 * server-side bufferevent_openssl.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "http_int.h"

#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

static int
ossl_err(struct sp_errinfo *ei, const char *what, const char *path)
{
	unsigned long e = ERR_peek_last_error();
	char buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	if (ei != NULL && ei->ossl == 0)
		ei->ossl = e;
	return sp_err(ei, SP_ERR_CRYPTO, "%s %s: %s", what, path ? path : "", buf);
}

int
tls_ctx_new(const char *cert_chain, const char *key, struct ssl_ctx_st **out, struct sp_errinfo *ei)
{
	int r = SP_ERR_INTERNAL;
	SSL_CTX *ctx = NULL;

	*out = NULL;
	if (cert_chain == NULL || key == NULL || !*cert_chain || !*key) {
		r = sp_err(ei, SP_ERR_CONFIG,
			   "server.tls needs server.tls_cert and server.tls_key");
		goto out;
	}
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		r = ossl_err(ei, "SSL_CTX_new", NULL);
		goto out;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
		r = ossl_err(ei, "TLS minimum version", NULL);
		goto out;
	}
	/*
	 * TLS 1.2: only ECDHE key exchange (forward secrecy) with an AEAD cipher;
	 * no RSA key transport, no CBC (Lucky 13, padding oracles), no SHA-1 MACs.
	 * TLS 1.3 suites are all AEAD with ephemeral keys: OpenSSL's defaults stay.
	 */
	if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
		r = ossl_err(ei, "TLS 1.2 cipher list", NULL);
		goto out;
	}
	/* No renegotiation, no compression, server cipher order. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert_chain) != 1) {
		r = ossl_err(ei, "TLS certificate chain", cert_chain);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		r = ossl_err(ei, "TLS private key", key);
		goto out;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		r = ossl_err(ei, "TLS key does not match the certificate", key);
		goto out;
	}
	*out = ctx;
	ctx = NULL; /* transferred */
	r = SP_OK;
out:
	SSL_CTX_free(ctx);
	return r;
}

void
tls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

struct bufferevent *
tls_bev_new(struct event_base *base, void *arg)
{
	SSL *ssl = SSL_new((SSL_CTX *)arg);
	struct bufferevent *bev;

	if (ssl == NULL) {
		ERR_clear_error();
		return NULL;
	}
	/* On free the bufferevent frees ssl and closes the socket. */
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* A client that closes without close_notify has still sent its request. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}
