/* The undo journal: one small text file per apply in <state>/diff/journal,
 * naming for each file the state before and after (contents in the object
 * store) and the base before and after. It is written "open" before any file
 * is touched (the intent) and rewritten "done" with only the files really
 * written once the writes are over (the completion). An entry still open when
 * the change set is opened again is an apply a crash cut short: the disk says
 * which of its files were written; they are kept and reported, its temporary
 * files are removed (lc_diff_recovered). A done entry becomes "logged" when
 * the front end says its session log has the files (lc_diff_logged); until
 * then each open reports them again. Undo accepts a file that is either as
 * the apply left it or still as it was before, and reports only what it
 * changed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diff/diff_int.h"

static int recover(lc_diff *d, unsigned long seq, lc_err *err);
static int journal_put(lc_diff *d, unsigned long seq, const char *suffix, const jrec *recs, size_t n,
                       const lc_strv *dirs, char state, lc_err *err);
static int report_undone(lc_diff *d, lc_err *err);

static int cmp_ul(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return x < y ? -1 : x > y;
}

int dfi_journal_load(lc_diff *d, lc_err *err)
{
    DIR *dir = opendir(d->jdir);
    if (!dir)
        return lc_err_errno(err, LC_EIO, errno, "reading the undo journal %s", d->jdir);
    struct dirent *de;
    size_t cap = 0;
    while ((de = readdir(dir))) {
        char *end;
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        unsigned long v = strtoul(de->d_name, &end, 10);
        if ((!strcmp(end, ".undone") || !strcmp(end, ".redo")) && v >= d->jnext)
            d->jnext = v + 1; /* never reused while its record waits */
        if (!strcmp(end, ".redo")) {
            d->redo = lc_xrealloc(d->redo, (d->nredo + 1) * sizeof *d->redo);
            d->redo[d->nredo++] = v;
        }
        if (*end)
            continue;
        if (d->nundo == cap) {
            cap = cap ? cap * 2 : 16;
            d->undo = lc_xrealloc(d->undo, cap * sizeof *d->undo);
        }
        d->undo[d->nundo++] = v;
        if (v >= d->jnext)
            d->jnext = v + 1;
    }
    closedir(dir);
    if (d->nundo > 1)
        qsort(d->undo, d->nundo, sizeof *d->undo, cmp_ul);
    if (d->nredo > 1)
        qsort(d->redo, d->nredo, sizeof *d->redo, cmp_ul);
    /* An open entry is an apply a crash cut short; oldest first, as they ran. */
    unsigned long *seqs = lc_xmalloc((d->nundo + 1) * sizeof *seqs);
    size_t nseq = d->nundo;
    if (nseq)
        memcpy(seqs, d->undo, nseq * sizeof *seqs);
    int rc = LC_OK;
    for (size_t i = 0; rc == LC_OK && i < nseq; i++)
        rc = recover(d, seqs[i], err);
    free(seqs);
    if (rc == LC_OK)
        rc = report_undone(d, err);
    return rc;
}

static void put_state(lc_buf *b, const dstate *s)
{
    lc_buf_printf(b, "%c %o %s ", s->kind ? s->kind : DK_ABSENT, s->mode, s->oid[0] ? s->oid : "-");
}

int dfi_journal_write(lc_diff *d, unsigned long seq, const jrec *recs, size_t n, const lc_strv *dirs,
                      char state, lc_err *err)
{
    /* The user's bytes undo will need must be on disk before the entry that names them (a
     * lost base_before is only taken again or marked lost, see detect.c). Once per entry, all
     * in one file <seq>.before and one fsync (an fsync per object was most of an apply's time);
     * the objects themselves are written without one, and undo falls back on this file. */
    bool first = true;
    for (size_t i = 0; i < d->nundo; i++)
        first = first && d->undo[i] != seq;
    if (first && n) {
        lc_buf pack = LC_BUF_INIT;
        lc_buf_puts(&pack, "lcbefore1\n");
        int rc = LC_OK;
        for (size_t i = 0; rc == LC_OK && i < n; i++) {
            const dstate *b = &recs[i].before;
            if ((b->kind != DK_FILE && b->kind != DK_LINK) || !b->oid[0])
                continue;
            lc_buf data = LC_BUF_INIT;
            const lc_buf *have = recs[i].before_bytes;
            rc = have ? LC_OK : dfi_obj_get(d, b->oid, &data, err);
            if (!have)
                have = &data;
            if (rc == LC_OK) {
                lc_buf_printf(&pack, "%s %zu\n", b->oid, have->len);
                lc_buf_append(&pack, have->data ? have->data : "", have->len);
                lc_buf_putc(&pack, '\n');
            }
            lc_buf_free(&data);
        }
        char *path = lc_xasprintf("%s/%06lu.before", d->jdir, seq);
        if (rc == LC_OK)
            rc = dfi_state_write(d, path, pack.data, pack.len, err);
        free(path);
        lc_buf_free(&pack);
        if (rc != LC_OK)
            return LC_EIO;
    }
    int rc = journal_put(d, seq, "", recs, n, dirs, state, err);
    if (rc == LC_OK && first) {
        d->undo = lc_xrealloc(d->undo, (d->nundo + 1) * sizeof *d->undo);
        d->undo[d->nundo++] = seq;
        d->jnext = seq + 1;
    }
    return rc;
}

