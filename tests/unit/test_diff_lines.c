/* Differential test of line-level selection against `git apply` (issue 12).
 * Deterministic seeds make real-looking edits (code-like lines that repeat,
 * LF, CRLF and mixed endings, files without a final newline on either side,
 * mode changes) and review them with 0, 1 or 3 lines of context. Each round
 * picks a random selection: nothing, whole files, whole hunks, single lines,
 * pieces of split hunks. The test builds the equivalent patch itself from the
 * review's lines, as `git add -p` would (an unselected removed line becomes
 * context, an unselected added line is dropped), and checks that:
 *   - lc_diff_apply gives exactly what `git apply` of that patch gives on a copy
 *     of the original, modes included;
 *   - `git apply` of lc_diff_export_patch(selected only) gives the same;
 *   - undo gives the original back, redo the applied state, undo again the
 *     original;
 *   - lc_diff_revert of the selection gives what `git apply -R` of the patch
 *     gives on a copy of the shadow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "diff_fixture.h"

/* What the rounds covered, so a generator change cannot quietly stop testing it. */
static struct {
    int partial_hunks, noeol_kept, split, rounds_applied;
} seen;

static unsigned long long rnd(unsigned long long *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

static const char *const VOCAB[] = {
    "    return x;", "}", "", "    if (err)", "        goto out;", "int f(void)", "{", "    x += 1;",
    "    /* note */", "    free(p);", "#include <stdio.h>", "    y = g(x, 2);",
};
#define NVOCAB (sizeof VOCAB / sizeof *VOCAB)

/* A base and an edited version: runs of replaced, inserted and deleted lines. */
static void make_pair(unsigned long long *s, lc_buf *base, lc_buf *new)
{
    int eolmode = (int)(rnd(s) % 3); /* LF, CRLF, mixed */
    int n = 20 + (int)(rnd(s) % 60);
    bool base_noeol = rnd(s) % 4 == 0, new_noeol = rnd(s) % 4 == 0;
    for (int i = 0; i < n; i++) {
        const char *eol = eolmode == 0 ? "\n" : eolmode == 1 ? "\r\n" : rnd(s) % 2 ? "\n" : "\r\n";
        const char *line = VOCAB[rnd(s) % NVOCAB];
        bool last = i == n - 1;
        lc_buf_printf(base, "%s%s", line, last && base_noeol ? "" : eol);
        const char *neol = last && new_noeol ? "" : eol;
        unsigned op = (unsigned)(rnd(s) % 10);
        if (op == 0) {
            lc_buf_printf(new, "    changed(%d);%s", i, neol);
        } else if (op == 1) {
            int k = 1 + (int)(rnd(s) % 3);
            for (int j = 0; j < k; j++)
                lc_buf_printf(new, "    added(%d, %d);%s", i, j, eol);
            lc_buf_printf(new, "%s%s", line, neol);
        } else if (op == 2 && !last) {
            /* deleted */
        } else if (op == 3) { /* replaced by a line of the vocabulary: ambiguous context */
            lc_buf_printf(new, "%s%s", VOCAB[rnd(s) % NVOCAB], neol);
        } else {
            lc_buf_printf(new, "%s%s", line, neol);
        }
    }
}

/* The patch `git add -p` would make of the selected lines of one file; for
 * reverse, the patch whose `git apply -R` takes the selected lines back out of
 * the new side. Split pieces that touch are one hunk again (a piece alone has
 * no trailing context, which git reads as "at the end of the file"). */
static void equivalent_patch(const lc_diff *d, size_t fi, bool reverse, lc_buf *out)
{
    const lc_diff_file *f = lc_diff_file_at(d, fi);
    bool any = lc_diff_selected(d, fi, LC_DIFF_WHOLE);
    for (size_t h = 0; !any && h < f->nhunks; h++)
        any = lc_diff_hunk_selection(d, fi, h, NULL) > 0;
    if (!any)
        return;
    lc_buf_printf(out, "diff --git a/%s b/%s\n", f->path, f->path);
    if ((f->old_mode & 0100) != (f->new_mode & 0100))
        lc_buf_printf(out, "old mode %o\nnew mode %o\n", f->old_mode & 0100 ? 0100755 : 0100644,
                      f->new_mode & 0100 ? 0100755 : 0100644);
    if (!f->nhunks)
        return;
    lc_buf_printf(out, "--- a/%s\n+++ b/%s\n", f->path, f->path);
    int delta = 0;
    for (size_t h = 0; h < f->nhunks;) {
        /* a group of hunks that touch */
        size_t g = h + 1;
        for (; g < f->nhunks; g++) {
            const lc_diff_hunk *p = &f->hunks[g - 1], *q = &f->hunks[g];
            int pend = (p->old_lines ? p->old_start - 1 : p->old_start) + p->old_lines;
            int qstart = q->old_lines ? q->old_start - 1 : q->old_start;
            if (pend != qstart)
                break;
        }
        lc_buf body = LC_BUF_INIT;
        int oc = 0, nc = 0;
        bool changed = false;
        int ostart0 = f->hunks[h].old_lines ? f->hunks[h].old_start - 1 : f->hunks[h].old_start;
        int nstart0 = f->hunks[h].new_lines ? f->hunks[h].new_start - 1 : f->hunks[h].new_start;
        for (size_t k = h; k < g; k++) {
            const lc_diff_hunk *hk = &f->hunks[k];
            for (size_t i = 0; i < hk->nlines; i++) {
                const lc_diff_line *l = &hk->lines[i];
                bool sel = l->origin != ' ' && lc_diff_line_selected(d, fi, k, i);
                char o = l->origin;
                if (o != ' ' && !sel)
                    o = reverse ? (o == '+' ? ' ' : 0) : (o == '-' ? ' ' : 0);
                if (!o)
                    continue;
                changed = changed || o != ' ';
                /* Does anything of this group come after this line in the patch? */
                bool later = false;
                for (size_t k2 = k, i2 = i + 1; k2 < g && !later; k2++, i2 = 0)
                    for (; i2 < f->hunks[k2].nlines && !later; i2++) {
                        const lc_diff_line *m = &f->hunks[k2].lines[i2];
                        bool s2 = m->origin != ' ' && lc_diff_line_selected(d, fi, k2, i2);
                        /* in the result: context, kept lines, and the selected lines' side */
                        later = m->origin == ' ' || (m->origin == (reverse ? '+' : '-') && !s2) ||
                                (m->origin == (reverse ? '-' : '+') && s2);
                    }
                if (l->no_newline && later && !reverse && o == ' ' && l->origin == '-') {
                    /* kept last line without newline, lines added after it: removed and added back */
                    lc_buf_printf(&body, "-%.*s\n\\ No newline at end of file\n+%.*s\n", (int)l->len, l->text,
                                  (int)l->len, l->text);
                    oc++, nc++, changed = true;
                    seen.noeol_kept++;
                    continue;
                }
                bool marker = l->no_newline && !(reverse && o == '-' && later);
                lc_buf_printf(&body, "%c%.*s\n%s", o, (int)l->len, l->text,
                              marker ? "\\ No newline at end of file\n" : "");
                oc += o != '+';
                nc += o != '-';
            }
        }
        if (changed) {
            int os = oc ? ostart0 + 1 : ostart0;
            int ns;
            if (reverse) { /* the new side is the shadow: its own numbers; the old side is made up */
                ns = nc ? nstart0 + 1 : nstart0;
                os = (nc ? nstart0 + 1 : nstart0 + 1) - delta;
                if (!oc)
                    os--;
            } else {
                ns = (oc ? os : os + 1) + delta;
                if (!nc)
                    ns--;
            }
            lc_buf_printf(out, "@@ -%d,%d +%d,%d @@\n", os, oc, ns, nc);
            lc_buf_append(out, body.data, body.len);
            delta += nc - oc;
        }
        lc_buf_free(&body);
        h = g;
    }
}

/* cmocka cuts long messages: the evidence goes to files. */
static void evidence(const char *got, const char *want, const lc_buf *patch)
{
    lc_err err = {0};
    lc_file_write_atomic("/tmp/lc-difflines.got", got, strlen(got), 0644, &err);
    lc_file_write_atomic("/tmp/lc-difflines.want", want, strlen(want), 0644, &err);
    lc_file_write_atomic("/tmp/lc-difflines.patch", patch->data ? patch->data : "", patch->len, 0644, &err);
}

static int git(const char *dir, const char *patch, bool zero, bool reverse, char **msg)
{
    const char *argv[8];
    int a = 0;
    argv[a++] = "git";
    argv[a++] = "-C";
    argv[a++] = dir;
    argv[a++] = "apply";
    if (zero)
        argv[a++] = "--unidiff-zero";
    if (reverse)
        argv[a++] = "-R";
    argv[a++] = patch;
    argv[a] = NULL;
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run(argv, NULL, 0, 30000, 1 << 20, &res, &err), LC_OK);
    int code = res.exit_code;
    *msg = lc_xstrdup(lc_buf_cstr(&res.err));
    lc_proc_result_free(&res);
    return code;
}

