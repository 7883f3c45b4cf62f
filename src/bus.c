/*
 * bus.c - NATS JetStream: publish a verified delivery, follow the stream.
 *
 * Owns the connection, the JetStream context and the pull subscription.
 * Trusts the servers to carry bytes, not to tell the truth: a follower's
 * caller verifies every message's signature before using it. Never logs a
 * key, a signature or a body; ids and types pass through log_clean's
 * callers only as the log line's fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>
#include <openssl/crypto.h>

#include "bus.h"
#include "config.h"
#include "log.h"
#include "util.h"

struct bus {
	const struct bus_config	*cfg;
	natsConnection		*nc;
	jsCtx			*js;
	natsSubscription	*sub;
	int			 stream_ok;	/* known to exist */
};

/* Copies an optional setting, or def when unset or empty. */
static int
setting(char *dst, size_t dstsz, const char *name, const char *def,
    char *err, size_t errsz)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		v = def;
	if (util_copy(dst, dstsz, v, strlen(v)) != 0) {
		snprintf(err, errsz, "%s is longer than %zu bytes", name,
		    dstsz - 1);
		return -1;
	}
	return 0;
}

/* An optional number in [lo, hi], else def. */
static int
number(int64_t *dst, const char *name, int64_t def, int64_t lo, int64_t hi,
    char *err, size_t errsz)
{
	const char *v = getenv(name);
	uint64_t u;

	*dst = def;
	if (v == NULL || *v == '\0')
		return 0;
	if (util_parse_u64(v, strlen(v), &u) != 0 || u < (uint64_t)lo ||
	    u > (uint64_t)hi) {
		snprintf(err, errsz, "%s must be a number from %lld to %lld",
		    name, (long long)lo, (long long)hi);
		return -1;
	}
	*dst = (int64_t)u;
	return 0;
}

/* A NATS name: letters, digits, '-' and '_' (no '.', '*', '>', blanks). */
static int
name_ok(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_'))
			return 0;
	return i > 0;
}

int
bus_config_load(struct bus_config *c, char *err, size_t errsz)
{
	const char *k = getenv("AUTHGATE_CLUSTER_KEY");
	const char *kf = getenv("AUTHGATE_CLUSTER_KEY_FILE");
	long kn;
	size_t i;

	memset(c, 0, sizeof(*c));
	if (setting(c->url, sizeof(c->url), "AUTHGATE_NATS_URL", "", err,
	    errsz) != 0)
		return -1;
	if (c->url[0] == '\0')
		return 0;
	c->enabled = 1;
	if (setting(c->subject, sizeof(c->subject), "AUTHGATE_NATS_SUBJECT",
	    BUS_DEFAULT_SUBJECT, err, errsz) != 0 ||
	    setting(c->stream, sizeof(c->stream), "AUTHGATE_NATS_STREAM",
	    BUS_DEFAULT_STREAM, err, errsz) != 0 ||
	    setting(c->creds, sizeof(c->creds), "AUTHGATE_NATS_CREDS", "",
	    err, errsz) != 0 ||
	    setting(c->ca, sizeof(c->ca), "AUTHGATE_NATS_CA", "", err,
	    errsz) != 0 ||
	    setting(c->cert, sizeof(c->cert), "AUTHGATE_NATS_CERT", "", err,
	    errsz) != 0 ||
	    setting(c->cert_key, sizeof(c->cert_key), "AUTHGATE_NATS_KEY", "",
	    err, errsz) != 0 ||
	    number(&c->timeout_ms, "AUTHGATE_NATS_TIMEOUT_MS",
	    BUS_DEFAULT_TIMEOUT_MS, 100, 60000, err, errsz) != 0 ||
	    number(&c->replicas, "AUTHGATE_NATS_REPLICAS", 1, 1, 5, err,
	    errsz) != 0 ||
	    number(&c->max_age_s, "AUTHGATE_NATS_MAX_AGE",
	    BUS_DEFAULT_MAX_AGE_S, 1, BUS_DEFAULT_MAX_AGE_S, err, errsz) != 0)
		return -1;
	if (!name_ok(c->stream)) {
		snprintf(err, errsz, "AUTHGATE_NATS_STREAM must be letters,"
		    " digits, '-' or '_'");
		return -1;
	}
	for (i = 0; c->subject[i] != '\0'; i++)
		if (util_is_control((unsigned char)c->subject[i]) ||
		    c->subject[i] == ' ' || c->subject[i] == '*' ||
		    c->subject[i] == '>')
			break;
	if (c->subject[0] == '\0' || c->subject[i] != '\0') {
		snprintf(err, errsz, "AUTHGATE_NATS_SUBJECT must be a literal"
		    " subject (no blanks or wildcards)");
		return -1;
	}
	if ((c->cert[0] == '\0') != (c->cert_key[0] == '\0')) {
		snprintf(err, errsz, "set AUTHGATE_NATS_CERT and"
		    " AUTHGATE_NATS_KEY together");
		return -1;
	}
	if (k != NULL && *k != '\0' && kf != NULL && *kf != '\0') {
		snprintf(err, errsz, "set AUTHGATE_CLUSTER_KEY or"
		    " AUTHGATE_CLUSTER_KEY_FILE, not both");
		return -1;
	}
	if (k != NULL && *k != '\0') {
		if (strlen(k) > sizeof(c->key)) {
			snprintf(err, errsz, "AUTHGATE_CLUSTER_KEY is longer"
			    " than %d bytes", BUS_MAX_KEY);
			return -1;
		}
		c->key_n = strlen(k);
		memcpy(c->key, k, c->key_n);
	} else if (kf != NULL && *kf != '\0') {
		if ((kn = config_read_secret_file(kf, c->key, sizeof(c->key),
		    err, errsz)) < 0)
			return -1;
		c->key_n = (size_t)kn;
	}
	if (c->key_n < BUS_MIN_KEY) {
		snprintf(err, errsz, "AUTHGATE_NATS_URL needs"
		    " AUTHGATE_CLUSTER_KEY or AUTHGATE_CLUSTER_KEY_FILE of at"
		    " least %d bytes (the same on every host)", BUS_MIN_KEY);
		bus_config_wipe(c);
		return -1;
	}
	return 0;
}

