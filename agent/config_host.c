/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config checks against the running host: interfaces, programs, files. */
#include "config_host.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "script.h"

#define WARN(cfg, diag, line, ...) \
	config_diag_add((diag), CONFIG_WARNING, (cfg)->source, (line), __VA_ARGS__)

static void check_program(const struct vigil_config *cfg, struct config_diag *diag,
			  const char *key, const struct config_cmd *cmd)
{
	struct stat st;
	const char *prog;

	if (!cmd->argv)
		return;
	prog = cmd->argv[0];
	if (stat(prog, &st) < 0)
		WARN(cfg, diag, cmd->line, "%s: program %s: %s", key, prog, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		WARN(cfg, diag, cmd->line, "%s: program %s is not a regular file", key, prog);
	else if (access(prog, X_OK) < 0)
		WARN(cfg, diag, cmd->line, "%s: program %s is not executable", key, prog);
}

static void check_defaults_file(const struct vigil_config *cfg, struct config_diag *diag)
{
	const char *path = cfg->global.mysql_defaults_file;
	unsigned line = config_key_line(&cfg->global.origin, "mysql_defaults_file");
	struct stat st;

	if (!path)
		return;
	if (stat(path, &st) < 0) {
		WARN(cfg, diag, line, "mysql_defaults_file %s: %s (the daemon will refuse to start "
		     "without it)", path, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode))
		WARN(cfg, diag, line, "mysql_defaults_file %s is not a regular file (the daemon "
		     "will refuse to start)", path);
	else if (st.st_mode & (S_IRWXG | S_IRWXO))
		WARN(cfg, diag, line, "mysql_defaults_file %s is accessible by group or others "
		     "(mode %04o) and holds a password: the daemon will refuse it at start; run "
		     "chmod 600 %s", path, (unsigned)(st.st_mode & 07777), path);
	else if (access(path, R_OK) < 0)
		WARN(cfg, diag, line, "mysql_defaults_file %s is not readable by this user", path);
}

void config_check_host(const struct vigil_config *cfg, struct config_diag *diag)
{
	for (size_t i = 0; i < cfg->n_instances; i++) {
		const struct config_instance *in = &cfg->instances[i];

		if (in->interface && if_nametoindex(in->interface) == 0)
			WARN(cfg, diag, config_key_line(&in->origin, "interface"),
			     "interface %s does not exist on this host (instance '%s' stays in "
			     "FAULT until it appears)", in->interface, in->name);
		check_program(cfg, diag, "notify", &in->notify);
		check_program(cfg, diag, "notify_master", &in->notify_master);
		check_program(cfg, diag, "notify_backup", &in->notify_backup);
		check_program(cfg, diag, "notify_fault", &in->notify_fault);
		check_program(cfg, diag, "notify_stop", &in->notify_stop);
		check_program(cfg, diag, "notify_alarm", &in->notify_alarm);
	}
	for (size_t i = 0; i < cfg->n_checks; i++) {
		const struct config_cmd *cmd = &cfg->checks[i].command;
		char why[256];
		/* The script checker refuses what anyone but root could change;
		 * say so now rather than at the daemon's start. */
		if (cmd->argv && check_script_verify(cmd->argv[0], why, sizeof(why)) < 0)
			WARN(cfg, diag, cmd->line, "command: %s (vigild will refuse to run it)", why);
	}
	check_defaults_file(cfg, diag);
}
