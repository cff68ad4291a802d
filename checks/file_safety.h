// SPDX-License-Identifier: GPL-2.0-or-later
// Who may have written the files vigild trusts: the configuration, the
// credentials, and the programs it runs (script checks, notify programs).
#ifndef VIGIL_FILE_SAFETY_H
#define VIGIL_FILE_SAFETY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * vigild runs as root and decides where the VIP goes: whoever can change
 * one of these files can steer it, run code as root or as script_user, or
 * read the database password. One set of rules, one function, used at
 * start, on reload, by `vigild -t` (as warnings) and before every run of a
 * program:
 *
 *   CONFIG    vigil.ini. Owned by vigild's user (root), not writable by
 *             group or others. Not script_user: the file chooses
 *             script_user, the programs and the interfaces, so its owner
 *             controls root.
 *   SECRETS   mysql_defaults_file. Owned by vigild's user (root: it reads
 *             the file itself, without CAP_DAC_OVERRIDE, so it can read
 *             only its own), and group and others have no permission on it
 *             at all (it holds a password).
 *   PROGRAM   a script check or notify program: a regular file with an
 *             execute bit, owned by root or by script_user (it runs as
 *             script_user: its owner gains nothing), not writable by group
 *             or others.
 *   DIR       the directory holding a program: owned by root or
 *             script_user, not writable by group or others (whoever can
 *             write it can replace the program).
 *   PATH_DIR  a directory above that: as DIR, except that a sticky
 *             directory writable by others is fine (as /tmp: others cannot
 *             rename what root or script_user own there).
 *
 * "root" above is root, and vigild's own user (its effective uid) when
 * that is another: the user running a unit test.
 */
enum file_role {
	FILE_ROLE_CONFIG,
	FILE_ROLE_SECRETS,
	FILE_ROLE_PROGRAM,
	FILE_ROLE_DIR,
	FILE_ROLE_PATH_DIR,
};

/* Who may own a file besides nobody: vigild's own user and, for programs
 * and their directories, script_user. */
struct file_owners {
	uid_t self;         /* vigild's effective uid */
	bool has_user;      /* script_user is set */
	uid_t user;         /* its uid */
	const char *user_name; /* its name, for messages */
};

/* The owners for vigild's effective uid and script_user (name NULL: none;
 * uid: its uid, resolved by the caller). */
struct file_owners file_owners_of(const char *user_name, uid_t user_uid);

/*
 * The decision, from the file's stat and its role (pure: no I/O).
 * path: for the message only. st: stat() of path (following symlinks).
 * why/len: receives the reason on refusal, naming the file, its mode and
 * owner and the fix, e.g. "/etc/vigil/x.sh is writable by group or others
 * (mode 0775, owner uid 0): run chmod go-w /etc/vigil/x.sh".
 * Returns 0 when the file may be trusted; -EPERM when someone else could
 * change it (or, for SECRETS, read it); -EACCES when it cannot serve its
 * role (not a regular file, a program without an execute bit); -ENOTDIR
 * for a DIR or PATH_DIR that is not a directory.
 */
int file_safety_judge(const char *path, const struct stat *st, enum file_role role,
		      const struct file_owners *owners, char *why, size_t len);

/*
 * The same on the file system: stat path, judge it. For PROGRAM also every
 * directory of the path as written (DIR, then PATH_DIR up to /), and of
 * the path every symlink resolves to: whoever can change a link on the way
 * chooses the program.
 * Returns 0, the judge's error, -EINVAL for a program path that is not
 * absolute, -ENAMETOOLONG, or the negative errno of stat/realpath (-ENOENT:
 * missing), each with why set.
 */
int file_safety_check(const char *path, enum file_role role, const struct file_owners *owners,
		      char *why, size_t len);

#endif