static const char *state_head(char state)
{
    switch (state) {
    case JOURNAL_OPEN: return "lcjournal2 open\n";
    case JOURNAL_DONE: return "lcjournal2 done\n";
    case JOURNAL_UNDOING: return "lcjournal2 undoing\n";
    case JOURNAL_UNDONE: return "lcjournal2 undone\n";
    case JOURNAL_REDO: return "lcjournal2 redo\n";
    default: return "lcjournal2 logged\n";
    }
}

/* Writes <jdir>/<seq><suffix> atomically. */
static int journal_put(lc_diff *d, unsigned long seq, const char *suffix, const jrec *recs, size_t n,
                       const lc_strv *dirs, char state, lc_err *err)
{
    lc_buf b = LC_BUF_INIT;
    lc_buf_puts(&b, state_head(state));
    for (size_t i = 0; i < n; i++) {
        lc_buf_puts(&b, "file ");
        put_state(&b, &recs[i].before);
        put_state(&b, &recs[i].after);
        put_state(&b, &recs[i].base_before);
        put_state(&b, &recs[i].base_after);
        dfi_path_escape(recs[i].path, &b);
        lc_buf_putc(&b, '\n');
    }
    for (size_t i = 0; dirs && i < dirs->n; i++) {
        lc_buf_puts(&b, "dir ");
        dfi_path_escape(dirs->v[i], &b);
        lc_buf_putc(&b, '\n');
    }
    char *path = lc_xasprintf("%s/%06lu%s", d->jdir, seq, suffix);
    int rc = dfi_state_write(d, path, b.data, b.len, err);
    free(path);
    lc_buf_free(&b);
    return rc;
}

static void drop_before(lc_diff *d, unsigned long seq)
{
    char *path = lc_xasprintf("%s/%06lu.before", d->jdir, seq);
    unlink(path);
    free(path);
}

/* The user's before-bytes of entry seq: from the object store, or, when the
 * object did not survive a crash, from <seq>.before (and put back). */
static int before_get(lc_diff *d, unsigned long seq, const char *oid, lc_buf *out, lc_err *err)
{
    size_t start = out->len;
    if (dfi_obj_get(d, oid, out, err) == LC_OK)
        return LC_OK;
    out->len = start;
    char *path = lc_xasprintf("%s/%06lu.before", d->jdir, seq);
    lc_buf pack = LC_BUF_INIT;
    lc_err e = {0};
    bool found = false;
    if (lc_file_read(path, (size_t)-1, &pack, &e) == LC_OK && lc_str_starts_with(lc_buf_cstr(&pack), "lcbefore1\n")) {
        size_t pos = 10;
        while (!found && pos < pack.len) {
            char id[41];
            size_t len = 0;
            int off = 0;
            if (sscanf(pack.data + pos, "%40s %zu\n%n", id, &len, &off) != 2 || off <= 0 ||
                len > pack.len - pos - (size_t)off)
                break;
            const char *bytes = pack.data + pos + off;
            char got[41];
            dfi_oid_of(bytes, len, got);
            if (strcmp(id, oid) == 0 && strcmp(got, oid) == 0) {
                lc_buf_append(out, bytes, len);
                char again[41], *op = lc_xasprintf("%s/%s", d->objdir, oid);
                unlink(op); /* damaged: dfi_obj_put keeps an object that exists */
                free(op);
                dfi_obj_put(d, bytes, len, again, &e);
                found = true;
            }
            pos += (size_t)off + len + 1;
        }
    }
    lc_buf_free(&pack);
    free(path);
    if (!found)
        return LC_EIO; /* err still says what dfi_obj_get found */
    lc_err_clear(err);
    return LC_OK;
}

void dfi_journal_drop(lc_diff *d, unsigned long seq)
{
    char *path = lc_xasprintf("%s/%06lu", d->jdir, seq);
    unlink(path);
    free(path);
    drop_before(d, seq);
    if (d->nundo && d->undo[d->nundo - 1] == seq)
        d->nundo--;
}

