/* The shadow copy: the project as the container sees it. The original is
 * never mounted; the user applies the shadow's changes back through diff/. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "exec/exec.h"

void lc_sandbox_user(uid_t *uid, gid_t *gid)
{
    /* The image's `sandbox` user; root inside the container is never used. */
    if (geteuid() == 0) {
        *uid = 1000;
        *gid = 1000;
    } else {
        *uid = geteuid();
        *gid = getegid();
    }
}

int lc_session_dir_create(const char *root, char **dir, char **id, lc_err *err)
{
    char *base = NULL;
    *dir = *id = NULL;
    if (root) {
        base = lc_xstrdup(root);
    } else {
        char *state = lc_xdg_dir("state", err);
        if (!state)
            return err ? err->code : LC_EIO;
        base = lc_path_join(state, "sessions");
        free(state);
    }
    int rc = lc_mkdir_p(base, 0700, err);
    if (rc != LC_OK) {
        free(base);
        return rc;
    }
    lc_dir_spread(base); /* each session's shadow in block groups of its own */
    char stamp[32], rnd[8];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    lc_random_hex(rnd, 3);
    *id = lc_xasprintf("%s-%s", stamp, rnd);
    *dir = lc_path_join(base, *id);
    free(base);
    if (mkdir(*dir, 0700) != 0) {
        rc = lc_err_errno(err, LC_EIO, errno, "cannot create the session directory %s", *dir);
        free(*dir);
        free(*id);
        *dir = *id = NULL;
    }
    return rc;
}

typedef struct deferred_dir {
    char *path;
    mode_t mode;
    struct timespec mtime;
} deferred_dir;

typedef struct copy_ctx {
    bool borrow;     /* .git/objects: an empty store that borrows the project's (alternates) */
    const char *src;
    const char *dst;
    dev_t dst_dev;
    ino_t dst_ino;
    uid_t uid;
    gid_t gid;
    lc_shadow_report *rep;
    deferred_dir *dirs;
    size_t ndirs, capdirs;
    uint64_t room;    /* bytes the copy may still take before the disk's reserve */
    lc_err *err;
} copy_ctx;

/* How much the copy may take: what the file system of dst has free, less a
 * reserve (5% of it, at most 1 GiB), so a project with a huge file never
 * fills the user's disk. UINT64_MAX when the file system cannot say. */
static uint64_t copy_room(const char *dst)
{
    struct statvfs v;
    if (statvfs(dst, &v) != 0 || v.f_frsize == 0)
        return UINT64_MAX;
    uint64_t avail = (uint64_t)v.f_bavail * v.f_frsize;
    uint64_t reserve = (uint64_t)v.f_blocks * v.f_frsize / 20;
    if (reserve > (1ull << 30))
        reserve = 1ull << 30;
    return avail > reserve ? avail - reserve : 0;
}

/* Refuses a file the disk has no room for, before a byte of it is written. */
static int take_room(copy_ctx *c, const lc_walk_entry *e)
{
    uint64_t need = (uint64_t)e->st->st_blocks * 512u; /* holes stay holes (lc_file_copy) */
    if (c->room == UINT64_MAX || need <= c->room) {
        if (c->room != UINT64_MAX)
            c->room -= need;
        return LC_OK;
    }
    char n[32], r[32];
    lc_format_bytes_human(need, n, sizeof n);
    lc_format_bytes_human(c->room, r, sizeof r);
    char *name = lc_text_line(e->path);
    int rc = lc_err_set(c->err, LC_EIO,
                        "%s needs %s and the disk of %s has %s left for it (litecode keeps 5%% of "
                        "the disk, at most 1 GiB, free): free some space, move large files out of "
                        "the project, or set XDG_STATE_HOME to a larger disk",
                        name, n, c->dst, r);
    free(name);
    return rc;
}

