/* Apply the selection to the original directory and revert it in the shadow.
 * Apply works in two passes: first every file's result is decided (exact
 * when the user did not touch the file, a three-way merge with git_merge_file
 * when they did, a refusal on conflict or danger) and the journal entry that
 * can undo it is staged; then the files are written, each atomically: all
 * staged, one flush for all, then the renames (docs/diff.md, "Writes"). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "diff/diff_int.h"

/* At most this many staged files keep their file and directory open until
 * their rename (two descriptors each); the rest are found again by path. */
#define KEEP_OPEN_MAX 256

typedef struct plan {
    dfile *f;
    lc_diff_outcome outcome;
    char *msg;
    char kind;     /* what to write */
    unsigned mode;
    lc_buf data;
    dstate newbase;
    jrec rec;
    bool write;
    dstaged staged; /* the new content, in a temporary file next to the target */
    lc_buf cur;     /* the original's bytes when planned: the journal's before-bytes */
} plan;

static bool same_bytes(const lc_buf *a, const char *b, size_t blen)
{
    return a->len == blen && (blen == 0 || memcmp(a->data, b, blen) == 0);
}

int dfi_load_side(const lc_diff *d, const dfile *f, bool new_side, lc_buf *out, lc_err *err)
{
    const lc_buf *mem = new_side ? &f->new : &f->old;
    char kind = new_side ? f->new_kind : f->base.kind;
    if (!f->unloaded || kind == DK_ABSENT) {
        lc_buf_append(out, mem->data ? mem->data : "", mem->len);
        return LC_OK;
    }
    if (!new_side)
        return dfi_obj_get(d, f->base.oid, out, err);
    int sfd = open(d->shadow, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sfd < 0)
        return lc_err_errno(err, LC_EIO, errno, "opening the shadow copy %s", d->shadow);
    char k, oid[41];
    size_t start = out->len;
    int rc = dfi_read(sfd, f->path, d->opts.max_file_bytes, &k, NULL, out, err);
    close(sfd);
    if (rc != LC_OK)
        return rc;
    dfi_oid_of(out->data + start, out->len - start, oid);
    if (k != kind || strcmp(oid, f->new_oid) != 0) {
        out->len = start;
        return lc_err_set(err, LC_ECONFLICT, "the agent changed this file again since the review "
                          "was made; nothing was written (look at it again)");
    }
    return LC_OK;
}

/* Says what collided when both sides changed a file that cannot be merged,
 * and what the user can do about it. */
static char *conflict_words(const dfile *f, char cur, char result)
{
    const char *tail = "; nothing was written";
    if (result == DK_ABSENT)
        return lc_xasprintf("the agent deleted this file, but you changed it since the session started%s: "
                            "your version is kept; delete it yourself if you no longer want it", tail);
    if (cur == DK_ABSENT && f->base.kind != DK_ABSENT)
        return lc_xasprintf("you deleted this file since the session started, and the agent changed it%s: "
                            "copy the agent's version from the shadow copy if you want it back", tail);
    if (f->base.kind == DK_ABSENT)
        return lc_xasprintf("you created a file with this name too, since the session started%s: compare "
                            "it with the agent's version in the shadow copy and merge by hand", tail);
    if (cur != result)
        return lc_xasprintf("one side made this a %s and the other a %s (you changed it since the session "
                            "started)%s: decide by hand which to keep",
                            cur == DK_LINK ? "symlink" : "file", result == DK_LINK ? "symlink" : "file", tail);
    if (cur == DK_LINK)
        return lc_xasprintf("you and the agent both changed where this symlink points%s: set it by hand", tail);
    return lc_xasprintf("you changed this file since the session started and, as a %s file, it cannot be "
                        "merged line by line%s: compare it with the shadow copy and merge by hand",
                        f->pub.binary ? "binary" : "large", tail);
}

