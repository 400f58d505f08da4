/* The snapshot of the original (metadata only), the bases (the old side of
 * every file the session changed) and the content-addressed object store they
 * and the journal share. All of it lives in <state>/diff/ as small text files
 * rewritten atomically, so a crash leaves either the old or the new version. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "diff/diff_int.h"

/* ---- path escaping ---------------------------------------------------------- */

void dfi_path_escape(const char *path, lc_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (*p < 0x21 || *p == '%' || *p == 0x7f) {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            lc_buf_append(out, e, 3);
        } else {
            lc_buf_putc(out, (char)*p);
        }
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *dfi_path_unescape(const char *s, size_t len)
{
    lc_buf b = LC_BUF_INIT;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < len ? hexval(s[i + 1]) : -1, lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                lc_buf_free(&b);
                return NULL;
            }
            lc_buf_putc(&b, (char)(hi * 16 + lo));
            i += 2;
        } else {
            lc_buf_putc(&b, s[i]);
        }
    }
    char *r = lc_buf_detach(&b);
    if (!dfi_path_plain(r)) {
        free(r);
        return NULL;
    }
    return r;
}

/* ---- snapshot -------------------------------------------------------------- */

static char type_of(mode_t m)
{
    return S_ISREG(m) ? 'f' : S_ISLNK(m) ? 'l' : S_ISDIR(m) ? 'd' : 'o';
}

bool dfi_dir_unreadable(const char *root, const lc_walk_entry *e)
{
    if (!S_ISDIR(e->st->st_mode) || geteuid() == 0)
        return false;
    char *path = lc_path_join(root, e->path);
    bool bad = faccessat(AT_FDCWD, path, R_OK | X_OK, AT_EACCESS) != 0;
    free(path);
    return bad;
}

typedef struct snap_ctx {
    const char *root;
    lc_buf *b;
} snap_ctx;

static int snap_walk_cb(void *ctx, const lc_walk_entry *e)
{
    if (strcmp(e->name, ".git") == 0)
        return LC_WALK_SKIP;
    snap_ctx *sc = ctx;
    lc_buf *b = sc->b;
    const struct stat *st = e->st;
    lc_buf_printf(b, "%c %o %llu %llu %lld %ld %lld %ld ", type_of(st->st_mode),
                  (unsigned)(st->st_mode & 07777), (unsigned long long)st->st_size,
                  (unsigned long long)st->st_ino, (long long)st->st_mtim.tv_sec,
                  (long)st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec,
                  (long)st->st_ctim.tv_nsec);
    dfi_path_escape(e->path, b);
    lc_buf_putc(b, '\n');
    /* A directory we cannot read stays out of the review rather than failing it. */
    return dfi_dir_unreadable(sc->root, e) ? LC_WALK_SKIP : 0;
}

static void root_id(const char *root, lc_buf *out)
{
    char *real = realpath(root, NULL);
    dfi_path_escape(real ? real : root, out);
    free(real);
}

int lc_diff_snapshot(const char *orig_root, const char *state_dir, lc_err *err)
{
    char *dir = lc_path_join(state_dir, "diff");
    int rc = lc_mkdir_p(dir, 0700, err);
    lc_buf b = LC_BUF_INIT;
    /* The header names the directory, so a state dir cannot be reused for another one. */
    lc_buf_puts(&b, "lcsnap1 ");
    root_id(orig_root, &b);
    lc_buf_putc(&b, '\n');
    if (rc == LC_OK)
        rc = lc_walk(orig_root, snap_walk_cb, &(snap_ctx){orig_root, &b}, err);
    if (rc == LC_OK) {
        char *path = lc_path_join(dir, "snapshot");
        rc = lc_file_write_atomic(path, b.data, b.len, 0600, err);
        free(path);
    }
    if (rc != LC_OK)
        lc_err_prefix(err, "taking the snapshot of %s", orig_root);
    lc_buf_free(&b);
    free(dir);
    return rc;
}

static int cmp_snap(const void *a, const void *b)
{
    return strcmp(((const snap_ent *)a)->path, ((const snap_ent *)b)->path);
}