static int set_owner_times(copy_ctx *c, const char *path, const struct stat *st, bool is_link)
{
    if (c->uid != (uid_t)-1 && lchown(path, c->uid, c->gid) != 0)
        return lc_err_errno(c->err, LC_EIO, errno, "cannot give %s to uid %d", path, (int)c->uid);
    struct timespec ts[2] = {st->st_atim, st->st_mtim};
    if (utimensat(AT_FDCWD, path, ts, is_link ? AT_SYMLINK_NOFOLLOW : 0) != 0 && !is_link)
        return lc_err_errno(c->err, LC_EIO, errno, "cannot set the times of %s", path);
    return LC_OK;
}

static void defer_dir(copy_ctx *c, const char *path, mode_t mode, struct timespec mtime)
{
    if (c->ndirs == c->capdirs) {
        c->capdirs = c->capdirs ? c->capdirs * 2 : 64;
        c->dirs = lc_xrealloc(c->dirs, c->capdirs * sizeof *c->dirs);
    }
    c->dirs[c->ndirs++] = (deferred_dir){lc_xstrdup(path), mode, mtime};
}

/* The shadow's .git/objects when the project's are borrowed: empty info/
 * and pack/ (nothing of the project's is copied), and info/alternates naming where the sandbox mounts the
 * project's objects read-only. git in a step reads the history from there
 * and writes new objects here, in the shadow. */
static int borrow_store(copy_ctx *c, const lc_walk_entry *e)
{
    char *objects = lc_path_join(c->dst, e->path);
    if (mkdir(objects, 0700) != 0) {
        int rc = lc_err_errno(c->err, LC_EIO, errno, "cannot create %s", objects);
        free(objects);
        return rc;
    }
    defer_dir(c, objects, e->st->st_mode & 07777, e->st->st_mtim);
    c->rep->dirs++;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    static const char *const sub[] = {"info", "pack"};
    int rc = LC_OK;
    for (size_t i = 0; rc == LC_OK && i < 2; i++) {
        char *d = lc_path_join(objects, sub[i]);
        rc = mkdir(d, 0700) == 0 ? LC_OK : lc_err_errno(c->err, LC_EIO, errno, "cannot create %s", d);
        if (rc == LC_OK)
            defer_dir(c, d, 0755, now);
        free(d);
    }
    char *alt = lc_path_join(objects, "info/alternates");
    if (rc == LC_OK)
        rc = lc_file_write_atomic(alt, LC_SHADOW_GIT_OBJECTS "\n", strlen(LC_SHADOW_GIT_OBJECTS) + 1, 0644, c->err);
    if (rc == LC_OK && c->uid != (uid_t)-1 && lchown(alt, c->uid, c->gid) != 0)
        rc = lc_err_errno(c->err, LC_EIO, errno, "cannot give %s to uid %d", alt, (int)c->uid);
    free(alt);
    free(objects);
    return rc == LC_OK ? LC_WALK_SKIP : rc; /* the project's objects are not copied */
}

typedef struct lend_ctx {
    uid_t uid; /* the sandbox user: what it cannot read cannot be lent */
    bool ok;
} lend_ctx;

static int check_lendable(void *ctx, const lc_walk_entry *e)
{
    lend_ctx *l = ctx;
    const struct stat *st = e->st;
    mode_t need = S_ISDIR(st->st_mode) ? S_IROTH | S_IXOTH : S_IROTH;
    bool readable = st->st_uid == l->uid ? (st->st_mode & (need << 6)) == (need << 6) : (st->st_mode & need) == need;
    if ((!S_ISDIR(st->st_mode) && !S_ISREG(st->st_mode)) || !readable) {
        l->ok = false;
        return LC_EINVAL; /* stop: a symlink, a device, or an object the sandbox could not read */
    }
    return 0;
}