void dfi_journal_unlogged(lc_diff *d, unsigned long seq)
{
    d->unlogged = lc_xrealloc(d->unlogged, (d->nunlogged + 1) * sizeof *d->unlogged);
    d->unlogged[d->nunlogged++] = seq;
}

static void pending_undone(lc_diff *d, unsigned long seq)
{
    d->undone = lc_xrealloc(d->undone, (d->nundone + 1) * sizeof *d->undone);
    d->undone[d->nundone++] = seq;
}

/* Removes entry seq wherever it is in the undo list. */
static void drop_any(lc_diff *d, unsigned long seq)
{
    char *path = lc_xasprintf("%s/%06lu", d->jdir, seq);
    unlink(path);
    free(path);
    drop_before(d, seq);
    for (size_t i = 0; i < d->nundo; i++)
        if (d->undo[i] == seq) {
            memmove(&d->undo[i], &d->undo[i + 1], (d->nundo - i - 1) * sizeof *d->undo);
            d->nundo--;
            break;
        }
}

size_t lc_diff_undo_depth(const lc_diff *d)
{
    return d ? d->nundo : 0;
}

typedef struct jfile {
    jrec *recs;
    size_t n;
    lc_strv dirs;
    char state; /* JOURNAL_OPEN, _DONE or _LOGGED */
} jfile;

static void jfile_free(jfile *j)
{
    for (size_t i = 0; i < j->n; i++)
        free((char *)j->recs[i].path);
    free(j->recs);
    lc_strv_free(&j->dirs);
}

static bool get_state(char **p, dstate *s)
{
    char oid[41];
    int off = 0;
    if (sscanf(*p, "%c %o %40s %n", &s->kind, &s->mode, oid, &off) < 3 || off == 0 ||
        !strchr("-flx", s->kind))
        return false;
    if (strcmp(oid, "-") != 0)
        memcpy(s->oid, oid, 41);
    *p += off;
    return true;
}

static int journal_read_at(lc_diff *d, unsigned long seq, const char *suffix, jfile *j, lc_err *err)
{
    char *path = lc_xasprintf("%s/%06lu%s", d->jdir, seq, suffix);
    lc_buf b = LC_BUF_INIT;
    int rc = lc_file_read(path, (size_t)64 << 20, &b, err);
    int version = 0;
    size_t skip = 0;
    if (rc == LC_OK && lc_str_starts_with(lc_buf_cstr(&b), "lcjournal1\n"))
        version = 1, skip = 11, j->state = JOURNAL_LOGGED;
    else if (rc == LC_OK && lc_str_starts_with(lc_buf_cstr(&b), "lcjournal2 open\n"))
        version = 2, skip = 16, j->state = JOURNAL_OPEN;
    else if (rc == LC_OK && lc_str_starts_with(lc_buf_cstr(&b), "lcjournal2 done\n"))
        version = 2, skip = 16, j->state = JOURNAL_DONE;
    else if (rc == LC_OK && lc_str_starts_with(lc_buf_cstr(&b), "lcjournal2 logged\n"))
        version = 2, skip = 18, j->state = JOURNAL_LOGGED;
    else if (rc == LC_OK && lc_str_starts_with(lc_buf_cstr(&b), "lcjournal2 undoing\n"))
        version = 2, skip = 19, j->state = JOURNAL_UNDOING;
    else if (rc == LC_OK && lc_str_starts_with(lc_buf_cstr(&b), "lcjournal2 undone\n"))
        version = 2, skip = 18, j->state = JOURNAL_UNDONE;
    else if (rc == LC_OK && lc_str_starts_with(lc_buf_cstr(&b), "lcjournal2 redo\n"))
        version = 2, skip = 16, j->state = JOURNAL_REDO;
    if (rc == LC_OK && !version)
        rc = lc_err_set(err, LC_EINVAL, "%s is not a litecode journal entry (or one of a newer litecode)",
                        path);
    for (char *line = rc == LC_OK ? b.data + skip : NULL; line && *line;) {
        char *nl = strchr(line, '\n');
        if (!nl)
            break;
        *nl = '\0';
        if (lc_str_starts_with(line, "dir ")) {
            char *p = dfi_path_unescape(line + 4, strlen(line + 4));
            if (p)
                lc_strv_push_owned(&j->dirs, p);
        } else {
            jrec r = {0};
            char *p = line + 5;
            char *rel = NULL;
            if (lc_str_starts_with(line, "file ") && get_state(&p, &r.before) &&
                get_state(&p, &r.after) && get_state(&p, &r.base_before) &&
                (version == 1 || get_state(&p, &r.base_after)))
                rel = dfi_path_unescape(p, strlen(p));
            if (!rel) {
                rc = lc_err_set(err, LC_EINVAL, "%s: malformed line", path);
                break;
            }
            r.path = rel;
            j->recs = lc_xrealloc(j->recs, (j->n + 1) * sizeof *j->recs);
            j->recs[j->n++] = r;
        }
        line = nl + 1;
    }
    lc_buf_free(&b);
    free(path);
    return rc;
}