int dfi_snapshot_load(lc_diff *d, lc_err *err)
{
    char *path = lc_path_join(d->dir, "snapshot");
    lc_buf b = LC_BUF_INIT;
    int rc = lc_file_read(path, (size_t)1 << 30, &b, err);
    if (rc == LC_OK && (!lc_str_starts_with(lc_buf_cstr(&b), "lcsnap1 ") || !strchr(b.data, '\n')))
        rc = lc_err_set(err, LC_EINVAL, "%s is not a litecode snapshot; remove it to take a new one",
                        path);
    if (rc == LC_OK) {
        lc_buf id = LC_BUF_INIT;
        root_id(d->orig, &id);
        size_t hl = (size_t)(strchr(b.data, '\n') - b.data) - 8;
        if (hl != id.len || memcmp(b.data + 8, id.data, hl) != 0)
            rc = lc_err_set(err, LC_EINVAL,
                            "this session's state belongs to another directory (%.*s), not %s",
                            (int)(hl > 200 ? 200 : hl), b.data + 8, d->orig);
        lc_buf_free(&id);
    }
    size_t cap = 0;
    for (char *line = rc == LC_OK ? strchr(b.data, '\n') + 1 : NULL; line && *line;) {
        char *nl = strchr(line, '\n');
        if (!nl)
            break;
        *nl = '\0';
        snap_ent e = {0};
        char type;
        unsigned long long size, ino;
        long long ms, cs;
        long mns, cns;
        int off = 0;
        if (sscanf(line, "%c %o %llu %llu %lld %ld %lld %ld %n", &type, &e.mode, &size, &ino, &ms,
                   &mns, &cs, &cns, &off) >= 8 && off > 0) {
            e.path = dfi_path_unescape(line + off, strlen(line + off));
        }
        if (!e.path) {
            rc = lc_err_set(err, LC_EINVAL, "%s: malformed line; remove the file to take a new snapshot",
                            path);
            break;
        }
        e.type = type;
        e.size = size;
        e.ino = ino;
        e.mtime_s = ms;
        e.mtime_ns = mns;
        e.ctime_s = cs;
        e.ctime_ns = cns;
        if (d->nsnap == cap) {
            cap = cap ? cap * 2 : 1024;
            d->snap = lc_xrealloc(d->snap, cap * sizeof *d->snap);
        }
        d->snap[d->nsnap++] = e;
        line = nl + 1;
    }
    if (d->nsnap > 1)
        qsort(d->snap, d->nsnap, sizeof *d->snap, cmp_snap);
    lc_buf_free(&b);
    free(path);
    return rc;
}

const snap_ent *dfi_snap_find(const lc_diff *d, const char *path)
{
    snap_ent key = {.path = (char *)path};
    return d->nsnap ? bsearch(&key, d->snap, d->nsnap, sizeof key, cmp_snap) : NULL;
}

/* ---- bases ----------------------------------------------------------------- */

static int cmp_base(const void *a, const void *b)
{
    return strcmp(((const base_ent *)a)->path, ((const base_ent *)b)->path);
}

const dstate *dfi_base_find(const lc_diff *d, const char *path)
{
    base_ent key = {.path = (char *)path};
    base_ent *e = d->nbases ? bsearch(&key, d->bases, d->nbases, sizeof key, cmp_base) : NULL;
    return e ? &e->st : NULL;
}

void dfi_base_set(lc_diff *d, const char *path, const dstate *st)
{
    base_ent key = {.path = (char *)path};
    base_ent *e = d->nbases ? bsearch(&key, d->bases, d->nbases, sizeof key, cmp_base) : NULL;
    if (e) {
        e->st = *st;
        return;
    }
    if (d->nbases == d->capbases) {
        d->capbases = d->capbases ? d->capbases * 2 : 64;
        d->bases = lc_xrealloc(d->bases, d->capbases * sizeof *d->bases);
    }
    size_t lo = 0, hi = d->nbases; /* insertion point keeps the array sorted */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(d->bases[mid].path, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&d->bases[lo + 1], &d->bases[lo], (d->nbases - lo) * sizeof *d->bases);
    d->bases[lo].path = lc_xstrdup(path);
    d->bases[lo].st = *st;
    d->nbases++;
}

int dfi_bases_load(lc_diff *d, lc_err *err)
{
    char *path = lc_path_join(d->dir, "bases");
    lc_buf b = LC_BUF_INIT;
    lc_err e2 = {0};
    int rc = lc_file_read(path, (size_t)1 << 30, &b, &e2);
    if (rc == LC_ENOTFOUND) {
        free(path);
        return LC_OK;
    }
    if (rc != LC_OK) {
        free(path);
        return lc_err_set(err, rc, "%s", e2.msg);
    }
    for (char *line = b.data; line && *line;) {
        char *nl = strchr(line, '\n');
        if (!nl)
            break;
        *nl = '\0';
        dstate st = {0};
        char oid[41] = "";
        int off = 0;
        char *p = NULL;
        if (sscanf(line, "%c %o %40s %n", &st.kind, &st.mode, oid, &off) >= 3 && off > 0)
            p = dfi_path_unescape(line + off, strlen(line + off));
        if (!p || !strchr("-flx", st.kind)) {
            free(p);
            rc = lc_err_set(err, LC_EINVAL, "%s: malformed line \"%.60s\"", path, line);
            break;
        }
        if (strcmp(oid, "-") != 0)
            memcpy(st.oid, oid, 41);
        dfi_base_set(d, p, &st);
        free(p);
        line = nl + 1;
    }
    lc_buf_free(&b);
    free(path);
    return rc;
}

