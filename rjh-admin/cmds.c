/* The command table, in the order --help lists it. */
#include "admin.h"

extern const struct admin_cmd admin_cmd_init, admin_cmd_enroll, admin_cmd_add_key,
    admin_cmd_revoke_key, admin_cmd_revoke, admin_cmd_enable, admin_cmd_remove, admin_cmd_list,
    admin_cmd_show, admin_cmd_status, admin_cmd_import, admin_cmd_export, admin_cmd_grant,
    admin_cmd_ungrant, admin_cmd_grants, admin_cmd_refresh, admin_cmd_runtime,
    admin_cmd_sshd_config, admin_cmd_set_host_key, admin_cmd_audit, admin_cmd_host_unit,
    admin_cmd_client_config, admin_cmd_known_hosts, admin_cmd_prune, admin_cmd_doctor,
    admin_cmd_backup, admin_cmd_modify, admin_cmd_migrate, admin_cmd_jumphost, admin_cmd_host_ca;

// clang-format off
const struct admin_cmd *const admin_cmds[] = {
	&admin_cmd_init,
	&admin_cmd_migrate,
	&admin_cmd_enroll,
	&admin_cmd_add_key,
	&admin_cmd_set_host_key,
	&admin_cmd_modify,
	&admin_cmd_revoke_key,
	&admin_cmd_revoke,
	&admin_cmd_enable,
	&admin_cmd_remove,
	&admin_cmd_list,
	&admin_cmd_show,
	&admin_cmd_status,
	&admin_cmd_doctor,
	&admin_cmd_audit,
	&admin_cmd_prune,
	&admin_cmd_backup,
	&admin_cmd_import,
	&admin_cmd_export,
	&admin_cmd_grant,
	&admin_cmd_ungrant,
	&admin_cmd_grants,
	&admin_cmd_refresh,
	&admin_cmd_runtime,
	&admin_cmd_sshd_config,
	&admin_cmd_host_unit,
	&admin_cmd_client_config,
	&admin_cmd_known_hosts,
	&admin_cmd_jumphost,
	&admin_cmd_host_ca,
	NULL,
};
// clang-format on
