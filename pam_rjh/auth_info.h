/* SSH_AUTH_INFO_0, as sshd hands it to PAM: one "METHOD ARGS" line per method used. */
#ifndef RJH_PAM_AUTH_INFO_H
#define RJH_PAM_AUTH_INFO_H

/*
 * Calls fn(type, b64, ctx) for each "publickey TYPE B64" line of info, in
 * order; lines of other methods are skipped. Stops at the first non-zero
 * value fn returns and returns it. Otherwise returns RJH_EINVAL at the first
 * publickey line without TYPE and B64, RJH_ENOENT when no line names a
 * public key, RJH_ENOMEM, or 0.
 */
int pam_rjh_auth_info_each(const char *info,
			   int (*fn)(const char *type, const char *b64, void *ctx), void *ctx);

#endif
