/*
 * gen-keys: prints N authorized_keys lines "ssh-ed25519 BASE64 PREFIXi" with
 * random public keys, for import tests and benchmarks. Any 32 bytes make a
 * well-formed ed25519 public key blob; ssh-keygen is far too slow for 100,000.
 * Usage: gen-keys N [PREFIX [FIRST]]
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int main(int argc, char **argv)
{
	static const unsigned char head[] = {0,   0,   0,   11,  's', 's', 'h', '-', 'e', 'd',
					     '2', '5', '5', '1', '9', 0,   0,   0,   32};
	unsigned char blob[sizeof(head) + 32];
	char b64[128];
	unsigned long n, first, i;
	const char *prefix;

	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: gen-keys N [PREFIX [FIRST]]\n");
		return 1;
	}
	n = strtoul(argv[1], NULL, 10);
	prefix = argc > 2 ? argv[2] : "host-";
	first = argc > 3 ? strtoul(argv[3], NULL, 10) : 1;
	memcpy(blob, head, sizeof(head));
	for (i = 0; i < n; i++) {
		if (getrandom(blob + sizeof(head), 32, 0) != 32)
			return 1;
		EVP_EncodeBlock((unsigned char *)b64, blob, (int)sizeof(blob));
		printf("ssh-ed25519 %s %s%lu\n", b64, prefix, first + i);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