void
bus_config_wipe(struct bus_config *c)
{
	OPENSSL_cleanse(c->key, sizeof(c->key));
	c->key_n = 0;
}

/* With a callback, a connect that fails at first returns at once and
 * goes on in the background (without one it would block start-up). */
static void
on_connected(natsConnection *nc, void *closure)
{
	(void)nc;
	(void)closure;
	log_msg("nats: connected");
}

#define BUS_MAX_SERVERS	16

/* The comma list of server URLs (libnats takes a list, not a string). */
static natsStatus
set_servers(natsOptions *o, const char *url)
{
	char buf[BUS_MAX_URL], *p, *save = NULL;
	const char *list[BUS_MAX_SERVERS];
	int n = 0;

	if (util_copy(buf, sizeof(buf), url, strlen(url)) != 0)
		return NATS_INVALID_ARG;
	for (p = strtok_r(buf, ", ", &save); p != NULL && n < BUS_MAX_SERVERS;
	    p = strtok_r(NULL, ", ", &save))
		list[n++] = p;
	if (n == 0)
		return NATS_INVALID_ARG;
	return natsOptions_SetServers(o, list, n);
}

int
bus_open(struct bus **bp, const struct bus_config *c, const char *name,
    char *err, size_t errsz)
{
	natsOptions *o = NULL;
	struct bus *b;
	natsStatus s;

	*bp = NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		snprintf(err, errsz, "nats: out of memory");
		return -1;
	}
	b->cfg = c;
	s = natsOptions_Create(&o);
	if (s == NATS_OK)
		s = set_servers(o, c->url);
	if (s == NATS_OK)
		s = natsOptions_SetName(o, name);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, c->timeout_ms);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(o, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(o, 250);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(o, true, on_connected,
		    NULL);
	if (s == NATS_OK && c->creds[0] != '\0')
		s = natsOptions_SetUserCredentialsFromFiles(o, c->creds, NULL);
	if (s == NATS_OK && c->ca[0] != '\0')
		s = natsOptions_LoadCATrustedCertificates(o, c->ca);
	if (s == NATS_OK && c->cert[0] != '\0')
		s = natsOptions_LoadCertificatesChain(o, c->cert, c->cert_key);
	if (s != NATS_OK) {
		snprintf(err, errsz, "nats: bad connection settings: %s",
		    natsStatus_GetText(s));
		goto fail;
	}
	s = natsConnection_Connect(&b->nc, o);
	if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) {
		snprintf(err, errsz, "nats: cannot connect to %s: %s", c->url,
		    natsStatus_GetText(s));
		goto fail;
	}
	if (natsConnection_JetStream(&b->js, b->nc, NULL) != NATS_OK) {
		snprintf(err, errsz, "nats: no JetStream context");
		goto fail;
	}
	natsOptions_Destroy(o);
	*bp = b;
	return 0;
fail:
	natsOptions_Destroy(o);
	bus_close(b);
	return -1;
}