int dfi_bases_save(lc_diff *d, lc_err *err)
{
    lc_buf b = LC_BUF_INIT;
    for (size_t i = 0; i < d->nbases; i++) {
        const dstate *st = &d->bases[i].st;
        lc_buf_printf(&b, "%c %o %s ", st->kind, st->mode, st->oid[0] ? st->oid : "-");
        dfi_path_escape(d->bases[i].path, &b);
        lc_buf_putc(&b, '\n');
    }
    char *path = lc_path_join(d->dir, "bases");
    int rc = dfi_state_write(d, path, b.data ? b.data : "", b.len, err);
    free(path);
    lc_buf_free(&b);
    return rc;
}

/* ---- objects --------------------------------------------------------------- */

void dfi_oid_of(const void *data, size_t len, char oid[41])
{
    git_oid id;
    if (git_odb_hash(&id, data ? data : "", len, GIT_OBJECT_BLOB) != 0) {
        memset(oid, '0', 40);
        oid[40] = '\0';
        return;
    }
    git_oid_tostr(oid, 41, &id);
}

/* Objects are written without an fsync: a thousand fsyncs take seconds on a
 * busy disk, and a syncfs would flush everyone's data. Reads check the content
 * against its id, so an object a crash damaged counts as missing (the base is
 * then "lost" and apply refuses, never guesses). The journal, which undo needs
 * after a crash, keeps the user's before-bytes of each apply in one fsynced
 * file (<seq>.before) that undo falls back on. */
static int obj_put(lc_diff *d, const void *data, size_t len, bool check, char oid[41], lc_err *err)
{
    dfi_oid_of(data, len, oid);
    char *path = lc_xasprintf("%s/%s", d->objdir, oid);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == (uint64_t)len) {
        /* Kept only if it is intact: a copy a crash damaged is written again (a base read
         * from here must be the base). */
        lc_buf have = LC_BUF_INIT;
        lc_err e = {0};
        bool ok = !check || dfi_obj_get(d, oid, &have, &e) == LC_OK;
        lc_buf_free(&have);
        if (ok) {
            free(path);
            return LC_OK;
        }
    }
    char rnd[13];
    lc_random_hex(rnd, 6);
    char *tmp = lc_xasprintf("%s/.tmp-%s", d->objdir, rnd);
    int rc = LC_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = lc_err_errno(err, LC_EIO, errno, "saving a copy in %s", d->objdir);
    } else {
        int w = lc_fd_write_all(fd, data ? data : "", len);
        int e = errno;
        if (close(fd) != 0 && w == LC_OK) {
            w = LC_EIO;
            e = errno;
        }
        if (w != LC_OK || rename(tmp, path) != 0) {
            rc = lc_err_errno(err, LC_EIO, w != LC_OK ? e : errno, "saving a copy in %s", d->objdir);
            unlink(tmp);
        }
    }
    free(tmp);
    free(path);
    return rc;
}


int dfi_obj_put(lc_diff *d, const void *data, size_t len, char oid[41], lc_err *err)
{
    return obj_put(d, data, len, true, oid, err);
}

int dfi_obj_keep(lc_diff *d, const void *data, size_t len, char oid[41], lc_err *err)
{
    return obj_put(d, data, len, false, oid, err);
}

int dfi_obj_get(const lc_diff *d, const char *oid, lc_buf *out, lc_err *err)
{
    char *path = lc_xasprintf("%s/%s", d->objdir, oid);
    size_t start = out->len;
    int rc = lc_file_read(path, (size_t)-1, out, err);
    if (rc == LC_OK) {
        char got[41];
        dfi_oid_of(out->data + start, out->len - start, got);
        if (strcmp(got, oid) != 0) {
            out->len = start;
            rc = lc_err_set(err, LC_EIO, "the saved copy %s is damaged", path);
        }
    }
    if (rc != LC_OK)
        lc_err_prefix(err, "reading the session's saved copy");
    free(path);
    return rc;
}
