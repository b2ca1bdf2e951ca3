/* libFuzzer harness: cert_parse on arbitrary bytes, cert_parse_b64 on them as text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rjh_diag d;
	struct cert c;
	char *text;

	if (cert_parse(data, size, &c, &d) == 0) {
		/* Whatever parses is a certificate of an accepted type with sane strings. */
		if (!cert_type_is_cert(c.type) || !key_is_fingerprint(c.key_fp) ||
		    !key_is_fingerprint(c.ca_fp) || (c.principal_bad && c.nprincipals == 0) ||
		    strlen(c.key_id) > CERT_KEY_ID_MAX)
			abort();
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)cert_type_is_cert(text);
	(void)cert_parse_b64("ssh-ed25519-cert-v01@openssh.com", text, &c, &d);
	free(text);
	return 0;
}