void
bus_close(struct bus *b)
{
	if (b == NULL)
		return;
	natsSubscription_Destroy(b->sub);
	jsCtx_Destroy(b->js);
	natsConnection_Destroy(b->nc);
	free(b);
}

/* Makes sure the stream exists (created with the configured replicas and
 * retention when it does not). Returns 0 or -1 (logged). */
static int
stream_ensure(struct bus *b)
{
	const struct bus_config *c = b->cfg;
	jsStreamInfo *si = NULL;
	jsStreamConfig sc;
	jsOptions jo;
	jsErrCode je = 0;
	const char *subj[1];
	natsStatus s;

	if (b->stream_ok)
		return 0;
	jsOptions_Init(&jo);
	jo.Wait = c->timeout_ms;
	s = js_GetStreamInfo(&si, b->js, c->stream, &jo, &je);
	if (s == NATS_NOT_FOUND) {
		jsStreamConfig_Init(&sc);
		subj[0] = c->subject;
		sc.Name = c->stream;
		sc.Subjects = subj;
		sc.SubjectsLen = 1;
		sc.Storage = js_FileStorage;
		sc.Replicas = c->replicas;
		sc.MaxAge = c->max_age_s * 1000000000LL;
		/* the IdP's quick retries; never past the retention */
		sc.Duplicates = (c->max_age_s < 120 ? c->max_age_s : 120) *
		    1000000000LL;
		s = js_AddStream(&si, b->js, &sc, &jo, &je);
		if (s == NATS_OK)
			log_msg("nats: created stream %s (subject %s, %lld"
			    " replicas)", c->stream, c->subject,
			    (long long)c->replicas);
	}
	jsStreamInfo_Destroy(si);
	if (s != NATS_OK) {
		log_msg("nats: stream %s unavailable: %s (%d)", c->stream,
		    natsStatus_GetText(s), (int)je);
		return -1;
	}
	b->stream_ok = 1;
	return 0;
}

int
bus_publish(struct bus *b, const char *id, const char *type,
    const char *sig, const char *body, size_t n)
{
	const struct bus_config *c = b->cfg;
	jsPubAck *pa = NULL;
	jsPubOptions po;
	natsMsg *m = NULL;
	jsErrCode je = 0;
	natsStatus s;
	int rc = -1;

	if (n > INT32_MAX || stream_ensure(b) != 0)
		return -1;
	s = natsMsg_Create(&m, c->subject, NULL, body, (int)n);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, BUS_H_ID, id);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, BUS_H_TYPE, type);
	if (s == NATS_OK)
		s = natsMsgHeader_Set(m, BUS_H_SIG, sig);
	if (s == NATS_OK) {
		jsPubOptions_Init(&po);
		po.MsgId = id;
		po.MaxWait = c->timeout_ms;
		s = js_PublishMsg(&pa, b->js, m, &po, &je);
	}
	if (s == NATS_OK && pa != NULL) {
		rc = 0;
	} else {
		log_msg("nats: publish to stream %s failed: %s (%d)",
		    c->stream, natsStatus_GetText(s), (int)je);
		/* the stream may have been deleted: look again next time */
		b->stream_ok = 0;
	}
	jsPubAck_Destroy(pa);
	natsMsg_Destroy(m);
	return rc;
}

