/*
 * jwe.h - stateless session cookies: compact JWE with "alg":"dir"
 * (NextAuth v4, Auth.js v5, better-auth's "jwe" cookie cache), HS256
 * JWS (better-auth's "jwt" cookie cache), better-auth's "compact" cookie
 * cache (base64url JSON + HMAC-SHA256), and the building blocks: base64url,
 * HKDF-SHA256, AES-256-GCM, A256CBC-HS512 (RFC 7518 5.2.2.1).
 *
 * Pure functions over (pointer, length) with OpenSSL's EVP and cJSON; no
 * I/O, no clock (the caller passes now). Keys are derived once at start-
 * up (jwe_key_derive); a token is tried with every key of its "enc", the
 * tag is checked in constant time before any plaintext is used, and
 * every plaintext byte written for a token that fails is wiped.
 */
#ifndef AUTHGATE_JWE_H
#define AUTHGATE_JWE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define JWE_MAX_TOKEN		8192	/* the whole Cookie header is capped at 8 KiB */
#define JWE_MAX_HEADER_B64	512	/* {"alg":"dir","enc":"...","kid":"<43>"} is ~110 */
#define JWE_MAX_PLAIN		6144	/* claims: a token's payload, decoded */
#define JWE_GCM_IV		12	/* RFC 7518 5.3: 96-bit IV */
#define JWE_GCM_TAG		16
#define JWE_CBC_IV		16	/* AES block */
#define JWE_CBC_TAG		32	/* HMAC-SHA-512 truncated to half */
#define JWE_CLOCK_SKEW_S	15	/* what next-auth, @auth/core and
					 * better-auth allow, and no more */
#define JWE_MAX_CLAIM		320	/* sub, email, name, jti (as STORE_MAX_EMAIL) */

enum jwe_enc {
	JWE_ENC_A256GCM = 1,		/* 32-byte key */
	JWE_ENC_A256CBC_HS512		/* 64-byte key: MAC key || AES key */
};

/* One derived content-encryption key. */
struct jwe_key {
	enum jwe_enc	 enc;
	size_t		 n;		/* 32 or 64 */
	unsigned char	 k[64];
};

/*
 * The caller's HMAC-SHA256 under its key number i (i < nkeys): writes the
 * MAC of msg into out. Returns 0, or -1. Lets the caller keep its keys
 * prepared (credential's cred_hmac) instead of handing raw secrets here.
 */
typedef int (*jwe_mac_fn)(void *ctx, size_t i, const void *msg, size_t msgn,
	    unsigned char out[32]);

enum jwe_rc {
	JWE_OK = 0,
	JWE_MALFORMED,		/* not 5 (or 3) base64url parts, bad lengths, bad JSON */
	JWE_UNSUPPORTED,	/* alg other than dir/HS256, other enc, zip, crit */
	JWE_BAD_TAG,		/* no key's tag or signature matched */
	JWE_EXPIRED,		/* exp + 15 s is past */
	JWE_NOT_YET,		/* nbf - 15 s is in the future */
	JWE_BAD_CLAIMS,		/* no exp, no sub, a claim of the wrong type or too long */
	JWE_ERROR		/* OpenSSL failed */
};

/* Short stable name of a verdict, for logs and tests. */
const char	*jwe_rc_name(enum jwe_rc rc);

/*
 * Decodes unpadded base64url (RFC 7515 2; '=' and the standard alphabet
 * refused, unused low bits must be zero) into out. Returns the length,
 * or -1.
 */
long	jwe_b64url_decode(const char *in, size_t n, unsigned char *out,
	    size_t outsz) UTIL_MUST_CHECK;

/*
 * HKDF-SHA256 (RFC 5869): extract with salt (may be empty), expand with
 * info into outn bytes (at most 255 * 32). Returns 0, or -1.
 */
int	jwe_hkdf_sha256(const unsigned char *ikm, size_t ikmn,
	    const unsigned char *salt, size_t saltn, const unsigned char *info,
	    size_t infon, unsigned char *out, size_t outn) UTIL_MUST_CHECK;

/*
 * Derives the key of one library's cookies: HKDF-SHA256(ikm = secret,
 * salt, info) of 32 (A256GCM) or 64 (A256CBC-HS512) bytes into k.
 * salt and info are NUL-terminated text. Returns 0, or -1.
 */
int	jwe_key_derive(struct jwe_key *k, enum jwe_enc enc,
	    const unsigned char *secret, size_t secretn, const char *salt,
	    const char *info) UTIL_MUST_CHECK;

/*
 * AES-256-GCM decryption of ct (n bytes) with key (32), iv (12), aad and
 * tag (16) into out (n bytes). Returns 0 when the tag matched, 1 when it
 * did not (out wiped), -1 on an OpenSSL error.
 */
int	jwe_a256gcm_decrypt(const unsigned char *key, const unsigned char *iv,
	    const unsigned char *aad, size_t aadn, const unsigned char *ct,
	    size_t n, const unsigned char *tag, unsigned char *out) UTIL_MUST_CHECK;

/*
 * A256CBC-HS512 (RFC 7518 5.2.2.2, 5.2.5): key = MAC_KEY(32) ||
 * ENC_KEY(32); the tag, the first 32 bytes of HMAC-SHA-512(MAC_KEY,
 * AAD || IV || CT || AL), is compared in constant time first, and only
 * then is ct (a multiple of 16) decrypted with AES-256-CBC and its PKCS#7
 * padding removed. out needs n bytes; *outn gets the plaintext length.
 * Returns 0, 1 (tag or padding wrong, out wiped), or -1.
 */
