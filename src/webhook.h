/*
 * webhook.h - the IdP's signed deliveries: verify, parse, normalize,
 * apply (SPEC section 8).
 *
 * The raw body is verified against every configured secret before a
 * single byte of it is parsed. Secrets, signatures and bodies are never
 * logged. main.c reads the bounded body and writes the reply; this module
 * decides what the reply is.
 */
#ifndef AUTHGATE_WEBHOOK_H
#define AUTHGATE_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "store_sync.h"

#define WEBHOOK_MAX_SECRETS	8	/* rotation needs two; eight is generous */
#define WEBHOOK_MAX_SECRET	256	/* bytes of one secret */
#define WEBHOOK_TOLERANCE_S	300	/* Standard Webhooks: +-5 minutes */
#define WEBHOOK_MAX_SIG_HEADER	4096	/* webhook-signature list */
#define WEBHOOK_MAX_EVENT_ID	STORE_MAX_ID

struct webhook_secret {
	unsigned char	raw[WEBHOOK_MAX_SECRET];	/* Optare: the bytes */
	size_t		raw_n;
	unsigned char	sw[WEBHOOK_MAX_SECRET];		/* whsec_: decoded */
	size_t		sw_n;				/* 0: not base64 */
};

struct webhook_secrets {
	struct webhook_secret	s[WEBHOOK_MAX_SECRETS];
	size_t			n;
};

/*
 * Loads AUTHGATE_WEBHOOK_SECRET (one secret, or several separated by
 * blanks: such secrets cannot hold a blank) or AUTHGATE_WEBHOOK_SECRET_FILE
 * (one secret per line, taken whole but for a trailing CR, so a secret may
 * hold blanks; empty lines are skipped). Having none is not an error
 * (ws->n == 0: every delivery gets 503). Returns 0, or -1 with one line in
 * err (never the secret itself).
 */
int	webhook_secrets_load(struct webhook_secrets *ws, char *err,
	    size_t errsz) UTIL_MUST_CHECK;

/* Wipes every secret. */
void	webhook_secrets_wipe(struct webhook_secrets *ws);

/* The signature headers of one delivery; NULL when absent. */
struct webhook_headers {
	const char	*optare_signature;	/* X-Optare-Signature */
	const char	*id;			/* webhook-id / svix-id */
	const char	*timestamp;		/* webhook-timestamp / svix-timestamp */
	const char	*signature;		/* webhook-signature / svix-signature */
	const char	*event;			/* X-Optare-Event */
};

enum webhook_verdict {
	WEBHOOK_OK = 0,
	WEBHOOK_NO_SIGNATURE,	/* no signature headers at all */
	WEBHOOK_MALFORMED,	/* a header is not of its format */
	WEBHOOK_STALE,		/* timestamp outside the tolerance */
	WEBHOOK_MISMATCH	/* no secret produces the signature */
};

const char	*webhook_verdict_name(enum webhook_verdict v);

/* Looks up one request parameter (FastCGI param or CGI variable, with its
 * HTTP_ prefix); NULL when absent. */
typedef const char *(*webhook_param_fn)(void *ctx, const char *name);

/*
 * Fills h from the request's parameters. The svix-* trio wins over the
 * webhook-* one when svix-id is present, as in the svix library.
 */
void	webhook_headers_read(struct webhook_headers *h, webhook_param_fn get,
	    void *ctx);

/* Opens (or returns the already open) read-write store; NULL on failure,
 * after logging why. Called only once a signature has checked out. */
typedef struct store *(*webhook_store_fn)(void *ctx);

/*
 * Verifies body (n bytes, raw) against every secret. X-Optare-Signature
 * ("sha256=" + 64 lowercase hex) is used when present; otherwise the
 * Standard Webhooks headers (id, timestamp within WEBHOOK_TOLERANCE_S of
 * now_s, a space-separated list of "v1,<base64>"). Constant-time
 * comparisons only. Pure apart from OpenSSL.
 */