static int journal_read(lc_diff *d, unsigned long seq, jfile *j, lc_err *err)
{
    return journal_read_at(d, seq, "", j, err);
}

/* Whether the bytes (of the given kind) are the content a state names. */
static bool is_state(char kind, const lc_buf *data, const dstate *s)
{
    if (kind != s->kind)
        return false;
    if (kind == DK_ABSENT)
        return true;
    char oid[41];
    dfi_oid_of(data->data, data->len, oid);
    return strcmp(oid, s->oid) == 0;
}

int lc_diff_undo(lc_diff *d, lc_diff_report *rep, lc_err *err)
{
    if (!d->nundo)
        return lc_err_set(err, LC_ESTATE, "there is no apply to undo");
    unsigned long seq = d->undo[d->nundo - 1];
    jfile j = {0};
    int rc = journal_read(d, seq, &j, err);
    int ofd = rc == LC_OK ? open(d->orig, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (rc == LC_OK && ofd < 0)
        rc = lc_err_errno(err, LC_EIO, errno, "opening %s", d->orig);
    bool *todo = lc_xcalloc(j.n + 1, sizeof *todo);
    lc_buf conflicts = LC_BUF_INIT;
    for (size_t i = 0; rc == LC_OK && i < j.n; i++) {
        char k;
        lc_buf cur = LC_BUF_INIT;
        lc_err e = {0};
        if (dfi_read(ofd, j.recs[i].path, d->opts.max_file_bytes, &k, NULL, &cur, &e) != LC_OK) {
            dfi_report_add(rep, j.recs[i].path, LC_DIFF_REFUSED, "%s", e.msg);
            lc_buf_printf(&conflicts, "%s%s", conflicts.len ? ", " : "", j.recs[i].path);
        } else if (is_state(k, &cur, &j.recs[i].after)) {
            todo[i] = true;
        } else if (!is_state(k, &cur, &j.recs[i].before)) {
            dfi_report_add(rep, j.recs[i].path, LC_DIFF_CONFLICT,
                           "you changed this file after the apply; undoing it would lose that edit");
            lc_buf_printf(&conflicts, "%s%s", conflicts.len ? ", " : "", j.recs[i].path);
        }
        lc_buf_free(&cur);
    }
    if (rc == LC_OK && conflicts.len) {
        rc = lc_err_set(err, LC_ECONFLICT,
                        "nothing was undone: you changed %s after the apply, and undo would overwrite "
                        "that; save your edit elsewhere and put the file back as the apply left it, "
                        "then undo again (or keep the apply)",
                        conflicts.data);
    }
    /* The undo's intent, so a crash in its writes is found at the next open. */
    bool any = false;
    for (size_t i = 0; i < j.n; i++)
        any = any || todo[i];
    if (rc == LC_OK && any && (rc = journal_put(d, seq, "", j.recs, j.n, &j.dirs, JOURNAL_UNDOING, err)) != LC_OK)
        lc_err_prefix(err, "nothing was undone: writing the undo journal");
    jrec *restored = lc_xcalloc(j.n + 1, sizeof *restored);
    size_t nrestored = 0;
    size_t failed = 0;
    for (size_t i = 0; rc == LC_OK && i < j.n; i++) {
        const jrec *r = &j.recs[i];
        lc_err e = {0};
        lc_buf data = LC_BUF_INIT;
        int w = LC_OK;
        if (todo[i] && r->before.kind != DK_ABSENT)
            w = before_get(d, seq, r->before.oid, &data, &e);
        if (todo[i] && w == LC_OK)
            w = dfi_write(ofd, r->path, r->before.kind, data.data, data.len, r->before.mode, &r->after,
                          NULL, &e);
        if (w != LC_OK) {
            failed++;
            dfi_report_add(rep, r->path, LC_DIFF_FAILED, "%s", e.msg);
        } else {
            dfi_base_set(d, r->path, &r->base_before);
            /* A file still as it was before (the apply never wrote it) is not reported: undo
             * changed nothing there. */
            if (todo[i]) {
                dfi_report_add(rep, r->path, LC_DIFF_RESTORED, "back to what it was before the apply");
                restored[nrestored++] = *r;
            }
        }
        lc_buf_free(&data);
    }
    /* What was restored waits in <seq>.undone until the caller logged it (lc_diff_logged). */
    lc_err eu = {0};
    if (nrestored && journal_put(d, seq, ".undone", restored, nrestored, NULL, JOURNAL_UNDONE, &eu) == LC_OK)
        pending_undone(d, seq);
    /* What redo writes again: kept before the entry goes, so a crash loses neither. Numbered
     * from the journal's counter, not the entry's: the newest number is the latest undo, which
     * redo takes first (an entry a redo made has a higher number than older undone ones). */
    unsigned long rseq = d->jnext;
    if (rc == LC_OK && !failed && nrestored &&
        journal_put(d, rseq, ".redo", restored, nrestored, NULL, JOURNAL_REDO, &eu) == LC_OK) {
        d->jnext = rseq + 1;
        d->redo = lc_xrealloc(d->redo, (d->nredo + 1) * sizeof *d->redo);
        d->redo[d->nredo++] = rseq;
    }
    free(restored);
    if (rc == LC_OK) {
        /* Directories the apply created go when they are empty again; deepest first. */
        for (size_t i = j.dirs.n; i-- > 0;) {
            const char *leaf;
            lc_err e = {0};
            int dfd = dfi_open_parent(ofd, j.dirs.v[i], false, 0, NULL, &leaf, &e);
            if (dfd >= 0) {
                unlinkat(dfd, leaf, AT_REMOVEDIR);
                close(dfd);
            }
        }
        lc_err e = {0};
        int r = dfi_bases_save(d, &e);
        if (!failed) {
            drop_any(d, seq);
        } else if (any) { /* undoable again: the restored files are skipped next time */
            lc_err e5 = {0};
            journal_put(d, seq, "", j.recs, j.n, &j.dirs, j.state == JOURNAL_UNDOING ? JOURNAL_LOGGED : j.state, &e5);
        }
        if (failed)
            rc = lc_err_set(err, LC_EIO, "undo: %zu file%s could not be restored (see each file); "
                            "undo again to retry", failed, failed == 1 ? "" : "s");
        else if (r != LC_OK)
            rc = lc_err_set(err, r, "undo: saving the session state: %s", e.msg);
        lc_err e2 = {0};
        int rr = lc_diff_refresh(d, &e2);
        if (rc == LC_OK && rr != LC_OK)
            rc = lc_err_set(err, rr, "%s", e2.msg);
    }
    if (ofd >= 0)
        close(ofd);
    free(todo);
    lc_buf_free(&conflicts);
    jfile_free(&j);
    return rc;
}

/* ---- an apply a crash cut short ---------------------------------------------- */

/* Removes litecode's temporary files (".lc-apply-" and 12 hex digits, a
 * regular file or a symlink) from the directory holding rel. */
static size_t remove_temps(int ofd, const char *rel)
{
    const char *leaf;
    lc_err e = {0};
    int dfd = dfi_open_parent(ofd, rel, false, 0, NULL, &leaf, &e);
    if (dfd < 0)
        return 0;
    int scan = dup(dfd);
    DIR *dir = scan >= 0 ? fdopendir(scan) : NULL;
    size_t n = 0;
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        const char *name = de->d_name;
        if (strncmp(name, ".lc-apply-", 10) != 0 || strlen(name) != 22 ||
            strspn(name + 10, "0123456789abcdef") != 12)
            continue;
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) &&
            unlinkat(dfd, name, 0) == 0)
            n++;
    }
    if (dir)
        closedir(dir);
    else if (scan >= 0)
        close(scan);
    if (n)
        fsync(dfd);
    close(dfd);
    return n;
}