int
bus_follow_start(struct bus *b, const char *durable, int reset, char *err,
    size_t errsz)
{
	const struct bus_config *c = b->cfg;
	jsStreamInfo *si = NULL;
	jsConsumerInfo *ci = NULL;
	jsSubOptions so;
	jsOptions jo;
	jsErrCode je = 0;
	uint64_t first, floor;
	natsStatus s;
	int rc = -1;

	if (!name_ok(durable)) {
		snprintf(err, errsz, "consumer name %s: letters, digits, '-'"
		    " or '_' only", durable);
		return -1;
	}
	jsOptions_Init(&jo);
	jo.Wait = c->timeout_ms;
	if (stream_ensure(b) != 0 || js_GetStreamInfo(&si, b->js, c->stream,
	    &jo, &je) != NATS_OK) {
		snprintf(err, errsz, "nats: stream %s unavailable", c->stream);
		goto out;
	}
	first = si->State.FirstSeq;
	if (reset) {
		s = js_DeleteConsumer(b->js, c->stream, durable, &jo, &je);
		if (s != NATS_OK && s != NATS_NOT_FOUND) {
			snprintf(err, errsz, "nats: cannot delete consumer %s:"
			    " %s", durable, natsStatus_GetText(s));
			goto out;
		}
		log_msg("follow: consumer %s starts again at the stream's"
		    " first message (seq %llu)", durable,
		    (unsigned long long)first);
	} else {
		s = js_GetConsumerInfo(&ci, b->js, c->stream, durable, &jo,
		    &je);
		if (s == NATS_OK)
			floor = ci->AckFloor.Stream;
		else if (s == NATS_NOT_FOUND)
			floor = 0;	/* a new consumer starts at seq 1 */
		else {
			snprintf(err, errsz, "nats: consumer %s: %s", durable,
			    natsStatus_GetText(s));
			goto out;
		}
		/* Invariant: events between floor and first are gone; a
		 * mirror that skipped them silently would be wrong forever. */
		if (first > floor + 1) {
			snprintf(err, errsz, "consumer %s is behind the"
			    " stream's retention: it has applied up to seq"
			    " %llu but stream %s now starts at seq %llu, so"
			    " events were lost. Bootstrap this mirror: on a"
			    " current host run 'authgate export > snap.json',"
			    " here 'authgate import snap.json', then"
			    " 'authgate follow --reset'", durable,
			    (unsigned long long)floor, c->stream,
			    (unsigned long long)first);
			rc = -2;
			goto out;
		}
	}
	jsSubOptions_Init(&so);
	so.Stream = c->stream;
	so.Config.Durable = durable;
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.DeliverPolicy = js_DeliverAll;
	so.Config.AckWait = 10 * 1000000000LL;
	so.Config.MaxAckPending = 1024;
	s = js_PullSubscribe(&b->sub, b->js, c->subject, durable, &jo, &so,
	    &je);
	if (s != NATS_OK) {
		snprintf(err, errsz, "nats: cannot bind consumer %s: %s (%d)",
		    durable, natsStatus_GetText(s), (int)je);
		goto out;
	}
	rc = 0;
out:
	jsConsumerInfo_Destroy(ci);
	jsStreamInfo_Destroy(si);
	return rc;
}

/* A header's value, or NULL. */
static const char *
header(natsMsg *m, const char *key)
{
	const char *v = NULL;

	return natsMsgHeader_Get(m, key, &v) == NATS_OK ? v : NULL;
}

int
bus_follow_fetch(struct bus *b, int batch, int64_t wait_ms, bus_apply_fn fn,
    void *ctx)
{
	natsMsgList list = { NULL, 0 };
	jsMsgMetaData *md = NULL;
	struct bus_msg bm;
	enum bus_verdict v;
	jsErrCode je = 0;
	natsStatus s;
	int i, done = 0, rc;

	s = natsSubscription_Fetch(&list, b->sub, batch, wait_ms, &je);
	if (s == NATS_TIMEOUT)
		return 0;
	if (s != NATS_OK) {
		log_msg("follow: fetch failed: %s (%d)", natsStatus_GetText(s),
		    (int)je);
		return -1;
	}
	rc = 0;
	for (i = 0; i < list.Count; i++) {
		natsMsg *m = list.Msgs[i];
		const char *d = natsMsg_GetData(m);
		int dn = natsMsg_GetDataLength(m);

		memset(&bm, 0, sizeof(bm));
		bm.id = header(m, BUS_H_ID);
		bm.type = header(m, BUS_H_TYPE);
		bm.sig = header(m, BUS_H_SIG);
		if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
			bm.seq = md->Sequence.Stream;
			jsMsgMetaData_Destroy(md);
			md = NULL;
		}
		bm.n = dn > 0 ? (size_t)dn : 0;
		if ((bm.data = malloc(bm.n + 1)) == NULL) {
			v = BUS_STOP;
		} else {
			if (bm.n > 0)
				memcpy(bm.data, d, bm.n);
			bm.data[bm.n] = '\0';
			v = fn(ctx, &bm);
			OPENSSL_cleanse(bm.data, bm.n);
			free(bm.data);
		}
		if (v == BUS_STOP) {
			/* the rest is redelivered, in order, after AckWait */
			rc = -2;
			break;
		}
		/* Invariant: acknowledged only after the local commit (or a
		 * refusal that no redelivery can change). */
		if (v == BUS_ACK)
			s = natsMsg_Ack(m, NULL);
		else
			s = natsMsg_Term(m, NULL);
		if (s != NATS_OK)
			log_msg("follow: ack of seq %llu failed: %s (it will be"
			    " redelivered and found a duplicate)",
			    (unsigned long long)bm.seq, natsStatus_GetText(s));
		done++;
	}
	natsMsgList_Destroy(&list);
	return rc == 0 ? done : rc;
}