int	jwe_a256cbc_hs512_decrypt(const unsigned char *key,
	    const unsigned char *iv, const unsigned char *aad, size_t aadn,
	    const unsigned char *ct, size_t n, const unsigned char *tag,
	    unsigned char *out, size_t *outn) UTIL_MUST_CHECK;

/*
 * Known answers for both ciphers (AES-256-GCM: McGrew and Viega's test
 * case 14; A256CBC-HS512: one block under key 00..3f). Run at start-up,
 * before any sandbox, it also makes OpenSSL fetch every algorithm a
 * request will use. Returns 0, or -1 (do not serve).
 */
int	jwe_self_test(void) UTIL_MUST_CHECK;

/*
 * Decrypts a compact JWE (RFC 7516 7.1) whose protected header says
 * "alg":"dir" and an "enc" of the keys given, with no "zip" and no
 * "crit". Each of the nkeys keys of that enc is tried (the tag decides;
 * "kid" is not trusted to pick one). The plaintext goes to plain
 * (plainsz bytes, NUL-terminated). Returns JWE_OK and *plainn, or the
 * reason; on any failure plain holds nothing.
 */
enum jwe_rc jwe_decrypt(const char *tok, size_t n, const struct jwe_key *keys,
	    size_t nkeys, char *plain, size_t plainsz, size_t *plainn) UTIL_MUST_CHECK;

/*
 * Verifies a compact JWS "header.payload.sig" signed with HS256 (the
 * header's alg must be HS256, no crit) under one of the caller's nkeys
 * HMAC-SHA256 keys (mac(ctx, i, ...), see jwe_mac_fn), and decodes its payload into plain (NUL-terminated). Returns JWE_OK,
 * or the reason.
 */
enum jwe_rc jws_hs256_verify(const char *tok, size_t n, jwe_mac_fn mac,
	    void *ctx, size_t nkeys, char *plain, size_t plainsz,
	    size_t *plainn) UTIL_MUST_CHECK;

/* The claims authgate reads of a session JWT. */
struct jwe_claims {
	char	 sub[JWE_MAX_CLAIM + 1];	/* the user id */
	char	 email[JWE_MAX_CLAIM + 1];	/* "" absent or null */
	char	 name[JWE_MAX_CLAIM + 1];
	char	 jti[JWE_MAX_CLAIM + 1];
	int64_t	 exp_ms;
};

/*
 * Parses the JSON claims of a NextAuth / Auth.js session (plain, n
 * bytes) and checks the time: "exp" (a number, required) must not be
 * more than JWE_CLOCK_SKEW_S in the past at now_ms, and "nbf", if
 * present, not more than that in the future; "sub" is a non-empty
 * string; "email", "name", "jti" strings or null or absent. Every
 * string is checked for control bytes. Returns JWE_OK or the reason.
 */
enum jwe_rc jwe_claims_parse(const char *plain, size_t n, int64_t now_ms,
	    struct jwe_claims *c) UTIL_MUST_CHECK;

/* better-auth's cookie cache (session_data), its fields authgate uses. */
struct jwe_bacache {
	char	 token[JWE_MAX_CLAIM + 1];	/* session.token */
	char	 session_id[JWE_MAX_CLAIM + 1];
	char	 user_id[JWE_MAX_CLAIM + 1];	/* user.id = session.userId */
	char	 email[JWE_MAX_CLAIM + 1];
	char	 name[JWE_MAX_CLAIM + 1];
	char	 org_id[JWE_MAX_CLAIM + 1];	/* activeOrganizationId, "" none */
	int64_t	 expires_ms;	/* session.expiresAt */
	int64_t	 cache_until_ms;	/* the cache cookie's own end */
};

/*
 * Parses a decoded cookie-cache payload ({session, user, updatedAt,
 * version}, with "exp" for the jwt and jwe strategies; cache_until_ms
 * is taken from exp when given as -1) and checks it at now_ms: the
 * cache itself and the session unexpired (no clock tolerance: an end
 * is an end), version "1" or absent (a custom version is not one
 * authgate can know), the user not banned, user.id equal to
 * session.userId. Returns JWE_OK or the reason.
 */
enum jwe_rc jwe_bacache_parse(const char *plain, size_t n,
	    int64_t cache_until_ms, int64_t now_ms, struct jwe_bacache *c) UTIL_MUST_CHECK;

/*
 * better-auth's "compact" strategy: v is base64url (no padding) of
 * {"session":S,"expiresAt":N,"signature":"B"}, B the base64url of
 * HMAC-SHA256(key = secret, JSON of S with ,"expiresAt":N appended).
 * The bytes signed are rebuilt from S's own bytes (JSON.stringify
 * writes them once), so the check needs no re-serialization. mac(i,
 * msg) is tried for i < nkeys: the caller's prepared HMAC keys. On
 * JWE_OK, S is copied to plain and *until_ms = N.
 */
enum jwe_rc jwe_bacache_compact(const char *v, size_t n, jwe_mac_fn mac,
	    void *ctx, size_t nkeys, char *plain,
	    size_t plainsz, size_t *plainn, int64_t *until_ms) UTIL_MUST_CHECK;

#endif