static void copy_tree(const char *from, const char *to)
{
    lc_err err = {0};
    lc_rm_rf(to, &err);
    dfx_run((const char *const[]){"cp", "-a", from, to, NULL});
}

/* Compares the files of two trees (bytes and x bit); names are NF "fN.c". */
static void same_trees(const char *a, const char *b, int nf, const char *what, const lc_buf *patch)
{
    for (int i = 0; i < nf; i++) {
        char rel[16];
        snprintf(rel, sizeof rel, "f%d.c", i);
        char *x = dfx_rd(a, rel), *y = dfx_rd(b, rel);
        assert_non_null(x);
        assert_non_null(y);
        if (strcmp(x, y) != 0) {
            evidence(x, y, patch);
            fail_msg("%s: %s differs (see /tmp/lc-difflines.*)", what, rel);
        }
        if ((dfx_mode_of(a, rel) & 0100) != (dfx_mode_of(b, rel) & 0100))
            fail_msg("%s: the x bit of %s differs", what, rel);
        free(x);
        free(y);
    }
}

static void pick(lc_diff *d, unsigned long long *s)
{
    lc_err err = {0};
    for (size_t i = 0; i < lc_diff_count(d); i++) {
        const lc_diff_file *f = lc_diff_file_at(d, i);
        switch (rnd(s) % 5) {
        case 0:
            break;
        case 1:
            assert_int_equal(lc_diff_select(d, i, LC_DIFF_WHOLE, true, &err), LC_OK);
            break;
        case 2:
            for (size_t h = 0; h < f->nhunks; h++)
                if (rnd(s) % 2)
                    assert_int_equal(lc_diff_select(d, i, h, true, &err), LC_OK);
            break;
        case 3: /* split a hunk, then take some pieces */
            if (f->nhunks) {
                size_t h = (size_t)(rnd(s) % f->nhunks), pieces = 0;
                assert_int_equal(lc_diff_split(d, i, h, &pieces, &err), LC_OK);
                seen.split += pieces > 1;
                f = lc_diff_file_at(d, i);
                for (size_t p = 0; p < f->nhunks; p++)
                    if (rnd(s) % 2)
                        assert_int_equal(lc_diff_select(d, i, p, true, &err), LC_OK);
            }
            break;
        default: /* single lines */
            for (size_t h = 0; h < f->nhunks; h++)
                for (size_t l = 0; l < f->hunks[h].nlines; l++)
                    if (f->hunks[h].lines[l].origin != ' ' && rnd(s) % 2)
                        assert_int_equal(lc_diff_select_line(d, i, h, l, true, &err), LC_OK);
            break;
        }
    }
}

