/*
 * config.h: sealpact's configuration: one YAML file (libyaml) read into one
 * immutable struct, with SEALPACT_<SECTION>_<KEY> environment overrides.
 *
 * Every key is documented in config/sealpact.example.yaml. Unknown keys, bad
 * values and out-of-range numbers stop start-up with "FILE:LINE: reason"
 * (or "SEALPACT_X_Y: reason" for an environment override).
 *
 * The loaded struct is never modified after config_load() returns, so any
 * thread may read it without locks.
 */
#ifndef SP_CONFIG_H
#define SP_CONFIG_H

#include <stddef.h>

#include "sp.h"

#define CONFIG_MAX_LIST 16 /* entries in a list-valued key (trust roots, ...) */

struct config_server {
	char *host;              /* listen address, default "127.0.0.1" */
	int port;                /* default 8443; 0 = pick a free port (tests) */
	int tls;                 /* 1 = HTTPS (default), 0 = plain HTTP for local use */
	char *tls_cert;          /* PEM certificate chain, required when tls */
	char *tls_key;           /* PEM private key, required when tls */
	int workers;             /* serving processes sharing one listening socket, default 1 */
	int threads;             /* worker-pool threads per process, default 2 */
	size_t max_body_bytes;   /* request body cap, default 1 MiB */
	size_t max_upload_bytes; /* PDF upload cap, default 32 MiB */
	/* request-body bytes one process holds at once (declared Content-Lengths of the
	   requests being read or handled); 0 (default) = 8 x max_upload_bytes */
	size_t max_inflight_body_bytes;
	int request_timeout_ms; /* handler deadline from dispatch to reply, default 30000 */
	int read_timeout_ms;    /* head + body of a request from its first byte, default 20000 */
	int keepalive_idle_ms; /* connection without a request before it is closed, default 15000 */
	/* a trusted balancer's PROXY header, whole, from the connection's accept; default 2000 */
	int proxy_header_timeout_ms;
	size_t max_header_bytes;    /* request line + headers cap, default 8 KiB */
	int max_connections;        /* open client connections per process, default 4096 */
	int max_connections_per_ip; /* open client connections per address per process, default 256 */
	int shutdown_timeout_ms; /* how long SIGTERM waits for in-flight requests, default 20000 */
	/* worker-pool jobs one organization, reviewer or anonymous address may have queued or
	   running in a process (more: 429), default 32 */
	int max_jobs_per_caller;
	/* the work one verification may do on a file's revisions (CRYPTO_VERIFY_MAX_WORK's
	   units), past which it is 422 pdf_limit; default 1000000 */
	int max_verify_work;
	int node_id;      /* 0..1023: worker i numbers contracts on node node_id + i */
	char *public_url; /* base URL shown to users, default derived from host/port */
	/* lowercase or uppercase hex SHA-256 of the bearer token GET /metrics asks for;
	   NULL (default): /metrics is no route (404) */
	char *metrics_token_sha256;
	/* comma-separated addresses and CIDR ranges of the TCP balancers whose PROXY
	   protocol header (v1 or v2) names the client; NULL (default): none, the
	   connection's address is the client's */
	char *trusted_proxies;
};

struct config_database {
	char *url;              /* libpq conninfo or postgresql:// URI (required) */
	int pool_size;          /* connections per process, default 4 */
	int queue_max;          /* queries waiting for a connection before 503, default 256 */
	int query_timeout_ms;   /* per-query deadline, default 5000 */
	int connect_timeout_ms; /* per-connection-attempt deadline, default 2000 */
};

struct config_log {
	char *level;    /* "debug" | "info" | "warn" | "error", default "info" */
	int access_log; /* 1 = one JSON line per request (default) */
};

struct config_trust {
	char *roots[CONFIG_MAX_LIST]; /* PEM files of trusted root CAs */
	size_t nroots;
	char *intermediates[CONFIG_MAX_LIST]; /* PEM files of intermediate CAs */
	size_t nintermediates;
	char *crls[CONFIG_MAX_LIST]; /* PEM or DER CRL files (fallback) */
	size_t ncrls;
	int ocsp;               /* 1 = check revocation by OCSP (default) */
	char *ocsp_url;         /* responder that overrides the certificate's AIA, or NULL */
	int ocsp_timeout_ms;    /* default 3000 */
	int require_revocation; /* 1 = no OCSP answer and no CRL means refuse (default 1) */
	char *allow_hosts;      /* internal hosts a certificate's OCSP URL may name, or NULL */
};

struct config_tsa {
	char *mode;     /* "builtin" (default) | "external" */
	char *url;      /* external TSA URL (mode external) */
	char *username; /* external TSA basic auth, optional */
	char *password;
	int timeout_ms;  /* external TSA deadline, default 10000 */
	char *cert;      /* built-in TSA certificate (PEM, critical timeStamping EKU) */
	char *key;       /* built-in TSA private key (PEM) */
	char *chain;     /* built-in TSA chain to include (PEM), optional */
	char *policy;    /* TSA policy OID, default "1.3.6.1.4.1.99999.1.1" */
	int accuracy_ms; /* accuracy stated in tokens, default 1000 */
	char *trust;     /* PEM of TSA root/CA certificates tokens must chain to */
	/* timestamps POST /tsa gives one client address (IPv6 by /64) a minute, per serving
	   process; one more is 429 rate_limited. Default 600 */
	int max_per_minute;
};

