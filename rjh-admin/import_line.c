#include "import_line.h"

#include "name.h"

int admin_import_parse_line(const char *line, uint32_t rsa_min_bits, struct key *k,
			    struct rjh_diag *d)
{
	int rc = key_parse_line(line, rsa_min_bits, k, d);

	if (rc < 0)
		return rc;
	if (!k->comment[0])
		return diag_set(d, RJH_EINVAL, "no host name in the key's comment");
	return name_check_host(k->comment, d);
}
