/*
 * siphash.h: SipHash-2-4 (Aumasson and Bernstein, 2012), a keyed hash for
 * tables whose keys an attacker chooses: without the key, which addresses
 * (or names) share a slot cannot be told, so nobody can aim many at one
 * probe run. Pure: no state beyond the key the caller holds.
 */
#ifndef SP_SIPHASH_H
#define SP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN 16

/* SipHash-2-4 of p[0..n) under key (16 bytes); any thread. */
uint64_t siphash24(const unsigned char key[SIPHASH_KEY_LEN], const void *p, size_t n);

#endif