struct config_auth {
	int challenge_ttl_s;    /* login nonce lifetime, default 120 */
	int max_challenges;     /* unused since 049 (challenges are kept nowhere); still loads */
	int session_ttl_s;      /* bearer session lifetime, default 28800 */
	int login_max_failures; /* reviewer password failures before the first lock, default 5 */
	int login_backoff_s;    /* the first lock; each further one doubles it, default 30 */
	int login_lockout_s;    /* the longest lock (and block of an address), default 900 */
	int ip_max_failures; /* failed logins per client address before it is slowed, 0 = off; default 20 */
	/* API keys one organization creates in any 24 hours, revoked ones included; one more
	   is 429 rate_limited. Default 200 */
	int max_api_keys_per_day;
	int max_logins_per_day; /* member logins of one organization in any 24 hours, default 2000 */
	int max_member_logins_per_day;  /* one member's logins in any 24 hours, default 200 */
	int max_address_logins_per_day; /* an organization's members' from one address, 1000 */
};

struct config_signing {
	int session_ttl_s;        /* signing-session lifetime, default 600 */
	char *default_seal_image; /* PNG used until an organization has an approved seal */
	char *date_seal_zone;     /* IANA zone of the date seal and /M, default Asia/Shanghai */
	char *level;              /* PAdES level of completed signatures: "B-T" | "B-LT" |
				     "B-LTA" (default: DSS after each, document timestamp after the last) */
	int archive_horizon_days; /* renew the archive timestamp this long before its TSA
				     certificate expires, default 90 */
	int archive_interval_s;   /* how often the renewal job looks, default 3600 (0: never) */
	int document_cache_mb; /* stored documents kept per process (MiB), default 512 (0: off) */
};

struct config_seals {
	char *maker_cert;   /* PEM: the platform's seal-making certificate; NULL: no approvals */
	char *maker_key;    /* PEM: its private key (SM2, RSA or P-256) */
	int claim_ttl;      /* seconds a reviewer's claim lasts, default 1800 */
	char *cjk_font;     /* OpenType/TrueType collection for forms and generated seals */
	int cjk_font_index; /* the face in cjk_font (Noto Sans CJK: 2 = SC), default 2 */
	/* applications one organization has open (draft, under review, rejected); one more
	   is 409 application_limit. Default 20 */
	int max_open_applications;
	/* applications one organization makes in any 24 hours (a cancelled one keeps its
	   scan); one more is 429 rate_limited. Default 50 */
	int max_applications_per_day;
	/* modifications of its applications and scan uploads one organization makes in any
	   24 hours; one more is 429 rate_limited. Default 200 */
	int max_changes_per_day;
};

struct config_evidence {
	char *cert;  /* PEM: the platform's evidence certificate; NULL: no evidence reports */
	char *key;   /* PEM: its private key (RSA, EC P-256 or SM2) */
	char *chain; /* PEM: its CA certificates, embedded beside it (optional) */
	int max_reports_per_day; /* one organization's reports of one contract in any 24 h */
};

struct config_webhooks {
	/*
	 * Comma-separated host names and IP addresses or CIDR ranges that webhook
	 * receivers may use although they are not public (an internal receiver);
	 * NULL: none (only public unicast addresses are connected to).
	 */
	char *allow_hosts;
	int allow_http; /* 1: http:// receivers too; default 0 (https only) */
	/* webhooks one organization registers in any 24 hours, removed ones included; one
	   more is 429 rate_limited. Default 100 */
	int max_created_per_day;
};

struct config_contracts {
	/* contracts one organization sends (draft -> signing) in any 24 hours; one more is
	   429 rate_limited. Default 1000 */
	int max_sent_per_day;
	/* drafts one organization holds at once; one more is 409 draft_limit. Default 1000 */
	int max_drafts;
	/* bytes those drafts' uploads hold together; past it 409 draft_limit. Default 4 GiB */
	size_t max_draft_bytes;
	/* drafts one organization creates in any 24 hours, deleted ones included; one more is
	   429 rate_limited. Default 5000 */
	int max_created_per_day;
	/* edits (PATCH) of its drafts one organization makes in any 24 hours; one more is
	   429 rate_limited. Default 20000 */
	int max_edits_per_day;
};

struct config {
	char *path; /* the file it was loaded from ("" if none) */
	struct config_server server;
	struct config_database database;
	struct config_log log;
	struct config_trust trust;
	struct config_tsa tsa;
	struct config_auth auth;
	struct config_signing signing;
	struct config_seals seals;
	struct config_evidence evidence;
	struct config_webhooks webhooks;
	struct config_contracts contracts;
};

/*
 * Load path (NULL: defaults only), then apply SEALPACT_<SECTION>_<KEY>
 * environment variables from envp (NULL-terminated "K=V" strings; pass
 * `environ`). Relative file paths in the config are resolved against the
 * config file's directory. On success *out is a new config the caller frees
 * with config_free(). On failure *out is NULL and ei says where and why.
 */
int config_load(const char *path, char *const *envp, struct config **out,
		struct sp_errinfo *ei) SP_WUR;

/* Free a config from config_load(); NULL is fine. */
void config_free(struct config *cfg);

#endif /* SP_CONFIG_H */