/* Decides what to write for one file. */
static void plan_file(lc_diff *d, int ofd, plan *p)
{
    dfile *f = p->f;
    lc_err e = {0};
    /* What the base becomes with the selection: the result when the user did not touch the file. */
    if (f->edited) { /* lc_diff_apply_edited: the user's version of one hunk */
        p->kind = DK_FILE;
        lc_buf_append(&p->data, f->edited->data ? f->edited->data : "", f->edited->len);
    } else if (f->whole_sel || f->pub.whole_only) {
        p->kind = f->new_kind;
        if (!f->pub.too_large && dfi_load_side(d, f, true, &p->data, &e) != LC_OK) {
            p->outcome = e.code == LC_ECONFLICT ? LC_DIFF_CONFLICT : LC_DIFF_FAILED;
            p->msg = lc_xstrdup(e.msg);
            return;
        }
    } else {
        p->kind = DK_FILE;
        dfi_splice(f, f->line_sel, false, &p->data);
    }
    p->mode = p->kind == DK_ABSENT ? 0 : f->new_kind == DK_FILE ? f->new_mode_full : f->base.mode;
    p->newbase.kind = p->kind;
    p->newbase.mode = p->mode;
    const char *bad = dfi_path_why(f->path, p->kind == DK_LINK || f->base.kind == DK_LINK);
    if (bad) {
        p->outcome = LC_DIFF_REFUSED;
        p->msg = lc_xasprintf("refused: %s; litecode never writes such a path (nothing was written)", bad);
        return;
    }
    if (f->pub.too_large) {
        p->outcome = LC_DIFF_REFUSED;
        p->msg = lc_xasprintf("it is larger than the %zu-byte limit; copy it from the shadow by hand",
                              d->opts.max_file_bytes);
        return;
    }
    if (f->pub.base_lost) {
        p->outcome = LC_DIFF_CONFLICT;
        p->msg = lc_xstrdup("you changed this file after the session started, before litecode "
                            "could keep its original, so a merge is impossible; nothing was written "
                            "(compare it with the shadow copy and merge by hand)");
        return;
    }
    const char *lwhy = p->kind == DK_LINK ? dfi_link_target_why(p->data.data, p->data.len) : NULL;
    if (lwhy) {
        p->outcome = LC_DIFF_REFUSED;
        p->msg = lc_xasprintf("refused: %s; nothing was written (create it by hand if you need it)", lwhy);
        return;
    }
    char ck;
    struct stat st;
    lc_buf cur = LC_BUF_INIT;
    int rc = dfi_read(ofd, f->path, d->opts.max_file_bytes, &ck, &st, &cur, &e);
    if (rc != LC_OK) {
        p->outcome = rc == LC_ESECURITY ? LC_DIFF_REFUSED : LC_DIFF_FAILED;
        p->msg = lc_xasprintf("%s; nothing was written", e.msg);
        lc_buf_free(&cur);
        return;
    }
    p->rec.before_bytes = &p->cur;
    unsigned cmode = ck == DK_ABSENT ? 0 : ck == DK_LINK ? f->base.mode : (unsigned)(st.st_mode & 0777);
    p->rec.path = f->path;
    p->rec.before.kind = ck;
    p->rec.before.mode = cmode;
    p->rec.base_before = f->base;
    if (ck != DK_ABSENT && dfi_obj_keep(d, cur.data, cur.len, p->rec.before.oid, &e) != LC_OK) {
        p->outcome = LC_DIFF_FAILED;
        p->msg = lc_xasprintf("keeping a copy for undo failed (%s); nothing was written", e.msg);
        lc_buf_free(&cur);
        return;
    }
    bool at_base = ck == f->base.kind && same_bytes(&cur, f->old.data, f->old.len);
    if (f->unloaded && ck == f->base.kind && ck != DK_ABSENT) { /* the base is known by its id only */
        char oid[41];
        dfi_oid_of(cur.data, cur.len, oid);
        at_base = strcmp(oid, f->base.oid) == 0;
    }
    /* The user's own chmod wins unless the agent changed the mode too. */
    if (p->kind == DK_FILE && ck == DK_FILE && p->mode == f->base.mode)
        p->mode = cmode;
    if (ck == p->kind && same_bytes(&cur, p->data.data, p->data.len) &&
        (ck != DK_FILE || cmode == p->mode)) {
        p->outcome = LC_DIFF_UNCHANGED;
        p->msg = lc_xstrdup("your directory already has this content");
    } else if (at_base) {
        p->outcome = LC_DIFF_APPLIED;
        p->write = true;
    } else if (ck == DK_FILE && f->base.kind == DK_FILE && p->kind == DK_FILE && !f->pub.binary &&
               !f->pub.large) {
        git_merge_file_input anc, ours, theirs;
        git_merge_file_input_init(&anc, GIT_MERGE_FILE_INPUT_VERSION);
        git_merge_file_input_init(&ours, GIT_MERGE_FILE_INPUT_VERSION);
        git_merge_file_input_init(&theirs, GIT_MERGE_FILE_INPUT_VERSION);
        anc.ptr = f->old.data ? f->old.data : "";
        anc.size = f->old.len;
        ours.ptr = cur.data ? cur.data : "";
        ours.size = cur.len;
        theirs.ptr = p->data.data ? p->data.data : "";
        theirs.size = p->data.len;
        git_merge_file_result res = {0};
        if (git_merge_file(&res, &anc, &ours, &theirs, NULL) != 0) {
            const git_error *ge = git_error_last();
            p->outcome = LC_DIFF_FAILED;
            p->msg = lc_xasprintf("the three-way merge failed (%s); nothing was written",
                                  ge ? ge->message : "libgit2");
        } else if (!res.automergeable) {
            p->outcome = LC_DIFF_CONFLICT;
            p->msg = lc_xstrdup("you changed this file since the session started and your change "
                                "overlaps the agent's; nothing was written (edit it by hand, or "
                                "undo your change and apply again)");
        } else {
            p->outcome = LC_DIFF_MERGED;
            p->msg = lc_xstrdup("merged with the changes you made to this file");
            p->write = true;
            lc_buf_reset(&p->data);
            lc_buf_append(&p->data, res.ptr ? res.ptr : "", res.len);
        }
        git_merge_file_result_free(&res);
    } else {
        p->outcome = LC_DIFF_CONFLICT;
        p->msg = conflict_words(f, ck, p->kind);
    }
    if (p->write) {
        p->rec.after.kind = p->kind;
        p->rec.after.mode = p->mode;
        if (p->kind != DK_ABSENT)
            dfi_oid_of(p->data.data, p->data.len, p->rec.after.oid);
    }
    p->cur = cur; /* kept for the journal, freed with the plan */
}

