/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Config checks against the running host: interfaces, programs, files. */
#include "config_host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_safety.h"
#include "proc.h"

#define ADD(cfg, diag, sev, line, ...) \
	config_diag_add((diag), (sev), (cfg)->source, (line), __VA_ARGS__)
#define WARN(cfg, diag, line, ...) ADD(cfg, diag, CONFIG_WARNING, line, __VA_ARGS__)

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

/* script_user looked up (an error when it does not exist: nothing could
 * run), and the owners the programs may have. */
static void program_owners(const struct vigil_config *cfg, struct config_diag *diag,
			   struct file_owners *o)
{
	const char *name = cfg->global.script_user;
	struct proc_user *u = NULL;
	char why[200];

	*o = file_owners_of(NULL, 0);
	if (!name)
		return;
	if (proc_user_lookup(name, &u, why, sizeof(why)) < 0) {
		ADD(cfg, diag, CONFIG_ERROR, config_key_line(&cfg->global.origin, "script_user"),
		    "script_user: %s (script checks and notify programs run as that user)", why);
		return;
	}
	*o = file_owners_of(name, u->uid);
	proc_user_free(u);
}

/* A script check's program: refused by the daemon when someone else could
 * change it (an error in run mode); missing or not executable, it is the
 * check's own refusal at create (a warning here, as always). */
static void check_script_program(const struct vigil_config *cfg, struct config_diag *diag, bool run,
				 const struct config_check *cc, const struct file_owners *o)
{
	char why[512];
	int rc;

	if (!cc->command.argv)
		return;
	rc = file_safety_check(cc->command.argv[0], FILE_ROLE_PROGRAM, o, why, sizeof(why));
	if (rc == 0)
		return;
	if (rc == -EPERM && run)
		ADD(cfg, diag, CONFIG_ERROR, cc->command.line, "check %s: command: %s", cc->name, why);
	else
		WARN(cfg, diag, cc->command.line, "command: %s (vigild will refuse to run it)", why);
}

/* A notify program: the same rules as a script check's (check_program
 * above has warned about a missing or non-executable one). */
static void check_notify_program(const struct vigil_config *cfg, struct config_diag *diag, bool run,
				 const char *key, const struct config_cmd *cmd,
				 const struct file_owners *o)
{
	char why[512];

	if (!cmd->argv ||
	    file_safety_check(cmd->argv[0], FILE_ROLE_PROGRAM, o, why, sizeof(why)) != -EPERM)
		return;
	ADD(cfg, diag, run ? CONFIG_ERROR : CONFIG_WARNING, cmd->line, "%s: %s%s", key, why,
	    run ? "" : " (vigild will refuse to run it)");
}

/* The file itself: vigild reads it again on every reload. */
static void check_config_file(const struct vigil_config *cfg, struct config_diag *diag, bool run)
{
	struct file_owners o = file_owners_of(NULL, 0);
	char why[512];

	int rc = cfg->source ? file_safety_check(cfg->source, FILE_ROLE_CONFIG, &o, why, sizeof(why)) : 0;

	/* No such file: the text came from memory (config_load_string). */
	if (rc == 0 || rc == -ENOENT)
		return;
	ADD(cfg, diag, run ? CONFIG_ERROR : CONFIG_WARNING, 0, "%s%s", why,
	    run ? "" : " (vigild will refuse it at start)");
}

static void check_defaults_file(const struct vigil_config *cfg, struct config_diag *diag, bool run)
{
	const char *path = cfg->global.mysql_defaults_file;
	unsigned line = config_key_line(&cfg->global.origin, "mysql_defaults_file");
	struct file_owners o = file_owners_of(NULL, 0);
	char why[512];
	int rc;

	if (!path)
		return;
	rc = file_safety_check(path, FILE_ROLE_SECRETS, &o, why, sizeof(why));
	if (rc == 0)
		return;
	/* why begins with the path: "mysql_defaults_file /etc/vigil/client.cnf is ..." */
	if (run)
		ADD(cfg, diag, CONFIG_ERROR, line, "mysql_defaults_file %s", why);
	else if (rc == -ENOENT)
		WARN(cfg, diag, line, "mysql_defaults_file %s (the daemon will refuse to start "
		     "without it)", why);
	else
		WARN(cfg, diag, line, "mysql_defaults_file %s (the daemon will refuse it at start)", why);
}

