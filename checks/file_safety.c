// SPDX-License-Identifier: GPL-2.0-or-later
// Who may have written the files vigild trusts (file_safety.h): the rules
// as a pure judge of one struct stat, and the walk along a path.
#include "file_safety.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct file_owners file_owners_of(const char *user_name, uid_t user_uid)
{
	return (struct file_owners){
		.self = geteuid(),
		.has_user = user_name != NULL,
		.user = user_uid,
		.user_name = user_name,
	};
}

static bool role_takes_user(enum file_role role)
{
	return role == FILE_ROLE_PROGRAM || role == FILE_ROLE_DIR || role == FILE_ROLE_PATH_DIR;
}

/* "root", "root or script_user nobody", "root or uid 1000 (vigild's user)". */
static void owners_text(const struct file_owners *o, bool with_user, char *buf, size_t len)
{
	int n = o->self == 0 ? snprintf(buf, len, "root")
			     : snprintf(buf, len, "root or uid %u (vigild's user)", (unsigned)o->self);
	if (with_user && o->has_user && o->user != o->self && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " or script_user %s",
			 o->user_name ? o->user_name : "?");
}

int file_safety_judge(const char *path, const struct stat *st, enum file_role role,
		      const struct file_owners *o, char *why, size_t len)
{
	const bool dir = role == FILE_ROLE_DIR || role == FILE_ROLE_PATH_DIR;
	const char *what = dir ? "directory " : "";
	const unsigned mode = (unsigned)(st->st_mode & 07777), uid = (unsigned)st->st_uid;
	const bool with_user = role_takes_user(role);
	char owners[128], fix_owner[32];

	if (dir && !S_ISDIR(st->st_mode)) {
		snprintf(why, len, "%s is not a directory", path);
		return -ENOTDIR;
	}
	if (!dir && !S_ISREG(st->st_mode)) {
		snprintf(why, len, "%s is not a regular file", path);
		return -EACCES;
	}
	if (role == FILE_ROLE_PROGRAM && !(st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
		snprintf(why, len, "%s is not executable (mode %04o)", path, mode);
		return -EACCES;
	}
	/* Root may own anything: it could change it anyway. */
	if (st->st_uid != 0 && st->st_uid != o->self &&
	    !(with_user && o->has_user && st->st_uid == o->user)) {
		owners_text(o, with_user, owners, sizeof(owners));
		if (o->self == 0)
			snprintf(fix_owner, sizeof(fix_owner), "root");
		else
			snprintf(fix_owner, sizeof(fix_owner), "%u", (unsigned)o->self);
		snprintf(why, len, "%s%s is not owned by %s (owner uid %u, mode %04o)%s: run chown %s %s",
			 what, path, owners, uid, mode,
			 role == FILE_ROLE_SECRETS
				 ? "; vigild reads it without CAP_DAC_OVERRIDE and can read only its own files"
				 : "",
			 fix_owner, path);
		return -EPERM;
	}
	if (role == FILE_ROLE_SECRETS) {
		if (st->st_mode & (S_IRWXG | S_IRWXO)) {
			snprintf(why, len,
				 "%s is accessible by group or others (mode %04o, owner uid %u) and holds "
				 "a password: run chmod 600 %s", path, mode, uid, path);
			return -EPERM;
		}
		return 0;
	}
	if (!(st->st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	/* Above the program's own directory the sticky bit is enough: only
	 * the owner of an entry may rename or remove it there. */
	if (role == FILE_ROLE_PATH_DIR && (st->st_mode & S_ISVTX))
		return 0;
	if (role == FILE_ROLE_DIR && (st->st_mode & S_ISVTX)) {
		/* Its own directory must not take new names from others (a
		 * program removed and created again by someone else): moving
		 * it is the fix, not changing a shared /tmp. */
		owners_text(o, with_user, owners, sizeof(owners));
		snprintf(why, len,
			 "directory %s is writable by group or others (mode %04o, owner uid %u): keep "
			 "the program in a directory only %s can write", path, mode, uid, owners);
		return -EPERM;
	}
	snprintf(why, len, "%s%s is writable by group or others (mode %04o, owner uid %u): run chmod go-w %s",
		 what, path, mode, uid, path);
	return -EPERM;
}

/* stat path and judge it. */
static int check_one(const char *path, enum file_role role, const struct file_owners *o,
		     char *why, size_t len)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		int e = errno;

		snprintf(why, len, "%s: %s", path, strerror(e));
		return -e;
	}
	return file_safety_judge(path, &st, role, o, why, len);
}

/* Every directory of the absolute path p (modified): its own directory,
 * then each one above it up to /. */
static int check_dirs(char *p, const struct file_owners *o, char *why, size_t len)
{
	enum file_role role = FILE_ROLE_DIR;

	for (;;) {
		char *slash = strrchr(p, '/');
		int rc;

		if (!slash)
			return 0;
		if (slash == p)
			slash[1] = '\0'; /* "/x" -> "/" */
		else
			*slash = '\0';
		rc = check_one(p, role, o, why, len);
		if (rc < 0)
			return rc;
		if (strcmp(p, "/") == 0)
			return 0;
		role = FILE_ROLE_PATH_DIR;
	}
}

int file_safety_check(const char *path, enum file_role role, const struct file_owners *o,
		      char *why, size_t len)
{
	char dir[PATH_MAX], *real;
	int rc;

	if (role == FILE_ROLE_PROGRAM && (!path || path[0] != '/')) {
		snprintf(why, len, "program must be an absolute path: \"%s\"", path ? path : "");
		return -EINVAL;
	}
	if (!path) {
		snprintf(why, len, "no file");
		return -EINVAL;
	}
	rc = check_one(path, role, o, why, len);
	if (rc < 0 || role != FILE_ROLE_PROGRAM)
		return rc;
	if (strlen(path) >= sizeof(dir)) {
		snprintf(why, len, "program path too long");
		return -ENAMETOOLONG;
	}
	/* The path as written: whoever can change a symlink on it chooses
	 * the program. */
	memcpy(dir, path, strlen(path) + 1);
	rc = check_dirs(dir, o, why, len);
	if (rc < 0)
		return rc;
	/* And where it really lives (the stat above judged the target). */
	real = realpath(path, NULL);
	if (!real) {
		int e = errno;

		snprintf(why, len, "%s: %s", path, strerror(e));
		return -e;
	}
	if (strcmp(real, path) != 0 && strlen(real) < sizeof(dir)) {
		memcpy(dir, real, strlen(real) + 1);
		rc = check_dirs(dir, o, why, len);
	}
	free(real);
	return rc;
}