char *lc_shadow_git_objects(const char *project)
{
    /* .git and .git/objects themselves real directories: a symlink there
     * would lend whatever it points at to the sandbox. */
    char *git = lc_path_join(project, ".git"), *objects = lc_path_join(project, ".git/objects");
    struct stat st;
    uid_t uid;
    gid_t gid;
    lc_sandbox_user(&uid, &gid);
    lend_ctx l = {uid, true};
    lc_err ignored = {0};
    /* The path goes into a --mount list: a comma or colon would split it. */
    bool ok = !strpbrk(objects, ",:\"\n") && lstat(git, &st) == 0 && S_ISDIR(st.st_mode) && lstat(objects, &st) == 0 && S_ISDIR(st.st_mode) &&
              check_lendable(&l, &(lc_walk_entry){".git/objects", "objects", &st, 0}) == 0 &&
              lc_walk(objects, check_lendable, &l, &ignored) == LC_OK && l.ok;
    free(git);
    if (!ok) {
        free(objects);
        return NULL;
    }
    return objects;
}

char *lc_shadow_borrowed(const char *project, const char *shadow)
{
    char *alt = lc_path_join(shadow, ".git/objects/info/alternates");
    lc_buf b = LC_BUF_INIT;
    lc_err ignored = {0};
    bool borrows = lc_file_read(alt, 4096, &b, &ignored) == LC_OK &&
                   strcmp(lc_buf_cstr(&b), LC_SHADOW_GIT_OBJECTS "\n") == 0;
    lc_buf_free(&b);
    free(alt);
    return borrows ? lc_shadow_git_objects(project) : NULL;
}

static int copy_one(void *ctx, const lc_walk_entry *e)
{
    copy_ctx *c = ctx;
    const struct stat *st = e->st;
    if (S_ISDIR(st->st_mode) && st->st_dev == c->dst_dev && st->st_ino == c->dst_ino)
        return LC_WALK_SKIP; /* the state directory lives inside --dir: never copy into itself */
    if (c->borrow && S_ISDIR(st->st_mode) && strcmp(e->path, ".git/objects") == 0)
        return borrow_store(c, e);
    char *from = lc_path_join(c->src, e->path);
    char *to = lc_path_join(c->dst, e->path);
    int rc = LC_OK;
    if (S_ISDIR(st->st_mode)) {
        /* Writable while we fill it; the real mode is set on the way out. */
        if (mkdir(to, 0700) != 0) {
            rc = lc_err_errno(c->err, LC_EIO, errno, "cannot create %s", to);
        } else {
            if (c->ndirs == c->capdirs) {
                c->capdirs = c->capdirs ? c->capdirs * 2 : 64;
                c->dirs = lc_xrealloc(c->dirs, c->capdirs * sizeof *c->dirs);
            }
            c->dirs[c->ndirs++] = (deferred_dir){lc_xstrdup(to), st->st_mode & 07777, st->st_mtim};
            c->rep->dirs++;
        }
    } else if (S_ISREG(st->st_mode) && (rc = take_room(c, e)) != LC_OK) {
        /* said */
    } else if (S_ISREG(st->st_mode)) {
        bool reflinked = false;
        rc = lc_file_copy(from, to, st->st_mode & 07777, &reflinked, c->err);
        if (rc == LC_OK)
            rc = set_owner_times(c, to, st, false);
        if (rc == LC_OK) {
            c->rep->files++;
            c->rep->bytes += (uint64_t)st->st_size;
            c->rep->reflinked += reflinked;
        }
    } else if (S_ISLNK(st->st_mode)) {
        char target[4096];
        ssize_t n = readlink(from, target, sizeof target - 1);
        if (n < 0) {
            rc = lc_err_errno(c->err, LC_EIO, errno, "cannot read the symlink %s", from);
        } else {
            target[n] = '\0';
            if (symlink(target, to) != 0)
                rc = lc_err_errno(c->err, LC_EIO, errno, "cannot create the symlink %s", to);
            else
                rc = set_owner_times(c, to, st, true);
            if (rc == LC_OK)
                c->rep->symlinks++;
        }
    } else {
        const char *what = S_ISSOCK(st->st_mode)  ? "socket"
                           : S_ISFIFO(st->st_mode) ? "fifo"
                                                   : "device";
        lc_strv_pushf(&c->rep->skipped, "%s (%s)", e->path, what);
    }
    free(from);
    free(to);
    return rc;
}