static void one_round(fx *f, unsigned long long seed, int context, bool revert)
{
    unsigned long long s = seed;
    int nf = 3;
    lc_buf base[3], new[3];
    for (int i = 0; i < nf; i++) {
        base[i] = (lc_buf)LC_BUF_INIT;
        new[i] = (lc_buf)LC_BUF_INIT;
        make_pair(&s, &base[i], &new[i]);
        char rel[16];
        snprintf(rel, sizeof rel, "f%d.c", i);
        dfx_wrb(f->orig, rel, base[i].data, base[i].len, 0644);
    }
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    copy_tree(f->orig, f->shadow);
    lc_diff_opts o = LC_DIFF_OPTS_INIT;
    o.context_lines = context;
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, &o, &f->d, &err), LC_OK);
    for (int i = 0; i < nf; i++) {
        char rel[16];
        snprintf(rel, sizeof rel, "f%d.c", i);
        dfx_editb(f->shadow, rel, new[i].data, new[i].len);
        if (rnd(&s) % 4 == 0) { /* a mode change, with or without a content change */
            char *p = dfx_P(f->shadow, rel);
            chmod(p, 0755);
            free(p);
        }
    }
    dfx_refresh(f);
    pick(f->d, &s);
    lc_buf patch = LC_BUF_INIT, exported = LC_BUF_INIT;
    for (size_t i = 0; i < lc_diff_count(f->d); i++)
        equivalent_patch(f->d, i, revert, &patch);
    lc_diff_export_patch(f->d, true, &exported);
    for (size_t i = 0; i < lc_diff_count(f->d); i++)
        for (size_t h = 0; h < lc_diff_file_at(f->d, i)->nhunks; h++) {
            size_t changed, n = lc_diff_hunk_selection(f->d, i, h, &changed);
            seen.partial_hunks += n > 0 && n < changed;
        }
    seen.rounds_applied += patch.len > 0;
    char *pp = dfx_P(f->root, "eq.patch"), *ep = dfx_P(f->root, "ex.patch");
    char *w1 = dfx_P(f->root, "w1"), *w2 = dfx_P(f->root, "w2");
    assert_int_equal(lc_file_write_atomic(pp, patch.data ? patch.data : "", patch.len, 0644, &err), LC_OK);
    assert_int_equal(lc_file_write_atomic(ep, exported.data, exported.len, 0644, &err), LC_OK);
    char *msg = NULL;
    bool any = patch.len > 0;
    char what[96];
    snprintf(what, sizeof what, "seed %llu, context %d, %s", seed, context, revert ? "revert" : "apply");
    if (!revert) {
        copy_tree(f->orig, w1);
        copy_tree(f->orig, w2);
        if (any && git(w1, pp, context == 0, false, &msg) != 0)
            fail_msg("%s: git apply of the equivalent patch failed: %s\n%s", what, msg, patch.data);
        free(msg);
        if (any && git(w2, ep, context == 0, false, &msg) != 0)
            fail_msg("%s: git apply of the export failed: %s\n%s", what, msg, exported.data);
        free(msg);
        if (any) {
            lc_diff_report rep = LC_DIFF_REPORT_INIT;
            if (lc_diff_apply(f->d, &rep, &err) != LC_OK)
                fail_msg("%s: apply: %s", what, err.msg);
            lc_diff_report_free(&rep);
        }
        same_trees(f->orig, w1, nf, what, &patch);
        same_trees(f->orig, w2, nf, what, &exported);
        if (any) {
            copy_tree(f->orig, w2); /* the applied state */
            lc_diff_report rep = LC_DIFF_REPORT_INIT;
            assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
            lc_diff_report_free(&rep);
            for (int i = 0; i < nf; i++) {
                char rel[16];
                snprintf(rel, sizeof rel, "f%d.c", i);
                char *got = dfx_rd(f->orig, rel);
                assert_true(strlen(got) == base[i].len && memcmp(got, base[i].data, base[i].len) == 0);
                free(got);
            }
            assert_int_equal(lc_diff_redo_depth(f->d), 1);
            if (lc_diff_redo(f->d, &rep, &err) != LC_OK)
                fail_msg("%s: redo: %s", what, err.msg);
            lc_diff_report_free(&rep);
            same_trees(f->orig, w2, nf, "redo", &patch);
            assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
            lc_diff_report_free(&rep);
            assert_int_equal(lc_diff_redo_depth(f->d), 1);
        }
    } else {
        copy_tree(f->shadow, w1);
        if (any && git(w1, pp, context == 0, true, &msg) != 0)
            fail_msg("%s: git apply -R of the equivalent patch failed: %s\n%s", what, msg, patch.data);
        free(msg);
        if (any) {
            lc_diff_report rep = LC_DIFF_REPORT_INIT;
            if (lc_diff_revert(f->d, &rep, &err) != LC_OK)
                fail_msg("%s: revert: %s", what, err.msg);
            lc_diff_report_free(&rep);
        }
        /* git -R does not touch modes of a revert of lines only; compare bytes */
        for (int i = 0; i < nf; i++) {
            char rel[16];
            snprintf(rel, sizeof rel, "f%d.c", i);
            char *x = dfx_rd(f->shadow, rel), *y = dfx_rd(w1, rel);
            if (strcmp(x, y) != 0) {
                evidence(x, y, &patch);
                fail_msg("%s: %s differs (see /tmp/lc-difflines.*)", what, rel);
            }
            free(x);
            free(y);
        }
    }
    lc_diff_free(f->d);
    f->d = NULL;
    lc_rm_rf(f->orig, &err);
    lc_rm_rf(f->state, &err);
    assert_int_equal(lc_mkdir_p(f->orig, 0755, &err), LC_OK);
    assert_int_equal(lc_mkdir_p(f->state, 0700, &err), LC_OK);
    for (int i = 0; i < nf; i++) {
        lc_buf_free(&base[i]);
        lc_buf_free(&new[i]);
    }
    lc_buf_free(&patch);
    lc_buf_free(&exported);
    free(pp);
    free(ep);
    free(w1);
    free(w2);
}

static void test_random_line_selections_match_git_apply(void **state)
{
    static const int contexts[] = {3, 1, 0};
    for (unsigned long long seed = 1; seed <= 36; seed++)
        one_round(*state, seed * 7919, contexts[seed % 3], false);
    print_message("covered: %d partly selected hunks, %d split hunks, %d kept last lines without newline "
                  "that got lines after them, %d rounds with something to apply\n",
                  seen.partial_hunks, seen.split, seen.noeol_kept, seen.rounds_applied);
    assert_true(seen.partial_hunks > 20);
    assert_true(seen.split > 5);
    assert_true(seen.noeol_kept > 0);
    assert_true(seen.rounds_applied > 30);
}

static void test_random_line_reverts_match_git_apply_reverse(void **state)
{
    memset(&seen, 0, sizeof seen);
    static const int contexts[] = {3, 1, 0};
    for (unsigned long long seed = 1; seed <= 18; seed++)
        one_round(*state, seed * 104729, contexts[seed % 3], true);
    assert_true(seen.partial_hunks > 10);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_random_line_selections_match_git_apply, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_random_line_reverts_match_git_apply_reverse, dfx_setup, dfx_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