static int worst(int a, lc_diff_outcome o)
{
    int c = o == LC_DIFF_FAILED ? LC_EIO : o == LC_DIFF_REFUSED ? LC_ESECURITY
          : o == LC_DIFF_CONFLICT ? LC_ECONFLICT : LC_OK;
    if (a == LC_EIO || c == LC_OK)
        return a;
    if (a == LC_ESECURITY && c == LC_ECONFLICT)
        return a;
    return c;
}

/* After an apply or a revert: they changed only files of the change set, so
 * only those are looked at again (no walk of the shadow). */
static int finish(lc_diff *d, int rc, const char *verb, size_t ok, size_t bad, lc_err *err)
{
    lc_err e2 = {0};
    int r = dfi_refresh_paths(d, NULL, 0, &e2);
    if (rc == LC_OK && r != LC_OK)
        return lc_err_set(err, r, "%s", e2.msg);
    if (rc != LC_OK)
        lc_err_set(err, rc, "%s %zu file%s; %zu could not be (see each file's message)", verb, ok,
                   ok == 1 ? "" : "s", bad);
    return rc;
}

/* The apply's barrier before its first rename: the journal's intent and the
 * before-bytes (state files, already at their names) and every staged new
 * content reach the disk, all written back at once, then waited for; then the
 * journal's directory, which holds the new names. */