/* An undo a crash cut short: the files already back as they were before the
 * apply are undone (they go to <seq>.undone, to be reported and logged);
 * the entry keeps the files still as the apply left them, undoable. */
static int recover_undo(lc_diff *d, unsigned long seq, jfile *j, lc_err *err)
{
    int ofd = open(d->orig, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ofd < 0)
        return lc_err_errno(err, LC_EIO, errno, "opening %s to finish an interrupted undo", d->orig);
    jrec *back = lc_xcalloc(j->n + 1, sizeof *back), *left = lc_xcalloc(j->n + 1, sizeof *left);
    size_t nback = 0, nleft = 0;
    lc_strv seen = LC_STRV_INIT;
    for (size_t i = 0; i < j->n; i++) {
        const jrec *r = &j->recs[i];
        const char *slash = strrchr(r->path, '/');
        char *dir = slash ? lc_xstrndup(r->path, (size_t)(slash - r->path)) : lc_xstrdup("");
        if (!lc_strv_contains(&seen, dir)) {
            d->temps_removed += remove_temps(ofd, r->path);
            lc_strv_push(&seen, dir);
        }
        free(dir);
        char k;
        lc_buf cur = LC_BUF_INIT;
        lc_err e2 = {0};
        int rc = dfi_read(ofd, r->path, d->opts.max_file_bytes, &k, NULL, &cur, &e2);
        if (rc == LC_OK && is_state(k, &cur, &r->before) && !is_state(k, &cur, &r->after)) {
            back[nback++] = *r;
            dfi_base_set(d, r->path, &r->base_before);
        } else {
            left[nleft++] = *r;
        }
        lc_buf_free(&cur);
    }
    lc_strv_free(&seen);
    close(ofd);
    /* An .undone the undo itself wrote is replaced: the disk is the truth. */
    int rc = nback ? journal_put(d, seq, ".undone", back, nback, NULL, JOURNAL_UNDONE, err) : LC_OK;
    if (rc == LC_OK && nleft)
        rc = journal_put(d, seq, "", left, nleft, &j->dirs, JOURNAL_LOGGED, err);
    else if (rc == LC_OK)
        drop_any(d, seq);
    if (rc == LC_OK && nback)
        rc = dfi_bases_save(d, err);
    if (rc != LC_OK)
        lc_err_prefix(err, "finishing an interrupted undo");
    free(back);
    free(left);
    return rc;
}