static int copy_tree(const char *src, const char *dst, bool borrow, uid_t uid, gid_t gid, lc_shadow_report *rep,
                     lc_err *err)
{
    struct stat sst, dst_st;
    if (stat(src, &sst) != 0)
        return lc_err_errno(err, LC_ENOTFOUND, errno, "cannot open the project directory %s", src);
    if (!S_ISDIR(sst.st_mode))
        return lc_err_set(err, LC_EINVAL, "%s is not a directory: --dir takes a project directory", src);
    if (mkdir(dst, 0700) != 0)
        return lc_err_errno(err, LC_EIO, errno, "cannot create the shadow copy at %s", dst);
    if (stat(dst, &dst_st) != 0)
        return lc_err_errno(err, LC_EIO, errno, "cannot stat %s", dst);
    copy_ctx c = {.borrow = borrow, .src = src, .dst = dst, .dst_dev = dst_st.st_dev, .dst_ino = dst_st.st_ino,
                  .uid = uid, .gid = gid, .rep = rep, .room = copy_room(dst), .err = err};
    int rc = lc_walk(src, copy_one, &c, err);
    /* Directory modes and times last, deepest first, so read-only directories
     * could be filled and their mtimes are not disturbed by the copies. */
    for (size_t i = c.ndirs; i-- > 0;) {
        deferred_dir *d = &c.dirs[i];
        if (rc == LC_OK && c.uid != (uid_t)-1 && chown(d->path, uid, gid) != 0)
            rc = lc_err_errno(err, LC_EIO, errno, "cannot give %s to uid %d", d->path, (int)uid);
        if (rc == LC_OK && chmod(d->path, d->mode) != 0)
            rc = lc_err_errno(err, LC_EIO, errno, "cannot set the mode of %s", d->path);
        struct timespec ts[2] = {d->mtime, d->mtime};
        if (rc == LC_OK)
            utimensat(AT_FDCWD, d->path, ts, 0);
        free(d->path);
    }
    free(c.dirs);
    if (rc == LC_OK) {
        if (uid != (uid_t)-1 && chown(dst, uid, gid) != 0)
            rc = lc_err_errno(err, LC_EIO, errno, "cannot give %s to uid %d", dst, (int)uid);
        else if (chmod(dst, (sst.st_mode & 07777) | 0700) != 0)
            rc = lc_err_errno(err, LC_EIO, errno, "cannot set the mode of %s", dst);
    }
    if (rc != LC_OK) {
        lc_err_prefix(err, "making the shadow copy of %s", src);
        lc_rm_rf(dst, NULL); /* a half copy is no use, and may be large */
    }
    return rc;
}

int lc_shadow_copy(const char *src, const char *dst, uid_t uid, gid_t gid, lc_shadow_report *rep, lc_err *err)
{
    return copy_tree(src, dst, false, uid, gid, rep, err);
}

int lc_shadow_make(const char *src, const char *dst, uid_t uid, gid_t gid, lc_shadow_report *rep, lc_err *err)
{
    char *objects = lc_shadow_git_objects(src);
    int rc = copy_tree(src, dst, objects != NULL, uid, gid, rep, err);
    free(objects);
    return rc;
}

void lc_shadow_report_free(lc_shadow_report *rep)
{
    if (rep)
        lc_strv_free(&rep->skipped);
}

static int add_usage(void *ctx, const lc_walk_entry *e)
{
    *(uint64_t *)ctx += (uint64_t)e->st->st_blocks * 512u;
    return 0;
}

uint64_t lc_shadow_usage(const char *dir)
{
    uint64_t total = 0;
    lc_err ignored = {0};
    lc_walk(dir, add_usage, &total, &ignored);
    return total;
}
