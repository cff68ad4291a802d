// SPDX-License-Identifier: GPL-2.0-or-later
// The script checker: a program's exit code is the verdict.
#ifndef VIGIL_SCRIPT_H
#define VIGIL_SCRIPT_H

#include <stddef.h>

#include "check.h"

/*
 * type = script; params: argv (argv[0] the program, an absolute path;
 * the arguments as vigil split them: there is no shell, so no quoting,
 * globbing, pipes or $VARS).
 *
 * One probe runs the program once (fork + execve via proc.h; overlapping
 * probes run a child each) with stdin on /dev/null, an environment of only
 *   PATH=/usr/sbin:/usr/bin:/sbin:/bin  VIGIL_CHECK=<check name>
 * and its own process group. Its exit code is the verdict:
 *   exit 0            ok
 *   exit 1            degraded  (degraded_penalty applies)
 *   exit 2..255       failed    (penalty applies)
 *   killed by signal  failed
 *   cannot execute    failed, flagged as a configuration problem
 *   still running at  failed "timeout after N ms"; the whole process
 *   the check timeout group is killed with SIGKILL
 * The detail carries the exit code and the first non-empty line the
 * program wrote (stdout and stderr together), e.g. "exit 1: lag 12 s".
 *
 * With params run_as ([global] script_user) the program runs as that
 * user (proc.h: groups, user, then cwd "/"), without capabilities; a
 * child that cannot become it fails the probe as a configuration problem
 * ("cannot run as script_user: setuid: ..."). Without, it runs as vigild.
 *
 * A program that anyone but root (or run_as) could change would let that
 * user steer the VIP and run code as root, so it is refused (at create,
 * and again before every run) unless it passes file_safety.h's PROGRAM
 * rules: a regular file, owned by root or run_as, with an execute bit,
 * not writable by group or others; its directory owned by root or run_as
 * and not writable by group or others; every directory above that the
 * same, or sticky (as /tmp: others cannot rename what root owns there).
 * The same holds for the file a symlink points to and that file's
 * directories.
 *
 * The script check needs the libev default loop (ev_child is delivered
 * only there): create refuses any other loop.
 */
extern const struct check_type check_script_type;

/*
 * Whether path may be run by the script checker without run_as (the rules
 * above, vigild's own user as the only owner).
 * path: the program. err/errlen: receives the reason on refusal, e.g.
 * "/etc/vigil/x.sh is writable by group or others (mode 0775, owner uid
 * 0): run chmod go-w /etc/vigil/x.sh".
 * Returns 0 when it may, -EINVAL (relative path), -ENOENT, -EACCES (not
 * a regular file or not executable), -EPERM (not owned by root or
 * writable by others), or another negative errno from stat/realpath.
 */
int check_script_verify(const char *path, char *err, size_t errlen);

#endif