/* Every <seq>.undone: files an undo restored that the caller's log may lack. */
static int report_undone(lc_diff *d, lc_err *err)
{
    (void)err;
    DIR *dir = opendir(d->jdir);
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        char *end;
        unsigned long seq = strtoul(de->d_name, &end, 10);
        if (de->d_name[0] < '0' || de->d_name[0] > '9' || strcmp(end, ".undone") != 0)
            continue;
        jfile j = {0};
        lc_err e = {0};
        if (journal_read_at(d, seq, ".undone", &j, &e) == LC_OK) {
            for (size_t i = 0; i < j.n; i++)
                dfi_report_add(&d->recovered, j.recs[i].path, LC_DIFF_RESTORED,
                               "undone (back to what it was before the apply) by an undo litecode was "
                               "killed during or right after, before the session log recorded it");
            pending_undone(d, seq);
        }
        jfile_free(&j);
    }
    if (dir)
        closedir(dir);
    return LC_OK;
}

/* Whether entry seq is empty or only NUL bytes: what a power loss leaves of an
 * intent written unflushed (lc_diff_apply) before its flush completed. No
 * file was renamed then (the renames wait for that flush). */
static bool torn_intent(const lc_diff *d, unsigned long seq)
{
    char *path = lc_xasprintf("%s/%06lu", d->jdir, seq);
    lc_buf b = LC_BUF_INIT;
    lc_err e = {0};
    bool torn = lc_file_read(path, (size_t)64 << 20, &b, &e) == LC_OK;
    for (size_t i = 0; torn && i < b.len; i++)
        torn = b.data[i] == '\0';
    lc_buf_free(&b);
    free(path);
    return torn;
}

