/*
 * fuzz_policy.c - libFuzzer target for policy.c: rule validation, glob
 * matching and role lists. Input: "glob\npath\nmethods\nroles".
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[4096];
	struct policy_rule_text t;
	struct policy_rule r;
	const char *why, *part[4] = { "", "", "", "" };
	char *p;
	int i;

	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	p = buf;
	for (i = 0; i < 4 && p != NULL; i++) {
		part[i] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
	}
	memset(&t, 0, sizeof(t));
	t.path = part[0];
	t.method = part[2];
	t.access = "authenticated";
	t.min_role = part[3][0] ? part[3] : NULL;
	if (policy_rule_parse(&t, &r, &why) == 0) {
		policy_match(&r, 1, "GET", 3, part[1], strlen(part[1]), 0);
		policy_match(&r, 1, "HEAD", 4, part[1], strlen(part[1]),
		    POLICY_FOLD_CASE);
	}
	if (policy_glob_valid(part[0], strlen(part[0]))) {
		policy_glob_match(part[0], strlen(part[0]), part[1],
		    strlen(part[1]), 0);
		policy_glob_match(part[0], strlen(part[0]), part[1],
		    strlen(part[1]), POLICY_FOLD_CASE);
	}
	policy_role_highest(part[3], strlen(part[3]));
	policy_local_path_ok(part[1], strlen(part[1]));
	return 0;
}