enum webhook_verdict webhook_verify(const struct webhook_secrets *ws,
	    const struct webhook_headers *h, const char *body, size_t n,
	    int64_t now_s);

/* What one delivery's answer should be. */
struct webhook_result {
	int			 status;	/* 200 400 503 */
	const char		*reason;	/* log code */
	char			 message[128];	/* for the JSON answer */
	char			 type[64];	/* event type, for the log */
	char			 id[WEBHOOK_MAX_EVENT_ID + 1];
	enum store_outcome	 outcome;
};

/*
 * Handles a delivery whose body has been read: verify, parse, normalize,
 * then open the store through open_store and apply in one transaction.
 * Invariant: nothing is opened, created or written before the signature
 * checks out. A body whose own time (timestamp, createdAt, ...) is older
 * than STORE_RETENTION_MS is refused: its event id may have left the log.
 * Optare signatures cover no timestamp, so an Optare-signed body must carry
 * one. body is wiped before return (it may hold session tokens and raw API
 * keys). Fills r; never fails otherwise.
 */
void	webhook_handle(const struct webhook_secrets *ws,
	    webhook_store_fn open_store, void *store_ctx,
	    const struct webhook_headers *h, char *body, size_t n,
	    struct webhook_result *r);
/*
 * Publishes a delivery that was just committed (bus.c through gate.c):
 * id and type as applied, the verified raw body. Returns 0 once the
 * stream holds it, -1 otherwise.
 */
typedef int (*webhook_publish_fn)(void *ctx, const char *id,
	    const char *type, const char *body, size_t n);

/*
 * webhook_handle, and after a 200 (also for a duplicate, a stale or an
 * unknown event) pub when it is not NULL: if pub fails the answer is 503
 * "stream_unavailable" (the change is committed here; the IdP's retry
 * is a duplicate locally and is published again).
 */
void	webhook_handle_pub(const struct webhook_secrets *ws,
	    webhook_store_fn open_store, void *store_ctx,
	    webhook_publish_fn pub, void *pub_ctx,
	    const struct webhook_headers *h, char *body, size_t n,
	    struct webhook_result *r);

/*
 * Cluster signatures (multi-host, docs/multihost.md): HMAC-SHA256 with
 * the cluster key over "authgate-cluster-v1\n" id "\n" type "\n" body,
 * written "v1=" + 64 lowercase hex. id and type hold no control bytes,
 * so the pieces cannot be shifted into one another. No timestamp: a
 * follower may apply a message long after the IdP signed it; the stream's
 * retention and the event log bound replays.
 */
#define WEBHOOK_CLUSTER_V1	"authgate-cluster-v1"
#define WEBHOOK_CLUSTER_SIG_LEN	(3 + 64)

/* Signs; returns 0, or -1 (no key, an id or type with control bytes). */
int	webhook_cluster_sign(const unsigned char *key, size_t kn,
	    const char *id, const char *type, const char *body, size_t n,
	    char out[WEBHOOK_CLUSTER_SIG_LEN + 1]) UTIL_MUST_CHECK;

/* Verifies in constant time; any NULL argument is WEBHOOK_NO_SIGNATURE. */
enum webhook_verdict webhook_cluster_verify(const unsigned char *key,
	    size_t kn, const char *id, const char *type, const char *sig,
	    const char *body, size_t n);

/*
 * A follower's message: verified with the cluster key (else 400 with the
 * verdict as reason, nothing parsed or opened), then applied exactly as
 * a webhook delivery (same checks, same store_apply_event) under the
 * signed id and type. body is wiped before return. Fills r.
 */
void	webhook_follow(const unsigned char *key, size_t kn,
	    webhook_store_fn open_store, void *store_ctx, const char *id,
	    const char *type, const char *sig, char *body, size_t n,
	    struct webhook_result *r);
#endif