static int flush_staged(lc_diff *d, int ofd, plan *pl, size_t n, const lc_strv *state, lc_err *err)
{
    int rc = LC_OK;
    for (int wait = 0; wait < 2 && rc == LC_OK; wait++) {
        for (size_t i = 0; rc == LC_OK && i < state->n; i++)
            rc = dfi_flush_path(state->v[i], wait, err);
        for (size_t i = 0; rc == LC_OK && i < n; i++)
            if (pl[i].write)
                rc = dfi_flush_staged(ofd, pl[i].f->path, &pl[i].staged, wait, err);
    }
    int jfd = rc == LC_OK ? open(d->jdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (rc == LC_OK && (jfd < 0 || fsync(jfd) != 0))
        rc = lc_err_errno(err, LC_EIO, errno, "flushing %s to disk", d->jdir);
    if (jfd >= 0)
        close(jfd);
    return rc;
}

/* Flushes the staged state files (their temporary names: the even entries). */
static int flush_state(lc_strv *stage, lc_err *err)
{
    int rc = LC_OK;
    for (int wait = 0; wait < 2 && rc == LC_OK; wait++)
        for (size_t i = 0; rc == LC_OK && i + 1 < stage->n; i += 2)
            rc = dfi_flush_path(stage->v[i], wait, err);
    return rc;
}

int lc_diff_apply(lc_diff *d, lc_diff_report *rep, lc_err *err)
{
    size_t n = 0;
    for (size_t i = 0; i < d->nfiles; i++)
        n += dfi_any_selected(&d->files[i]);
    if (!n)
        return lc_err_set(err, LC_EINVAL, "nothing is selected to apply");
    int ofd = open(d->orig, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ofd < 0)
        return lc_err_errno(err, LC_EIO, errno, "opening %s", d->orig);
    plan *pl = lc_xcalloc(n, sizeof *pl);
    size_t k = 0;
    for (size_t i = 0; i < d->nfiles; i++)
        if (dfi_any_selected(&d->files[i])) {
            pl[k].f = &d->files[i];
            pl[k].staged = (dstaged)DSTAGED_INIT;
            plan_file(d, ofd, &pl[k++]);
        }
    /* Links are judged against the whole batch: one link can make another lead outside. */
    dplanned *dp = lc_xcalloc(n + 1, sizeof *dp);
    size_t ndp = 0;
    for (size_t i = 0; i < n; i++)
        if (pl[i].write)
            dp[ndp++] = (dplanned){pl[i].f->path, pl[i].kind, pl[i].data.data, pl[i].data.len, NULL};
    dfi_links_check(d, ofd, dp, ndp);
    for (size_t i = 0, j = 0; i < n; i++) {
        if (!pl[i].write)
            continue;
        if (dp[j].refused) {
            pl[i].write = false;
            pl[i].outcome = LC_DIFF_REFUSED;
            free(pl[i].msg);
            pl[i].msg = dp[j].refused;
        }
        j++;
    }
    free(dp);
    /* The base each file will have once written: the base moves by the selection, not by
     * a merge. Stored now, so the journal can name it. */
    for (size_t i = 0; i < n; i++) {
        plan *p = &pl[i];
        if (!p->write && p->outcome != LC_DIFF_UNCHANGED)
            continue;
        lc_err e = {0};
        lc_buf want = LC_BUF_INIT;
        const lc_buf *src = &p->data;
        if (p->outcome == LC_DIFF_MERGED) {
            if (p->f->edited)
                lc_buf_append(&want, p->f->edited->data ? p->f->edited->data : "", p->f->edited->len);
            else if (p->f->whole_sel || p->f->pub.whole_only)
                lc_buf_append(&want, p->f->new.data ? p->f->new.data : "", p->f->new.len);
            else
                dfi_splice(p->f, p->f->line_sel, false, &want);
            src = &want;
        }
        if (p->newbase.kind != DK_ABSENT && dfi_obj_put(d, src->data, src->len, p->newbase.oid, &e) != LC_OK)
            p->newbase = p->f->base; /* cannot happen short of a full state disk */
        char merged[41];
        if (p->outcome == LC_DIFF_MERGED) /* what redo writes again */
            dfi_obj_put(d, p->data.data, p->data.len, merged, &e);
        p->rec.base_after = p->newbase;
        lc_buf_free(&want);
    }
    /* One flush for the whole apply instead of an fsync per file (docs/diff.md, "Writes"):
     * the intent and the user's before-bytes, then each new content in a temporary file
     * next to its target, all unflushed; one flush; only then the renames. */
    jrec *recs = lc_xcalloc(n, sizeof *recs);
    size_t nrec = 0;
    for (size_t i = 0; i < n; i++)
        if (pl[i].write)
            recs[nrec++] = pl[i].rec;
    unsigned long seq = d->jnext;
    int rc = LC_OK;
    lc_strv dirs = LC_STRV_INIT, stage = LC_STRV_INIT;
    lc_strv state = LC_STRV_INIT; /* the state files the first flush carries */
    if (nrec) {
        d->stage = &stage;
        rc = dfi_journal_write(d, seq, recs, nrec, &dirs, JOURNAL_OPEN, err);
        d->stage = NULL;
        for (size_t i = 1; i < stage.n; i += 2)
            lc_strv_push(&state, stage.v[i]);
        if (rc == LC_OK)
            rc = dfi_state_commit(&stage, err);
        if (rc != LC_OK) {
            dfi_state_abandon(&stage);
            dfi_journal_drop(d, seq);
            lc_err_prefix(err, "nothing was applied: writing the undo journal");
            goto out;
        }
    }
    size_t kept = 0; /* files whose descriptors stay open until their rename (two each) */
    for (size_t i = 0; i < n; i++) {
        plan *p = &pl[i];
        lc_err e = {0};
        bool keep = p->write && kept < KEEP_OPEN_MAX;
        kept += keep;
        if (p->write && dfi_stage(ofd, p->f->path, p->kind, p->data.data, p->data.len, p->mode, false, keep,
                                  &dirs, &p->staged, &e) != LC_OK) {
            p->outcome = e.code == LC_ESECURITY ? LC_DIFF_REFUSED : LC_DIFF_FAILED;
            free(p->msg);
            p->msg = lc_xstrdup(e.msg);
            p->write = false;
        }
    }
    /* The barrier: the intent, the before-bytes and every new content are on disk before
     * the first rename, so a power loss at any rename leaves each target old or new and an
     * entry that says which (the next open finishes it). */
    if (nrec)
        rc = flush_staged(d, ofd, pl, n, &state, err);
    lc_strv_free(&state);
    if (rc != LC_OK) {
        for (size_t i = 0; i < n; i++)
            dfi_unstage(ofd, pl[i].f->path, &pl[i].staged);
        dfi_journal_drop(d, seq);
        lc_err_prefix(err, "nothing was applied");
        goto out;
    }
    size_t ok = 0, bad = 0, done = 0;
    const dstaged **wstaged = lc_xcalloc(n + 1, sizeof *wstaged);
    for (size_t i = 0; i < n; i++) {
        plan *p = &pl[i];
        lc_err e = {0};
        if (p->write && dfi_commit(ofd, p->f->path, &p->staged, &p->rec.before, &e) != LC_OK) {
            dfi_unstage(ofd, p->f->path, &p->staged);
            p->outcome = e.code == LC_ESECURITY   ? LC_DIFF_REFUSED
                         : e.code == LC_ECONFLICT ? LC_DIFF_CONFLICT
                                                  : LC_DIFF_FAILED;
            free(p->msg);
            p->msg = lc_xstrdup(e.msg);
            p->write = false;
        }
        if (p->write || p->outcome == LC_DIFF_UNCHANGED)
            dfi_base_set(d, p->f->path, &p->newbase);
        if (p->write) {
            wstaged[done] = &p->staged;
            recs[done++] = p->rec;
            ok++;
        } else if (p->outcome != LC_DIFF_UNCHANGED) {
            bad++;
        } else {
            ok++;
        }
        rc = worst(rc, p->outcome);
        dfi_report_add(rep, p->f->path, p->outcome, "%s", p->msg ? p->msg : lc_diff_outcome_name(p->outcome));
    }
    /* The renames reach the disk: one fsync per directory. */
    const char **written = lc_xcalloc(done + 1, sizeof *written);
    for (size_t i = 0; i < done; i++)
        written[i] = recs[i].path;
    dfi_sync_parents(ofd, written, wstaged, done);
    free(written);
    free(wstaged);
    for (size_t i = 0; i < n; i++)
        dfi_staged_release(&pl[i].staged);
    /* The completion, last: the new bases and the entry rewritten done, staged and flushed
     * together, then put in place (bases first), unflushed: a crash that loses these last
     * renames leaves the entry open, and the next open finishes it from the disk. Only what
     * was written can be undone. */
    lc_err e3 = {0}, e4 = {0};
    d->stage = &stage;
    int r = dfi_bases_save(d, &e3);
    int rj = LC_OK;
    if (nrec && done)
        rj = dfi_journal_write(d, seq, recs, done, &dirs, JOURNAL_DONE, &e4);
    d->stage = NULL;
    lc_err e5 = {0};
    int rf = r == LC_OK && rj == LC_OK ? flush_state(&stage, &e5) : LC_OK;
    if (r == LC_OK && rj == LC_OK && rf == LC_OK)
        r = dfi_state_commit(&stage, &e3);
    else
        dfi_state_abandon(&stage);
    if (r != LC_OK && rc == LC_OK)
        rc = lc_err_set(err, r, "the files were written but saving the session state failed: %s", e3.msg);
    if (rj != LC_OK && rc == LC_OK)
        rc = lc_err_set(err, rj, "the files were written but saving the undo journal failed: %s", e4.msg);
    if (rf != LC_OK && rc == LC_OK)
        rc = lc_err_set(err, rf, "the files were written but saving the session state failed: %s", e5.msg);
    if (nrec) {
        if (done) {
            if (rj == LC_OK && r == LC_OK && rf == LC_OK)
                dfi_journal_unlogged(d, seq);
            dfi_redo_clear(d); /* a new apply: what was undone before is no longer redone */
        } else
            dfi_journal_drop(d, seq);
    }
    rc = finish(d, rc, "applied", ok, bad, err);
out:
    for (size_t i = 0; i < n; i++) {
        if (pl[i].staged.tmp[0]) /* only before the writes: the refresh freed the files */
            dfi_unstage(ofd, pl[i].f->path, &pl[i].staged);
        dfi_staged_release(&pl[i].staged);
        free(pl[i].msg);
        lc_buf_free(&pl[i].data);
        lc_buf_free(&pl[i].cur);
    }
    lc_strv_free(&dirs);
    lc_strv_free(&stage);
    free(recs);
    free(pl);
    close(ofd);
    return rc;
}

/* ---- revert in the shadow --------------------------------------------------- */

static void describe_lines(const dfile *f, lc_buf *b)
{
    size_t cnt = 0;
    for (size_t h = 0; h < f->pub.nhunks; h++) {
        const lc_diff_hunk *hk = &f->hunks[h];
        const bool *s = f->line_sel + dfi_hunk_first(f, h);
        if (dfi_hunk_all(f, h)) {
            lc_buf_printf(b, "%s%d-%d", cnt++ ? ", " : "lines ", hk->new_start,
                          hk->new_start + (hk->new_lines ? hk->new_lines - 1 : 0));
            continue;
        }
        for (size_t i = 0; i < hk->nlines; i++) {
            const lc_diff_line *l = &hk->lines[i];
            if (!s[i])
                continue;
            if (l->origin == '+')
                lc_buf_printf(b, "%s%d", cnt++ ? ", " : "lines ", l->new_lineno);
            else
                lc_buf_printf(b, "%sremoved line %d of the original", cnt++ ? ", " : "lines ", l->old_lineno);
        }
    }
}

int lc_diff_revert(lc_diff *d, lc_diff_report *rep, lc_err *err)
{
    int sfd = open(d->shadow, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sfd < 0)
        return lc_err_errno(err, LC_EIO, errno, "opening the shadow copy %s", d->shadow);
    int rc = LC_OK;
    size_t ok = 0, bad = 0, n = 0;
    for (size_t i = 0; i < d->nfiles; i++) {
        dfile *f = &d->files[i];
        if (!dfi_any_selected(f))
            continue;
        n++;
        lc_err e = {0};
        lc_buf data = LC_BUF_INIT, what = LC_BUF_INIT;
        char kind;
        unsigned mode;
        int r;
        if (f->pub.base_lost) {
            r = lc_err_set(&e, LC_ECONFLICT, "its original content was not kept (you changed it "
                           "before the agent did), so it cannot be reverted here");
        } else if (f->whole_sel || f->pub.whole_only) {
            kind = f->base.kind;
            mode = f->base.mode;
            r = dfi_load_side(d, f, false, &data, &e);
            lc_buf_puts(&what, kind == DK_ABSENT ? "removed the file the agent created"
                               : f->new_kind == DK_ABSENT ? "restored the file the agent deleted"
                                                          : "restored the whole file");
            if (r == LC_OK)
                r = dfi_write(sfd, f->path, kind, data.data, data.len, mode, NULL, NULL, &e);
        } else {
            dfi_splice(f, f->line_sel, true, &data);
            lc_buf_puts(&what, "reverted ");
            describe_lines(f, &what);
            lc_buf_puts(&what, " (line numbers of the agent's version)");
            r = dfi_write(sfd, f->path, DK_FILE, data.data, data.len, f->new_mode_full, NULL, NULL, &e);
        }
        if (r == LC_OK) {
            ok++;
            dfi_report_add(rep, f->path, LC_DIFF_REVERTED, "%s", lc_buf_cstr(&what));
        } else {
            bad++;
            lc_diff_outcome o = r == LC_ESECURITY ? LC_DIFF_REFUSED
                              : r == LC_ECONFLICT ? LC_DIFF_CONFLICT : LC_DIFF_FAILED;
            rc = worst(rc, o);
            dfi_report_add(rep, f->path, o, "%s", e.msg);
        }
        lc_buf_free(&data);
        lc_buf_free(&what);
    }
    close(sfd);
    if (!n)
        return lc_err_set(err, LC_EINVAL, "nothing is selected to revert");
    return finish(d, rc, "reverted", ok, bad, err);
}