/* Scripts run as vigild's user unless script_user says otherwise: say so
 * once, at the first program. */
static void warn_scripts_as_root(const struct vigil_config *cfg, struct config_diag *diag)
{
	unsigned line = 0;

	if (cfg->global.script_user)
		return;
	for (size_t i = 0; !line && i < cfg->n_checks; i++)
		if (cfg->checks[i].command.argv)
			line = cfg->checks[i].command.line;
	for (size_t i = 0; !line && i < cfg->n_instances; i++) {
		const struct config_instance *in = &cfg->instances[i];
		const struct config_cmd *cmds[] = { &in->notify, &in->notify_master, &in->notify_backup,
						    &in->notify_fault, &in->notify_stop, &in->notify_alarm };

		for (size_t k = 0; !line && k < sizeof(cmds) / sizeof(cmds[0]); k++)
			if (cmds[k]->argv)
				line = cmds[k]->line;
	}
	if (line)
		WARN(cfg, diag, line, "script checks and notify programs run as root (vigild's user, "
		     "with its capabilities): set script_user = NAME in [global] to run them as an "
		     "unprivileged user");
}

/* vigild keeps no CAP_NET_BIND_SERVICE: a port below the kernel's
 * unprivileged start (1024 by default) cannot be bound. */
static void check_metrics_port(const struct vigil_config *cfg, struct config_diag *diag)
{
	const struct config_global *g = &cfg->global;
	unsigned port = 0, first = 1024;
	FILE *f;

	if (!g->metrics_addrlen)
		return;
	if (g->metrics_addr.ss_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)(const void *)&g->metrics_addr)->sin_port);
	else if (g->metrics_addr.ss_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)(const void *)&g->metrics_addr)->sin6_port);
	f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
	if (f) {
		if (fscanf(f, "%u", &first) != 1)
			first = 1024;
		fclose(f);
	}
	if (port && port < first)
		WARN(cfg, diag, config_key_line(&g->origin, "metrics_listen"),
		     "metrics_listen: port %u is below %u (net.ipv4.ip_unprivileged_port_start) and "
		     "vigild keeps no CAP_NET_BIND_SERVICE: it will not be able to bind it", port,
		     first);
}

static void check_host(const struct vigil_config *cfg, struct config_diag *diag, bool run)
{
	struct file_owners owners;

	program_owners(cfg, diag, &owners);
	check_config_file(cfg, diag, run);
	for (size_t i = 0; i < cfg->n_instances; i++) {
		const struct config_instance *in = &cfg->instances[i];
		const struct {
			const char *key;
			const struct config_cmd *cmd;
		} progs[] = {
			{ "notify", &in->notify },
			{ "notify_master", &in->notify_master },
			{ "notify_backup", &in->notify_backup },
			{ "notify_fault", &in->notify_fault },
			{ "notify_stop", &in->notify_stop },
			{ "notify_alarm", &in->notify_alarm },
		};

		if (in->interface && if_nametoindex(in->interface) == 0)
			WARN(cfg, diag, config_key_line(&in->origin, "interface"),
			     "interface %s does not exist on this host (instance '%s' stays in "
			     "FAULT until it appears)", in->interface, in->name);
		for (size_t k = 0; k < sizeof(progs) / sizeof(progs[0]); k++) {
			check_program(cfg, diag, progs[k].key, progs[k].cmd);
			check_notify_program(cfg, diag, run, progs[k].key, progs[k].cmd, &owners);
		}
	}
	for (size_t i = 0; i < cfg->n_checks; i++)
		check_script_program(cfg, diag, run, &cfg->checks[i], &owners);
	check_defaults_file(cfg, diag, run);
	warn_scripts_as_root(cfg, diag);
	check_metrics_port(cfg, diag);
}

void config_check_host(const struct vigil_config *cfg, struct config_diag *diag)
{
	check_host(cfg, diag, false);
}

void config_check_host_run(const struct vigil_config *cfg, struct config_diag *diag)
{
	check_host(cfg, diag, true);
}