static int recover(lc_diff *d, unsigned long seq, lc_err *err)
{
    jfile j = {0};
    lc_err e = {0};
    if (torn_intent(d, seq)) {
        drop_any(d, seq);
        return LC_OK;
    }
    if (journal_read(d, seq, &j, &e) != LC_OK || j.state == JOURNAL_LOGGED) {
        jfile_free(&j); /* a damaged entry is reported when undo reads it */
        return LC_OK;
    }
    if (j.state == JOURNAL_UNDOING) {
        int rc = recover_undo(d, seq, &j, err);
        jfile_free(&j);
        return rc;
    }
    if (j.state == JOURNAL_DONE) {
        /* All written, but the front end never said its log records were: it stopped first. */
        for (size_t i = 0; i < j.n; i++)
            dfi_report_add(&d->recovered, j.recs[i].path, LC_DIFF_APPLIED,
                           "written by an apply that litecode was killed right after, before the session "
                           "log recorded it");
        dfi_journal_unlogged(d, seq);
        jfile_free(&j);
        return LC_OK;
    }
    int ofd = open(d->orig, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ofd < 0) {
        jfile_free(&j);
        return lc_err_errno(err, LC_EIO, errno, "opening %s to finish an interrupted apply", d->orig);
    }
    jrec *done = lc_xcalloc(j.n + 1, sizeof *done);
    size_t ndone = 0;
    lc_strv seen = LC_STRV_INIT;
    for (size_t i = 0; i < j.n; i++) {
        const jrec *r = &j.recs[i];
        const char *slash = strrchr(r->path, '/');
        char *dir = slash ? lc_xstrndup(r->path, (size_t)(slash - r->path)) : lc_xstrdup("");
        if (!lc_strv_contains(&seen, dir)) {
            d->temps_removed += remove_temps(ofd, r->path);
            lc_strv_push(&seen, dir);
        }
        free(dir);
        char k;
        lc_buf cur = LC_BUF_INIT;
        lc_err e2 = {0};
        int rc = dfi_read(ofd, r->path, d->opts.max_file_bytes, &k, NULL, &cur, &e2);
        if (rc == LC_OK && is_state(k, &cur, &r->after) && !is_state(k, &cur, &r->before)) {
            done[ndone++] = *r;
            if (r->base_after.kind)
                dfi_base_set(d, r->path, &r->base_after);
            dfi_report_add(&d->recovered, r->path, LC_DIFF_APPLIED,
                           "written before the apply was interrupted");
        } else if (rc == LC_OK && is_state(k, &cur, &r->before)) {
            dfi_report_add(&d->recovered, r->path, LC_DIFF_UNCHANGED,
                           "not written: the apply was interrupted before it; apply it again if you want it");
        } else {
            dfi_report_add(&d->recovered, r->path, LC_DIFF_CONFLICT,
                           "neither as before nor as the apply would have left it (changed since); "
                           "look at it");
        }
        lc_buf_free(&cur);
    }
    lc_strv_free(&seen);
    close(ofd);
    /* The completion the crash prevented: only what is really on disk can be undone. */
    int rc = LC_OK;
    if (ndone) {
        rc = dfi_journal_write(d, seq, done, ndone, &j.dirs, JOURNAL_DONE, err);
        if (rc == LC_OK)
            dfi_journal_unlogged(d, seq);
    } else {
        drop_any(d, seq);
    }
    if (rc == LC_OK && ndone)
        rc = dfi_bases_save(d, err);
    if (rc != LC_OK)
        lc_err_prefix(err, "finishing an interrupted apply");
    free(done);
    jfile_free(&j);
    return rc;
}

const lc_diff_report *lc_diff_recovered(const lc_diff *d, size_t *temps_removed)
{
    if (temps_removed)
        *temps_removed = d ? d->temps_removed : 0;
    return d ? &d->recovered : NULL;
}

int lc_diff_logged(lc_diff *d, lc_err *err)
{
    int rc = LC_OK;
    for (size_t i = 0; d && i < d->nunlogged; i++) {
        jfile j = {0};
        lc_err e = {0};
        if (journal_read(d, d->unlogged[i], &j, &e) == LC_OK && j.state == JOURNAL_DONE) {
            int r = dfi_journal_write(d, d->unlogged[i], j.recs, j.n, &j.dirs, JOURNAL_LOGGED, err);
            if (r != LC_OK && rc == LC_OK)
                rc = r;
        }
        jfile_free(&j);
    }
    if (d && rc == LC_OK)
        d->nunlogged = 0;
    for (size_t i = 0; d && rc == LC_OK && i < d->nundone; i++) {
        char *path = lc_xasprintf("%s/%06lu.undone", d->jdir, d->undone[i]);
        unlink(path);
        free(path);
    }
    if (d && rc == LC_OK)
        d->nundone = 0;
    return rc;
}

bool lc_diff_pending(const char *state_dir)
{
    char *jdir = lc_xasprintf("%s/diff/journal", state_dir);
    DIR *dir = opendir(jdir);
    bool found = false;
    struct dirent *de;
    while (dir && !found && (de = readdir(dir))) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        if (strstr(de->d_name, ".undone")) {
            found = true;
            break;
        }
        char *path = lc_xasprintf("%s/%s", jdir, de->d_name);
        char head[20] = "";
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t n = read(fd, head, sizeof head - 1);
            head[n > 0 ? n : 0] = '\0';
            close(fd);
        }
        found = lc_str_starts_with(head, "lcjournal2 open\n") || lc_str_starts_with(head, "lcjournal2 done\n") ||
                lc_str_starts_with(head, "lcjournal2 undoing\n");
        free(path);
    }
    if (dir)
        closedir(dir);
    free(jdir);
    return found;
}

/* ---- redo ------------------------------------------------------------------------ */

void dfi_redo_clear(lc_diff *d)
{
    for (size_t i = 0; i < d->nredo; i++) {
        char *path = lc_xasprintf("%s/%06lu.redo", d->jdir, d->redo[i]);
        unlink(path);
        free(path);
    }
    d->nredo = 0;
}

size_t lc_diff_redo_depth(const lc_diff *d)
{
    return d ? d->nredo : 0;
}

