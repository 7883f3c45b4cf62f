/*
 * test_bus.c - the NATS settings (bus_config_load): off without a URL,
 * the cluster key required at 31/32/33 bytes, both key forms refused
 * together, names and subjects checked, numbers in range, and no error
 * message holding the key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "harness.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char k31[] = "0123456789012345678901234567890";
static const char k32[] = "01234567890123456789012345678901";
static const char k33[] = "012345678901234567890123456789012";

static const char *const vars[] = {
	"AUTHGATE_NATS_URL", "AUTHGATE_NATS_SUBJECT", "AUTHGATE_NATS_STREAM",
	"AUTHGATE_NATS_TIMEOUT_MS", "AUTHGATE_NATS_REPLICAS",
	"AUTHGATE_CLUSTER_KEY", "AUTHGATE_CLUSTER_KEY_FILE",
	"AUTHGATE_NATS_CERT", "AUTHGATE_NATS_KEY",
};

static void
set(const char *name, const char *v)
{
	if (v == NULL)
		unsetenv(name);
	else
		setenv(name, v, 1);
}

int
main(void)
{
	static const struct {
		const char	*id;
		const char	*url, *key, *stream, *subject, *timeout;
		const char	*replicas, *keyfile;
		int		 want, enabled;
		const char	*msg;
	} c[] = {
		{ "bus-cfg-001", NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
		{ "bus-cfg-002", NULL, k31, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL },
		{ "bus-cfg-003", "nats://127.0.0.1:4222", NULL, NULL, NULL, NULL, NULL, NULL, -1, 0, "AUTHGATE_CLUSTER_KEY" },
		{ "bus-cfg-004", "nats://127.0.0.1:4222", k31, NULL, NULL, NULL, NULL, NULL, -1, 0, "at least 32 bytes" },
		{ "bus-cfg-005", "nats://127.0.0.1:4222", k32, NULL, NULL, NULL, NULL, NULL, 0, 1, NULL },
		{ "bus-cfg-006", "nats://127.0.0.1:4222", k33, NULL, NULL, NULL, NULL, NULL, 0, 1, NULL },
		{ "bus-cfg-007", "nats://a:1,nats://b:2", k32, "A.B", NULL, NULL, NULL, NULL, -1, 0, "AUTHGATE_NATS_STREAM" },
		{ "bus-cfg-008", "nats://a:1", k32, NULL, "x.*", NULL, NULL, NULL, -1, 0, "AUTHGATE_NATS_SUBJECT" },
		{ "bus-cfg-009", "nats://a:1", k32, NULL, "x y", NULL, NULL, NULL, -1, 0, "AUTHGATE_NATS_SUBJECT" },
		{ "bus-cfg-010", "nats://a:1", k32, NULL, NULL, "99", NULL, NULL, -1, 0, "AUTHGATE_NATS_TIMEOUT_MS" },
		{ "bus-cfg-011", "nats://a:1", k32, NULL, NULL, "100", NULL, NULL, 0, 1, NULL },
		{ "bus-cfg-012", "nats://a:1", k32, NULL, NULL, "60001", NULL, NULL, -1, 0, "AUTHGATE_NATS_TIMEOUT_MS" },
		{ "bus-cfg-013", "nats://a:1", k32, NULL, NULL, NULL, "6", NULL, -1, 0, "AUTHGATE_NATS_REPLICAS" },
		{ "bus-cfg-014", "nats://a:1", k32, NULL, NULL, NULL, "3", NULL, 0, 1, NULL },
		{ "bus-cfg-015", "nats://a:1", k32, NULL, NULL, NULL, NULL, "/nonexistent/key", -1, 0, "not both" },
		{ "bus-cfg-016", "nats://a:1", NULL, NULL, NULL, NULL, NULL, "/nonexistent/key", -1, 0, NULL },
	};
	struct bus_config bc;
	char err[512], id[64];
	size_t i, j;
	int rc;

	for (i = 0; i < NELEM(c); i++) {
		for (j = 0; j < NELEM(vars); j++)
			unsetenv(vars[j]);
		set("AUTHGATE_NATS_URL", c[i].url);
		set("AUTHGATE_CLUSTER_KEY", c[i].key);
		set("AUTHGATE_NATS_STREAM", c[i].stream);
		set("AUTHGATE_NATS_SUBJECT", c[i].subject);
		set("AUTHGATE_NATS_TIMEOUT_MS", c[i].timeout);
		set("AUTHGATE_NATS_REPLICAS", c[i].replicas);
		set("AUTHGATE_CLUSTER_KEY_FILE", c[i].keyfile);
		err[0] = '\0';
		rc = bus_config_load(&bc, err, sizeof(err));
		T_EQ_INT(c[i].id, rc, c[i].want);
		snprintf(id, sizeof(id), "%s-enabled", c[i].id);
		if (rc == 0)
			T_EQ_INT(id, bc.enabled, c[i].enabled);
		snprintf(id, sizeof(id), "%s-msg", c[i].id);
		if (c[i].msg != NULL)
			T_CHECK(id, strstr(err, c[i].msg) != NULL);
		snprintf(id, sizeof(id), "%s-nokey", c[i].id);
		if (c[i].key != NULL)
			T_CHECK(id, strstr(err, c[i].key) == NULL);
		bus_config_wipe(&bc);
	}
	/* defaults */
	for (j = 0; j < NELEM(vars); j++)
		unsetenv(vars[j]);
	set("AUTHGATE_NATS_URL", "nats://127.0.0.1:4222");
	set("AUTHGATE_CLUSTER_KEY", k32);
	T_EQ_INT("bus-def-001", bus_config_load(&bc, err, sizeof(err)), 0);
	T_EQ_STR("bus-def-002", bc.subject, BUS_DEFAULT_SUBJECT);
	T_EQ_STR("bus-def-003", bc.stream, BUS_DEFAULT_STREAM);
	T_EQ_INT("bus-def-004", bc.timeout_ms, BUS_DEFAULT_TIMEOUT_MS);
	T_EQ_INT("bus-def-005", bc.key_n, 32);
	bus_config_wipe(&bc);
	T_EQ_INT("bus-def-006", bc.key_n, 0);
	return t_done("test_bus");
}