int lc_diff_redo(lc_diff *d, lc_diff_report *rep, lc_err *err)
{
    if (!d->nredo)
        return lc_err_set(err, LC_ESTATE, "there is no undo to redo");
    unsigned long rseq = d->redo[d->nredo - 1];
    jfile j = {0};
    int rc = journal_read_at(d, rseq, ".redo", &j, err);
    int ofd = rc == LC_OK ? open(d->orig, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (rc == LC_OK && ofd < 0)
        rc = lc_err_errno(err, LC_EIO, errno, "opening %s", d->orig);
    bool *todo = lc_xcalloc(j.n + 1, sizeof *todo);
    lc_buf conflicts = LC_BUF_INIT;
    for (size_t i = 0; rc == LC_OK && i < j.n; i++) {
        char k;
        lc_buf cur = LC_BUF_INIT;
        lc_err e = {0};
        const jrec *r = &j.recs[i];
        if (dfi_read(ofd, r->path, d->opts.max_file_bytes, &k, NULL, &cur, &e) != LC_OK) {
            dfi_report_add(rep, r->path, LC_DIFF_REFUSED, "%s", e.msg);
            lc_buf_printf(&conflicts, "%s%s", conflicts.len ? ", " : "", r->path);
        } else if (is_state(k, &cur, &r->before)) {
            todo[i] = true;
        } else if (!is_state(k, &cur, &r->after)) {
            dfi_report_add(rep, r->path, LC_DIFF_CONFLICT,
                           "you changed this file after the undo; redoing the apply would lose that edit");
            lc_buf_printf(&conflicts, "%s%s", conflicts.len ? ", " : "", r->path);
        }
        lc_buf_free(&cur);
    }
    if (rc == LC_OK && conflicts.len)
        rc = lc_err_set(err, LC_ECONFLICT,
                        "nothing was redone: you changed %s after the undo, and redo would overwrite that; "
                        "put the file back as the undo left it, then redo again",
                        conflicts.data);
    jrec *recs = lc_xcalloc(j.n + 1, sizeof *recs);
    size_t n = 0;
    for (size_t i = 0; i < j.n; i++)
        if (todo[i])
            recs[n++] = j.recs[i];
    /* The redo is an apply like any other: its intent first, then the writes, then done. */
    unsigned long seq = d->jnext;
    lc_strv dirs = LC_STRV_INIT;
    if (rc == LC_OK && n && (rc = dfi_journal_write(d, seq, recs, n, &dirs, JOURNAL_OPEN, err)) != LC_OK)
        lc_err_prefix(err, "nothing was redone: writing the undo journal");
    size_t done = 0, failed = 0;
    for (size_t i = 0; rc == LC_OK && i < n; i++) {
        jrec *r = &recs[i];
        lc_err e = {0};
        lc_buf data = LC_BUF_INIT;
        int w = r->after.kind != DK_ABSENT ? dfi_obj_get(d, r->after.oid, &data, &e) : LC_OK;
        if (w == LC_OK)
            w = dfi_write(ofd, r->path, r->after.kind, data.data, data.len, r->after.mode, &r->before, &dirs, &e);
        lc_buf_free(&data);
        if (w != LC_OK) {
            failed++;
            dfi_report_add(rep, r->path, w == LC_ECONFLICT ? LC_DIFF_CONFLICT : LC_DIFF_FAILED, "%s", e.msg);
            continue;
        }
        if (r->base_after.kind)
            dfi_base_set(d, r->path, &r->base_after);
        dfi_report_add(rep, r->path, LC_DIFF_APPLIED, "applied again (redo of the apply you undid)");
        recs[done++] = *r;
    }
    if (rc == LC_OK && n) {
        lc_err e = {0};
        if (done) {
            if (dfi_journal_write(d, seq, recs, done, &dirs, JOURNAL_DONE, &e) == LC_OK)
                dfi_journal_unlogged(d, seq);
        } else {
            dfi_journal_drop(d, seq);
        }
        int r = dfi_bases_save(d, &e);
        if (r != LC_OK && !failed)
            rc = lc_err_set(err, r, "redo: saving the session state: %s", e.msg);
    }
    if (rc == LC_OK && failed)
        rc = lc_err_set(err, LC_EIO, "redo: %zu file%s could not be written (see each file)", failed,
                        failed == 1 ? "" : "s");
    if (rc == LC_OK || (n && done)) {
        char *path = lc_xasprintf("%s/%06lu.redo", d->jdir, rseq);
        unlink(path);
        free(path);
        d->nredo--;
    }
    if (ofd >= 0) {
        close(ofd);
        lc_err e2 = {0};
        int rr = lc_diff_refresh(d, &e2);
        if (rc == LC_OK && rr != LC_OK)
            rc = lc_err_set(err, rr, "%s", e2.msg);
    }
    lc_strv_free(&dirs);
    free(recs);
    free(todo);
    lc_buf_free(&conflicts);
    jfile_free(&j);
    return rc;
}
