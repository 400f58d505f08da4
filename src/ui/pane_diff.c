/* The diff review: the shadow's changed files, then each file's hunks. The
 * lc_diff is the model (the UI thread alone touches it); this pane keeps a
 * flat index of rows over it so a 100,000-line diff draws only the rows on
 * screen. Applied hunks leave the view because apply refreshes the model;
 * conflicts and refusals stay listed at the top of the pane until the next
 * action. Applies and undos go to the session log. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ui/ui_int.h"

#define NO_HUNK UINT32_MAX

/* One diff row: a file header, a hunk header or a hunk line. */
typedef struct ui_drow {
    uint32_t file;
    uint32_t hunk;  /* UINT32_MAX: the file's header */
    uint32_t line;  /* UINT32_MAX: the hunk's header */
} ui_drow;

typedef struct ui_diffview {
    ui_drow *rows;
    size_t n, cap;
    size_t *items;     /* rows that are items (file and hunk headers), ascending: the cursor
                        * finds the next one without walking a 100,000-line hunk's rows */
    size_t nitems, capitems;
    size_t cur;        /* row of the cursor (a file or hunk header) */
    int left;          /* columns of the lines' text scrolled off to the left */
    lc_strv skipped;   /* paths the user skipped */
    lc_strv changed;   /* paths the agent changed after the user selected something of them */
    ui_lines notes;    /* results of the last apply/revert/undo, conflicts first */
    char *summary;     /* for the agent's workspace hook */
    lc_buf reverted;   /* reverted, skipped or edited since the agent last asked */
    size_t match;      /* row of the last search match (search from there); SIZE_MAX: none */
    int notes_rows;    /* rows the notes took at the top at the last draw (for clicks) */
    bool line_mode;    /* the cursor is on a changed line (v) */
    bool files_only;   /* the file list (f): file rows only */
    char *pattern;     /* the filter (&): path glob, status letters; NULL/"": all */
    char statuses[8];
    enum { PR_NONE, PR_FILTER, PR_REVERT, PR_SKIP } prompt;
    char prompt_text[200];
    char *prompt_path; /* PR_SKIP: the file asked about */
} ui_diffview;

static ui_diffview *DV(lc_app *app)
{
    return app->panes[UI_P_DIFF].data;
}

static lc_diff *D(lc_app *app) { return app->opts.diff; }

static void push_row(ui_diffview *dv, uint32_t f, uint32_t h, uint32_t l)
{
    if (dv->n == dv->cap) {
        dv->cap = dv->cap ? dv->cap * 2 : 256;
        dv->rows = lc_xrealloc(dv->rows, dv->cap * sizeof *dv->rows);
    }
    if (l == NO_HUNK) {
        if (dv->nitems == dv->capitems) {
            dv->capitems = dv->capitems ? dv->capitems * 2 : 64;
            dv->items = lc_xrealloc(dv->items, dv->capitems * sizeof *dv->items);
        }
        dv->items[dv->nitems++] = dv->n;
    }
    dv->rows[dv->n++] = (ui_drow){f, h, l};
}

static bool is_item(const ui_drow *r) { return r->line == NO_HUNK; }

/* Index in dv->items of the first item row at or after row i (dv->nitems: none). */
static size_t item_index(const ui_diffview *dv, size_t i)
{
    size_t lo = 0, hi = dv->nitems;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dv->items[mid] < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The offset belongs to the file under the cursor: another file starts at
 * column 0. */
static void reset_left_if_moved(lc_app *app, const char *was)
{
    ui_diffview *dv = DV(app);
    const lc_diff_file *f = dv->cur < dv->n ? lc_diff_file_at(D(app), dv->rows[dv->cur].file) : NULL;
    if (!f || strcmp(f->path, was) != 0)
        dv->left = 0;
}

static void drop_stale_marks(lc_app *app, lc_diff *d);

static lc_diff_filter filter_of(const ui_diffview *dv)
{
    return (lc_diff_filter){dv->pattern, dv->statuses};
}

/* Whether file i is in the review: not skipped and matched by the filter. */
static bool in_view(lc_app *app, size_t i)
{
    ui_diffview *dv = DV(app);
    const lc_diff_file *f = lc_diff_file_at(D(app), i);
    if (!f || lc_strv_contains(&dv->skipped, f->path))
        return false;
    lc_diff_filter flt = filter_of(dv);
    return lc_diff_match(D(app), i, &flt);
}

/* Nothing out of sight stays selected: apply writes only what the review
 * shows. Returns how many files lost their selection. */
static size_t unselect_hidden(lc_app *app)
{
    lc_diff *d = D(app);
    size_t n = 0;
    for (size_t i = 0; i < lc_diff_count(d); i++) {
        size_t changed = 0;
        if (in_view(app, i) || lc_diff_file_selection(d, i, &changed) == 0)
            continue;
        lc_diff_select(d, i, LC_DIFF_WHOLE, false, NULL);
        n++;
    }
    return n;
}

/* Rebuilds the row index after the model changed, keeping the cursor on the
 * same file (and hunk number) when it is still there. */
void ui_diff_reload(lc_app *app)
{
    ui_diffview *dv = DV(app);
    lc_diff *d = D(app);
    if (d)
        drop_stale_marks(app, d);
    char *cur_path = NULL;
    uint32_t cur_hunk = NO_HUNK;
    if (d && dv->cur < dv->n) {
        const lc_diff_file *f = lc_diff_file_at(d, dv->rows[dv->cur].file);
        cur_path = f ? lc_xstrdup(f->path) : NULL;
        cur_hunk = dv->rows[dv->cur].hunk;
    }
    dv->n = 0;
    dv->nitems = 0;
    dv->match = SIZE_MAX;
    dv->line_mode = false; /* the cursor goes back to its hunk */
    size_t nf = d ? lc_diff_count(d) : 0;
    size_t newcur = 0;
    bool found = false;
    for (size_t i = 0; i < nf; i++) {
        const lc_diff_file *f = lc_diff_file_at(d, i);
        if (!in_view(app, i))
            continue;
        bool same = cur_path && strcmp(cur_path, f->path) == 0;
        if (same && !found) {
            newcur = dv->n;
            found = true;
        }
        push_row(dv, (uint32_t)i, NO_HUNK, NO_HUNK);
        for (size_t h = 0; !dv->files_only && h < f->nhunks; h++) {
            if (same && cur_hunk != NO_HUNK && (h == cur_hunk || (h + 1 == f->nhunks && cur_hunk > h)))
                newcur = dv->n;
            push_row(dv, (uint32_t)i, (uint32_t)h, NO_HUNK);
            for (size_t l = 0; l < f->hunks[h].nlines; l++)
                push_row(dv, (uint32_t)i, (uint32_t)h, (uint32_t)l);
        }
    }
    if (!found && cur_path && dv->cur < dv->n) { /* the file left: stay near where it was */
        newcur = dv->cur;
        while (newcur > 0 && !is_item(&dv->rows[newcur]))
            newcur--;
    }
    dv->cur = dv->n ? newcur : 0;
    if (cur_path && dv->left > 0)
        reset_left_if_moved(app, cur_path);
    free(cur_path);
}

/* A refresh clears the selection. The user's picks survive it only when the
 * item still has the content they were made on (path and content id; equal
 * hunks of a file counted in order): an item the agent changed since is left
 * unselected and its file marked, so apply never writes bytes nobody saw. */
static bool whole_item(const lc_diff_file *f)
{
    return f->whole_only || f->nhunks == 0;
}

/* The keys of every item of file i, in order: "path\nid\nnth" (nth: how many
 * earlier items of the file have the same id). Ids are computed once per
 * file: a file of a thousand hunks stays fast. */
typedef struct item_id {
    char id[41];
    size_t index, nth;
} item_id;

static int cmp_item_id(const void *a, const void *b)
{
    const item_id *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_item_index(const void *a, const void *b)
{
    const item_id *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void file_keys(lc_diff *d, size_t i, lc_strv *out)
{
    const lc_diff_file *f = lc_diff_file_at(d, i);
    size_t n = whole_item(f) ? 1 : f->nhunks;
    item_id *v = lc_xcalloc(n, sizeof *v);
    for (size_t h = 0; h < n; h++) {
        lc_diff_item_id(d, i, whole_item(f) ? LC_DIFF_WHOLE : h, v[h].id);
        v[h].index = h;
    }
    qsort(v, n, sizeof *v, cmp_item_id); /* equal ids side by side, in file order */
    for (size_t h = 1; h < n; h++)
        if (strcmp(v[h].id, v[h - 1].id) == 0)
            v[h].nth = v[h - 1].nth + 1;
    qsort(v, n, sizeof *v, cmp_item_index);
    for (size_t h = 0; h < n; h++)
        lc_strv_pushf(out, "%s\n%s\n%zu", f->path, v[h].id, v[h].nth);
    free(v);
}

/* A hunk file's splits and picked lines are carried hunk by hunk, by content:
 * a hunk as the agent's diff made it (the pieces of a split taken together)
 * whose lines, context included, are byte for byte the same after the
 * refresh gets its split and its picked lines back, wherever it moved; one
 * the agent changed loses them, and its file is marked. */
typedef struct carry {
    char *path;
    lc_buf body;   /* its lines: origin, final-newline flag, length, bytes */
    size_t pieces; /* > 1: the user split it */
    size_t *sel;   /* indices, in its lines, of the picked ones */
    size_t nsel;
    bool used;
} carry;

typedef struct carries {
    carry *v;
    size_t n, cap;
} carries;

static void carries_free(carries *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].path);
        lc_buf_free(&c->v[i].body);
        free(c->v[i].sel);
    }
    free(c->v);
    memset(c, 0, sizeof *c);
}

/* The line numbers where hunk h's old and new sides start, and where they end. */
static int side_first(int start, int lines) { return lines ? start : start + 1; }

/* How many hunks from h make one hunk of the agent's diff: the pieces of a
 * split follow each other without a gap (two hunks of the diff never do:
 * libgit2 would have made them one). */
static size_t group_len(const lc_diff_file *f, size_t h)
{
    size_t k = h;
    while (k + 1 < f->nhunks) {
        const lc_diff_hunk *x = &f->hunks[k], *y = &f->hunks[k + 1];
        if (side_first(x->old_start, x->old_lines) + x->old_lines != side_first(y->old_start, y->old_lines) ||
            side_first(x->new_start, x->new_lines) + x->new_lines != side_first(y->new_start, y->new_lines))
            break;
        k++;
    }
    return k - h + 1;
}

static void group_body(const lc_diff_file *f, size_t h, size_t n, lc_buf *out)
{
    for (size_t k = h; k < h + n; k++)
        for (size_t l = 0; l < f->hunks[k].nlines; l++) {
            const lc_diff_line *ln = &f->hunks[k].lines[l];
            lc_buf_printf(out, "%c%c%zu:", ln->origin, ln->no_newline ? '1' : '0', ln->len);
            lc_buf_append(out, ln->text, ln->len);
        }
}

static void remember_carries(lc_diff *d, size_t i, carries *out)
{
    const lc_diff_file *f = lc_diff_file_at(d, i);
    for (size_t h = 0; h < f->nhunks;) {
        size_t n = group_len(f, h);
        carry c = {0};
        for (size_t k = h, base = 0; k < h + n; base += f->hunks[k].nlines, k++)
            for (size_t l = 0; l < f->hunks[k].nlines; l++)
                if (f->hunks[k].lines[l].origin != ' ' && lc_diff_line_selected(d, i, k, l)) {
                    c.sel = lc_xrealloc(c.sel, (c.nsel + 1) * sizeof *c.sel);
                    c.sel[c.nsel++] = base + l;
                }
        c.pieces = n;
        if (n > 1 || c.nsel) {
            c.path = lc_xstrdup(f->path);
            group_body(f, h, n, &c.body);
            if (out->n == out->cap) {
                out->cap = out->cap ? out->cap * 2 : 8;
                out->v = lc_xrealloc(out->v, out->cap * sizeof *out->v);
            }
            out->v[out->n++] = c;
        } else {
            free(c.sel);
        }
        h += n;
    }
}

/* Gives file i's unchanged hunks their splits and picked lines back; returns
 * how many of the file's remembered hunks found no equal hunk. */
static size_t restore_carries(lc_diff *d, size_t i, carries *cv)
{
    const lc_diff_file *f = lc_diff_file_at(d, i);
    bool any = false;
    for (size_t k = 0; k < cv->n; k++)
        any = any || strcmp(cv->v[k].path, f->path) == 0;
    if (!any)
        return 0;
    lc_buf body = LC_BUF_INIT;
    for (size_t h = 0; h < f->nhunks;) {
        size_t n = group_len(f, h);
        lc_buf_reset(&body);
        group_body(f, h, n, &body);
        carry *c = NULL;
        for (size_t k = 0; !c && k < cv->n; k++) /* equal hunks of a file: in order */
            if (!cv->v[k].used && strcmp(cv->v[k].path, f->path) == 0 && cv->v[k].body.len == body.len &&
                memcmp(cv->v[k].body.data, body.data, body.len) == 0)
                c = &cv->v[k];
        if (c) {
            c->used = true;
            if (c->pieces > 1 && n == 1 && lc_diff_split(d, i, h, &n, NULL) != LC_OK)
                n = 1;
            f = lc_diff_file_at(d, i);
            for (size_t s = 0; s < c->nsel; s++)
                for (size_t k = h, base = 0; k < h + n; base += f->hunks[k].nlines, k++)
                    if (c->sel[s] >= base && c->sel[s] < base + f->hunks[k].nlines) {
                        lc_diff_select_line(d, i, k, c->sel[s] - base, true, NULL);
                        break;
                    }
        }
        h += n;
    }
    lc_buf_free(&body);
    size_t lost = 0;
    for (size_t k = 0; k < cv->n; k++)
        lost += !cv->v[k].used && strcmp(cv->v[k].path, f->path) == 0;
    return lost;
}

/* keep: the selected whole-file items' keys; wholes: their paths; paths:
 * every file with something to carry. */
static void remember_selection(lc_diff *d, lc_strv *keep, lc_strv *wholes, lc_strv *paths, carries *cv)
{
    lc_strv keys = LC_STRV_INIT;
    for (size_t i = 0; i < lc_diff_count(d); i++) {
        const lc_diff_file *f = lc_diff_file_at(d, i);
        if (!whole_item(f)) {
            size_t before = cv->n;
            remember_carries(d, i, cv);
            if (cv->n > before)
                lc_strv_push(paths, f->path);
            continue;
        }
        if (!lc_diff_selected(d, i, LC_DIFF_WHOLE))
            continue;
        lc_strv_clear(&keys);
        file_keys(d, i, &keys);
        lc_strv_push(keep, keys.v[0]);
        lc_strv_push(wholes, f->path);
        lc_strv_push(paths, f->path);
    }
    lc_strv_free(&keys);
}

/* Every loss is said, also in a file already marked: the user may have kept
 * picking in its other hunks, and an earlier note (or none: R clears them)
 * would leave this one silent. */
static void mark_changed(lc_app *app, const char *path, char *msg)
{
    if (!lc_strv_contains(&DV(app)->changed, path))
        lc_strv_push(&DV(app)->changed, path);
    ui_lines_addf(&DV(app)->notes, UI_R_CONFLICT, "%s", msg);
    free(msg);
}

static void restore_selection(lc_app *app, lc_diff *d, const lc_strv *keep, const lc_strv *wholes,
                              const lc_strv *paths, carries *cv)
{
    lc_strv keys = LC_STRV_INIT;
    for (size_t i = 0; paths->n && i < lc_diff_count(d); i++) {
        const lc_diff_file *f = lc_diff_file_at(d, i);
        if (!lc_strv_contains(paths, f->path))
            continue;
        bool again = lc_strv_contains(&DV(app)->changed, f->path);
        if (!whole_item(f) && lc_strv_contains(wholes, f->path)) { /* a whole-file item that became hunks */
            mark_changed(app, f->path,
                         lc_xasprintf("!! %s: the agent changed it %safter you selected it; what changed is "
                                      "unselected, look at it again", f->path, again ? "again " : ""));
            continue;
        }
        if (!whole_item(f)) {
            size_t lost = restore_carries(d, i, cv);
            if (lost)
                mark_changed(app, f->path,
                             lc_xasprintf("!! %s: the agent changed it %s: %zu %shunk%s you split or picked lines "
                                          "in changed and lost that (look at them again); the hunks it left "
                                          "alone keep theirs",
                                          f->path, again ? "again" : "after you selected it", lost,
                                          again ? "more " : "", lost == 1 ? "" : "s"));
            continue;
        }
        lc_strv_clear(&keys);
        file_keys(d, i, &keys);
        if (lc_strv_contains(keep, keys.v[0]))
            lc_diff_select(d, i, LC_DIFF_WHOLE, true, NULL);
        else /* changed, or a hunk file that became a whole-file item */
            mark_changed(app, f->path,
                         lc_xasprintf("!! %s: the agent changed it %safter you selected it; what changed is "
                                      "unselected, look at it again", f->path, again ? "again " : ""));
    }
    lc_strv_free(&keys);
}

/* A mark goes when its file leaves the review or the user selects in it again. */
static void unmark(lc_app *app, const char *path)
{
    lc_strv *c = &DV(app)->changed;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i], path) == 0) {
            free(c->v[i]);
            c->v[i--] = c->v[--c->n];
        }
}

/* How much of file i is selected (a whole-file item: 0 or 1). */
static size_t file_selected(lc_diff *d, size_t i)
{
    size_t changed = 0;
    const lc_diff_file *f = lc_diff_file_at(d, i);
    return whole_item(f) ? lc_diff_selected(d, i, LC_DIFF_WHOLE) : lc_diff_file_selection(d, i, &changed);
}

/* Each file's selection before a bulk key (NULL: no file is marked). */
static size_t *selection_before(lc_app *app)
{
    lc_diff *d = D(app);
    if (!DV(app)->changed.n)
        return NULL;
    size_t *v = lc_xcalloc(lc_diff_count(d) + 1, sizeof *v);
    for (size_t i = 0; i < lc_diff_count(d); i++)
        v[i] = file_selected(d, i);
    return v;
}

/* After a bulk key (+ ~ =): a marked file it selected more in was selected
 * again by the user, so its mark goes, as with t in it. Frees before. */
static void unmark_reselected(lc_app *app, size_t *before)
{
    lc_diff *d = D(app);
    for (size_t i = 0; before && i < lc_diff_count(d); i++)
        if (file_selected(d, i) > before[i])
            unmark(app, lc_diff_file_at(d, i)->path);
    free(before);
}

static void drop_stale_marks(lc_app *app, lc_diff *d)
{
    lc_strv *c = &DV(app)->changed;
    for (size_t i = 0; i < c->n; i++) {
        bool present = false;
        for (size_t k = 0; !present && k < lc_diff_count(d); k++)
            present = strcmp(lc_diff_file_at(d, k)->path, c->v[i]) == 0;
        if (!present) {
            free(c->v[i]);
            c->v[i--] = c->v[--c->n];
        }
    }
}

void ui_diff_refresh(lc_app *app)
{
    lc_diff *d = D(app);
    if (!d)
        return;
    lc_err err = {0};
    lc_strv keep = LC_STRV_INIT, wholes = LC_STRV_INIT, paths = LC_STRV_INIT;
    carries cv = {0};
    remember_selection(d, &keep, &wholes, &paths, &cv);
    if (lc_diff_refresh(d, &err) != LC_OK)
        ui_lines_addf(&DV(app)->notes, UI_R_ERROR, "refreshing the diff: %s", err.msg);
    restore_selection(app, d, &keep, &wholes, &paths, &cv);
    carries_free(&cv);
    lc_strv_free(&keep);
    lc_strv_free(&wholes);
    lc_strv_free(&paths);
    lc_buf sum = LC_BUF_INIT;
    lc_diff_summary(d, &sum);
    free(DV(app)->summary);
    DV(app)->summary = lc_buf_detach(&sum);
    ui_diff_reload(app);
}

char *ui_diff_summary(lc_app *app)
{
    const char *s = DV(app)->summary;
    return s && *s ? lc_xstrdup(s) : NULL;
}

char *ui_diff_take_reverted(lc_app *app)
{
    lc_buf *r = &DV(app)->reverted;
    return r->len ? lc_buf_detach(r) : NULL;
}

static void diff_open(lc_app *app, ui_pane *p)
{
    (void)app;
    ui_diffview *dv = lc_xcalloc(1, sizeof *dv);
    dv->match = SIZE_MAX;
    p->data = dv;
    p->sc.follow = false;
}

static void diff_close(lc_app *app, ui_pane *p)
{
    (void)app;
    ui_diffview *dv = p->data;
    free(dv->rows);
    free(dv->items);
    lc_strv_free(&dv->skipped);
    lc_strv_free(&dv->changed);
    ui_lines_free(&dv->notes);
    free(dv->summary);
    free(dv->pattern);
    free(dv->prompt_path);
    lc_buf_free(&dv->reverted);
    free(dv);
    p->data = NULL;
}

/* A step ended: the shadow copy may have changed. */
static void diff_event(lc_app *app, ui_pane *p, const ui_event *e)
{
    (void)p;
    if (e->kind == LC_EV_STEP_RESULT)
        ui_diff_refresh(app);
}

/* ---- drawing ----------------------------------------------------------------- */

static char file_mark(lc_diff *d, size_t fi, const lc_diff_file *f)
{
    if (f->whole_only || f->nhunks == 0)
        return lc_diff_selected(d, fi, LC_DIFF_WHOLE) ? 'x' : ' ';
    size_t changed = 0, on = lc_diff_file_selection(d, fi, &changed);
    return on == 0 ? ' ' : on == changed ? 'x' : '~';
}

static char hunk_mark(lc_diff *d, size_t fi, size_t h)
{
    size_t changed = 0, on = lc_diff_hunk_selection(d, fi, h, &changed);
    return on == 0 ? ' ' : on == changed ? 'x' : '~';
}

static void draw_row(lc_app *app, int y, ui_rect r, size_t ri)
{
    lc_diff *d = D(app);
    const ui_drow *row = &DV(app)->rows[ri];
    const lc_diff_file *f = lc_diff_file_at(d, row->file);
    if (!f)
        return;
    bool cur = ri == DV(app)->cur;
    attr_t *A = app->theme.attr;
    if (row->hunk == NO_HUNK) {
        attr_t at = cur ? A[UI_R_CURSOR] : A[UI_R_DIFF_FILE];
        if (cur)
            ui_fill(app, y, r.x, r.w, at);
        char kind[16];
        snprintf(kind, sizeof kind, "%c", (char)f->status);
        lc_buf flags = LC_BUF_INIT;
        if (f->binary)
            lc_buf_puts(&flags, " binary");
        if (f->symlink)
            lc_buf_puts(&flags, " symlink");
        if (f->too_large)
            lc_buf_puts(&flags, " too large to apply");
        else if (f->large)
            lc_buf_puts(&flags, " large: whole file only");
        if (f->old_mode && f->new_mode && f->old_mode != f->new_mode)
            lc_buf_printf(&flags, " mode %o->%o", f->old_mode, f->new_mode);
        if (f->base_lost)
            lc_buf_puts(&flags, " ORIGINAL CHANGED: apply refused");
        if (f->reserved)
            lc_buf_puts(&flags, " GIT-RESERVED NAME: never applied");
        if (lc_strv_contains(&DV(app)->changed, f->path))
            lc_buf_puts(&flags, " CHANGED SINCE YOU SELECTED IT: unselected");
        if (lc_config_reads_path(app->opts.cfg, app->opts.dir, f->path))
            lc_buf_puts(&flags, " !! READ BY LITECODE: changes later runs; applied only if you pick it");
        if (DV(app)->files_only && !whole_item(f)) {
            size_t sel = 0;
            for (size_t k = 0; k < f->nhunks; k++)
                sel += hunk_mark(d, row->file, k) != ' ';
            lc_buf_printf(&flags, "  %zu hunk%s, %zu selected", f->nhunks, f->nhunks == 1 ? "" : "s", sel);
        }
        /* A long path is shortened in the middle, so its end (the file's name) and the flags show. */
        lc_buf path = LC_BUF_INIT, shown = LC_BUF_INIT, rest = LC_BUF_INIT;
        lc_buf_printf(&rest, "  +%d -%d%s", f->added, f->removed, lc_buf_cstr(&flags));
        lc_text_sanitize(f->path, strlen(f->path), 0, &path);
        int room = r.w - 6 - ui_text_width(lc_buf_cstr(&rest), rest.len);
        ui_text_shorten_middle(lc_buf_cstr(&path), path.len, room > 16 ? room : 16, &shown);
        ui_draw_fmt(app, y, r.x, r.w, at, "[%c] %s %s%s", file_mark(d, row->file, f), kind, lc_buf_cstr(&shown),
                    lc_buf_cstr(&rest));
        lc_buf_free(&path);
        lc_buf_free(&shown);
        lc_buf_free(&rest);
        lc_buf_free(&flags);
        return;
    }
    const lc_diff_hunk *h = &f->hunks[row->hunk];
    if (row->line == NO_HUNK) {
        char mark = f->whole_only ? (lc_diff_selected(d, row->file, LC_DIFF_WHOLE) ? 'x' : ' ')
                                  : hunk_mark(d, row->file, row->hunk);
        attr_t at = cur ? A[UI_R_CURSOR] : mark != ' ' ? A[UI_R_SELECTED] : A[UI_R_DIFF_HUNK];
        if (cur)
            ui_fill(app, y, r.x, r.w, at);
        ui_draw_fmt(app, y, r.x, r.w, at, "  [%c] %s", mark, h->header);
        return;
    }
    const lc_diff_line *ln = &h->lines[row->line];
    if (DV(app)->line_mode && r.w > 4) {
        /* Line mode: a column of marks, the cursor's line pointed at. */
        bool on = ln->origin != ' ' && lc_diff_line_selected(d, row->file, row->hunk, row->line);
        attr_t at = cur ? A[UI_R_CURSOR] : on ? A[UI_R_SELECTED] : A[UI_R_DIFF_HUNK];
        ui_draw_fmt(app, y, r.x, 2, at, "%c%c", cur ? '>' : ' ', on ? 'x' : ' ');
        r.x += 2;
        r.w -= 2;
    }
    ui_diff_line_draw(app, y, r, f, ln, DV(app)->left, ui_diff_line_pair(h, row->line));
}

static void diff_draw(lc_app *app, ui_pane *p, ui_rect r)
{
    ui_diffview *dv = DV(app);
    if (!D(app)) {
        ui_draw_fmt(app, r.y, r.x, r.w, app->theme.attr[UI_R_INFO], "No diff review in this session.");
        return;
    }
    /* Results of the last action first, wrapped: conflicts must not scroll
     * away or be cut. At most a third of the pane. */
    int nn = 0, maxn = r.h / 3;
    for (size_t i = 0; i < dv->notes.n && nn < maxn; i++) {
        const ui_line *ln = &dv->notes.v[i];
        attr_t at = app->theme.attr[ln->role];
        size_t off = 0;
        do {
            size_t n = ui_wrap_fit(ln->s + off, ln->len - off, r.w - (off ? 3 : 0));
            ui_fill(app, r.y + nn, r.x, r.w, at);
            ui_draw_text(app, r.y + nn, r.x + (off ? 3 : 0), r.w - (off ? 3 : 0), ln->s + off, n, at);
            off += n;
            if (off < ln->len && ln->s[off] == ' ')
                off++;
            nn++;
        } while (off < ln->len && nn < maxn);
    }
    ui_rect body = {r.y + nn, r.x, r.h - nn, r.w};
    dv->notes_rows = nn;
    p->sc.height = body.h;
    if (dv->n == 0) {
        ui_draw_fmt(app, body.y, body.x, body.w, app->theme.attr[UI_R_INFO],
                    "No changes in the shadow copy%s.", dv->skipped.n ? " (skipped files hidden)" : "");
        return;
    }
    if (p->sc.top >= dv->n)
        p->sc.top = dv->n - 1;
    for (int y = 0; y < body.h && p->sc.top + (size_t)y < dv->n; y++)
        draw_row(app, body.y + y, body, p->sc.top + (size_t)y);
}

static void diff_subtitle(lc_app *app, ui_pane *p, char *out, size_t outsz)
{
    (void)p;
    lc_diff *d = D(app);
    if (!d) {
        out[0] = '\0';
        return;
    }
    size_t nf = 0, sel = 0;
    int add = 0, del = 0;
    for (size_t i = 0; i < lc_diff_count(d); i++) {
        const lc_diff_file *f = lc_diff_file_at(d, i);
        if (!in_view(app, i))
            continue;
        nf++;
        add += f->added;
        del += f->removed;
        if (file_mark(d, i, f) != ' ')
            sel++;
    }
    /* The column first: a narrow pane cuts the title's end. */
    char col[32] = "";
    if (DV(app)->left > 0)
        snprintf(col, sizeof col, "col +%d  ", DV(app)->left);
    char flt[96] = "";
    const ui_diffview *dv = DV(app);
    if ((dv->pattern && *dv->pattern) || dv->statuses[0])
        snprintf(flt, sizeof flt, "filter %s%s%s  ", dv->pattern && *dv->pattern ? dv->pattern : "*",
                 dv->statuses[0] ? " status=" : "", dv->statuses);
    char redo[32] = "";
    if (lc_diff_redo_depth(d) > 0)
        snprintf(redo, sizeof redo, "  redo %zu", lc_diff_redo_depth(d));
    snprintf(out, outsz, "%s%s%s%zu file%s +%d -%d  %zu selected  undo %zu%s", col, dv->line_mode ? "LINES  " : "",
             flt, nf, nf == 1 ? "" : "s", add, del, sel, lc_diff_undo_depth(d), redo);
}

/* ---- keys --------------------------------------------------------------------- */

static void keep_visible(lc_app *app, ui_pane *p)
{
    size_t h = p->sc.height > 2 ? (size_t)p->sc.height : 3;
    if (DV(app)->cur < p->sc.top)
        p->sc.top = DV(app)->cur;
    else if (DV(app)->cur >= p->sc.top + h - 1)
        p->sc.top = DV(app)->cur - (h / 3);
}

static void move_item(lc_app *app, int dir, bool files_only)
{
    ui_diffview *dv = DV(app);
    size_t k = item_index(dv, dv->cur); /* items[k] >= cur */
    if (dir > 0 && k < dv->nitems && dv->items[k] == dv->cur)
        k++;
    for (;;) {
        if (dir < 0 && k == 0)
            return;
        if (dir < 0)
            k--;
        if (k >= dv->nitems)
            return;
        const ui_drow *r = &dv->rows[dv->items[k]];
        if (!files_only || r->hunk == NO_HUNK) {
            dv->cur = dv->items[k];
            return;
        }
        if (dir > 0)
            k++;
    }
}

static void note_report(lc_app *app, const lc_diff_report *rep, const char *verb)
{
    ui_lines_clear(&DV(app)->notes);
    for (size_t i = 0; i < rep->n; i++) {
        const lc_diff_result *res = &rep->v[i];
        bool bad = res->outcome == LC_DIFF_CONFLICT || res->outcome == LC_DIFF_REFUSED ||
                   res->outcome == LC_DIFF_FAILED;
        const char *name = lc_diff_outcome_name(res->outcome);
        bool say = res->message && *res->message && strcmp(res->message, name) != 0;
        ui_lines_addf(&DV(app)->notes, bad ? UI_R_CONFLICT : UI_R_INFO, "%s %s: %s%s%s", bad ? "!!" : "ok",
                      res->path ? res->path : "?", name, say ? " - " : "", say ? res->message : "");
    }
    if (rep->n == 0)
        ui_lines_addf(&DV(app)->notes, UI_R_INFO, "%s: nothing to do", verb);
}

/* Selected hunks (a whole file counts once). */
static size_t count_selected(const lc_diff *d)
{
    size_t n = 0;
    for (size_t i = 0; i < lc_diff_count(d); i++) {
        const lc_diff_file *f = lc_diff_file_at(d, i);
        bool whole = f->whole_only || f->nhunks == 0;
        size_t changed = 0;
        for (size_t h = 0; h < (whole ? 1 : f->nhunks); h++)
            n += whole ? lc_diff_selected(d, i, LC_DIFF_WHOLE) : lc_diff_hunk_selection(d, i, h, &changed) > 0;
    }
    return n;
}

/* The session applies and records (lc_ui_writer): the UI only shows. */
static void do_apply(lc_app *app)
{
    const lc_ui_writer *w = &app->opts.writer;
    if (!w->apply) {
        ui_flash(app, "applying is not available here");
        return;
    }
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    size_t n = 0, ok = 0;
    int rc = w->apply(w->ctx, &rep, &n, &ok, &err);
    if (rc != LC_OK && rep.n == 0) { /* nothing was tried */
        ui_flash(app, "%s", err.msg);
        lc_diff_report_free(&rep);
        return;
    }
    if (n == 0) {
        ui_flash(app, "nothing selected: t selects a hunk, F applies a whole file");
        lc_diff_report_free(&rep);
        return;
    }
    note_report(app, &rep, "apply");
    ui_conv_addf(app, rc == LC_OK ? UI_R_INFO : UI_R_ERROR, "  applied %zu of %zu selected hunk%s%s%s", ok,
                 n, n == 1 ? "" : "s", rc == LC_OK ? "" : ": ", rc == LC_OK ? "" : err.msg);
    ui_flash(app, rc == LC_OK ? "applied to %s (u undoes)" : "some changes were not applied: see the Diffs pane",
             app->opts.dir ? app->opts.dir : "the project");
    lc_diff_report_free(&rep);
    ui_diff_reload(app);
}

static void do_revert(lc_app *app, const char *reason)
{
    lc_diff *d = D(app);
    size_t n = count_selected(d);
    if (n == 0) {
        ui_flash(app, "nothing selected: t selects the hunks to change back in the shadow");
        return;
    }
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    int rc = lc_diff_revert(d, &rep, &err);
    note_report(app, &rep, "revert");
    pthread_mutex_lock(&app->mu);
    size_t told = 0;
    for (size_t i = 0; i < rep.n; i++)
        if (rep.v[i].outcome == LC_DIFF_REVERTED) {
            lc_buf_printf(&DV(app)->reverted, "%s: %s\n", rep.v[i].path ? rep.v[i].path : "?",
                          rep.v[i].message ? rep.v[i].message : "reverted");
            told++;
        }
    if (told)
        lc_buf_printf(&DV(app)->reverted, "The user's reason for reverting: %s\n", reason);
    pthread_mutex_unlock(&app->mu);
    ui_conv_addf(app, rc == LC_OK ? UI_R_INFO : UI_R_ERROR,
                 "  reverted %zu hunk%s in the shadow (the agent is told)%s%s", n, n == 1 ? "" : "s",
                 rc == LC_OK ? "" : ": ", rc == LC_OK ? "" : err.msg);
    lc_diff_report_free(&rep);
    ui_diff_reload(app);
}

static void do_undo(lc_app *app)
{
    lc_diff *d = D(app);
    if (lc_diff_undo_depth(d) == 0) {
        ui_flash(app, "nothing to undo");
        return;
    }
    const lc_ui_writer *w = &app->opts.writer;
    if (!w->undo) {
        ui_flash(app, "undo is not available here");
        return;
    }
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    int rc = w->undo(w->ctx, &rep, &err);
    note_report(app, &rep, "undo");
    if (rc != LC_OK)
        ui_lines_addf(&DV(app)->notes, UI_R_CONFLICT, "!! %s", err.msg);
    ui_flash(app, rc == LC_OK ? "undone: the files are back as they were (U redoes)"
                              : "undo refused: see the Diffs pane");
    lc_diff_report_free(&rep);
    ui_diff_reload(app);
}

static void do_redo(lc_app *app)
{
    const lc_ui_writer *w = &app->opts.writer;
    if (!w->redo) {
        ui_flash(app, "redo is not available here");
        return;
    }
    if (lc_diff_redo_depth(D(app)) == 0) {
        ui_flash(app, "nothing to redo: U redoes an apply that u undid");
        return;
    }
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    int rc = w->redo(w->ctx, &rep, &err);
    note_report(app, &rep, "redo");
    if (rc != LC_OK)
        ui_lines_addf(&DV(app)->notes, UI_R_CONFLICT, "!! %s", err.msg);
    ui_flash(app, rc == LC_OK ? "redone: the apply is back in the project (u undoes)"
                              : "redo refused: see the Diffs pane");
    lc_diff_report_free(&rep);
    ui_diff_reload(app);
}

/* E: the hunk as a patch in $EDITOR (core/proc's runner), what the user saved
 * applied through the session (logged), the shadow brought to it, and the
 * engine's note for the model queued with the reverts. */
static void do_edit(lc_app *app, size_t fi, size_t hi)
{
    const lc_ui_writer *w = &app->opts.writer;
    if (!w->apply_edited) {
        ui_flash(app, "editing a hunk is not available here");
        return;
    }
    lc_err err = {0};
    lc_buf text = LC_BUF_INIT;
    if (lc_diff_hunk_text(D(app), fi, hi, &text, &err) != LC_OK) {
        ui_flash(app, "%s", err.msg);
        lc_buf_free(&text);
        return;
    }
    ui_term_paste_mode(app, false);
    def_prog_mode();
    endwin();
    char *edited = NULL;
    int rc = lc_edit_text(lc_buf_cstr(&text), "hunk.diff", 8 << 20, &edited, &err);
    reset_prog_mode();
    ui_term_paste_mode(app, true);
    clearok(curscr, TRUE);
    lc_buf_free(&text);
    if (rc != LC_OK) {
        ui_flash(app, "%s; nothing applied", err.msg);
        return;
    }
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_buf note = LC_BUF_INIT;
    rc = w->apply_edited(w->ctx, fi, hi, edited, strlen(edited), &rep, &note, &err);
    free(edited);
    note_report(app, &rep, "edit");
    if (rc != LC_OK)
        ui_lines_addf(&DV(app)->notes, UI_R_CONFLICT, "!! %s", err.msg);
    if (note.len) {
        pthread_mutex_lock(&app->mu);
        lc_buf_append(&DV(app)->reverted, note.data, note.len);
        if (note.data[note.len - 1] != '\n')
            lc_buf_putc(&DV(app)->reverted, '\n');
        pthread_mutex_unlock(&app->mu);
    }
    ui_conv_addf(app, rc == LC_OK ? UI_R_INFO : UI_R_ERROR, "  %s%s%s",
                 rc == LC_OK ? "applied your edited hunk (the agent is told)" : "the edited hunk was not applied",
                 rc == LC_OK ? "" : ": ", rc == LC_OK ? "" : err.msg);
    ui_flash(app, rc == LC_OK ? "applied as you edited it; the shadow has your version (u undoes)"
                              : "not applied: see the Diffs pane");
    lc_buf_free(&note);
    lc_diff_report_free(&rep);
    ui_diff_reload(app);
}

/* ---- line mode ------------------------------------------------------------ */

static bool changed_line_row(lc_app *app, size_t i)
{
    const ui_drow *r = &DV(app)->rows[i];
    if (r->hunk == NO_HUNK || r->line == NO_HUNK)
        return false;
    const lc_diff_file *f = lc_diff_file_at(D(app), r->file);
    return f && !f->whole_only && f->hunks[r->hunk].lines[r->line].origin != ' ';
}

/* The next (dir 1) or previous changed line from the cursor; false at the end. */
static bool move_line(lc_app *app, int dir)
{
    ui_diffview *dv = DV(app);
    for (size_t i = dv->cur; dir > 0 ? i + 1 < dv->n : i > 0;) {
        i = dir > 0 ? i + 1 : i - 1;
        if (changed_line_row(app, i)) {
            dv->cur = i;
            return true;
        }
    }
    return false;
}

static void line_mode(lc_app *app, const ui_drow *row, const lc_diff_file *f)
{
    ui_diffview *dv = DV(app);
    if (dv->line_mode) {
        dv->line_mode = false;
        while (dv->cur > 0 && !is_item(&dv->rows[dv->cur]))
            dv->cur--;
        return;
    }
    if (dv->files_only || !row || row->hunk == NO_HUNK || !f || f->whole_only) {
        ui_flash(app, "line mode works on a hunk: n goes to one%s", dv->files_only ? " (f shows the hunks)" : "");
        return;
    }
    size_t was = dv->cur;
    if (!move_line(app, 1)) {
        dv->cur = was;
        return;
    }
    dv->line_mode = true;
    ui_flash(app, "line mode: j/k go over changed lines, Space picks one, v leaves");
}

/* ---- the prompt (filter, revert and skip reasons) --------------------------- */

static void ask(lc_app *app, int kind, const char *text)
{
    ui_diffview *dv = DV(app);
    dv->prompt = kind;
    snprintf(dv->prompt_text, sizeof dv->prompt_text, "%s", text);
    ui_input_start(app, UI_IN_PANE, NULL);
}

const char *ui_diff_prompt(lc_app *app)
{
    return DV(app)->prompt_text;
}

static void set_filter(lc_app *app, const char *text)
{
    ui_diffview *dv = DV(app);
    char *t = lc_xstrdup(text);
    dv->statuses[0] = '\0';
    char *st = strstr(t, "status=");
    if (st && (st == t || st[-1] == ' ')) {
        size_t k = 0;
        for (const char *c = st + 7; *c && *c != ' '; c++) {
            char u = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
            if (!strchr("AMDT", u)) {
                ui_flash(app, "status=%s: the statuses are letters of A (added), M (modified), D (deleted), "
                              "T (type changed); the filter is unchanged", st + 7);
                free(t);
                return;
            }
            if (k + 1 < sizeof dv->statuses && !strchr(dv->statuses, u)) {
                dv->statuses[k++] = u;
                dv->statuses[k] = '\0';
            }
        }
        *st = '\0';
    }
    size_t len = strlen(t);
    while (len && t[len - 1] == ' ')
        t[--len] = '\0';
    char *p = t;
    while (*p == ' ')
        p++;
    free(dv->pattern);
    dv->pattern = *p ? lc_xstrdup(p) : NULL;
    free(t);
    size_t lost = unselect_hidden(app);
    dv->cur = 0;
    ui_diff_reload(app);
    size_t nf = 0;
    for (size_t i = 0; i < lc_diff_count(D(app)); i++)
        nf += in_view(app, i);
    if (!dv->pattern && !dv->statuses[0])
        ui_flash(app, "no filter: every file is shown");
    else
        ui_flash(app, "filter: %zu file%s shown%s", nf, nf == 1 ? "" : "s",
                 lost ? "; files outside it were unselected (nothing hidden is applied)" : "; + selects them all");
}

void ui_diff_prompt_done(lc_app *app, const char *text)
{
    ui_diffview *dv = DV(app);
    int kind = dv->prompt;
    dv->prompt = PR_NONE;
    const char *reason = *text ? text : "(no reason given)";
    if (kind == PR_FILTER) {
        set_filter(app, text);
    } else if (kind == PR_REVERT) {
        do_revert(app, reason);
    } else if (kind == PR_SKIP && dv->prompt_path) {
        /* The file asked about, wherever a refresh meanwhile put it. */
        size_t fi = 0;
        const lc_diff_file *f = NULL;
        for (size_t i = 0; !f && i < lc_diff_count(D(app)); i++)
            if (strcmp(lc_diff_file_at(D(app), i)->path, dv->prompt_path) == 0)
                f = lc_diff_file_at(D(app), fi = i);
        if (!f) {
            ui_flash(app, "that file is no longer in the review");
            return;
        }
        lc_diff_select(D(app), fi, LC_DIFF_WHOLE, false, NULL);
        lc_strv_push(&dv->skipped, f->path);
        pthread_mutex_lock(&app->mu);
        lc_buf_printf(&dv->reverted, "%s: the user declined this file's changes (not applied to the project; "
                                     "they stay in /workspace). The user's reason: %s\n", f->path, reason);
        pthread_mutex_unlock(&app->mu);
        ui_flash(app, "skipped %s: it stays in the shadow, not applied (the agent is told why)", f->path);
        ui_diff_reload(app);
    }
}

/* h and l move by half the text's width; l stops once the end of the
 * longest line on screen is in view. */
static void scroll_sideways(lc_app *app, ui_pane *p, ui_action a)
{
    ui_diffview *dv = DV(app);
    lc_diff *d = D(app);
    const lc_diff_file *cf = dv->cur < dv->n ? lc_diff_file_at(d, dv->rows[dv->cur].file) : NULL;
    int step = (p->rect.w - (cf ? ui_diff_gutter(cf) : 0)) / 2;
    if (step < 1)
        step = 1;
    if (a == UI_A_LINE_START || a == UI_A_LEFT) {
        dv->left = a == UI_A_LEFT && dv->left > step ? dv->left - step : 0;
        return;
    }
    int max = 0; /* the offset that shows the end of the longest line on screen */
    size_t h = p->sc.height > 0 ? (size_t)p->sc.height : 1;
    for (size_t i = p->sc.top; i < dv->n && i < p->sc.top + h; i++) {
        const ui_drow *row = &dv->rows[i];
        const lc_diff_file *f = lc_diff_file_at(d, row->file);
        if (!f || row->hunk == NO_HUNK || row->line == NO_HUNK)
            continue;
        int end = ui_diff_line_end_left(f, &f->hunks[row->hunk].lines[row->line], p->rect.w);
        if (end > max)
            max = end;
    }
    if (dv->left < max)
        dv->left = dv->left + step < max ? dv->left + step : max;
}

static unsigned diff_action(lc_app *app, ui_pane *p, ui_action a)
{
    ui_diffview *dv = DV(app);
    lc_diff *d = D(app);
    if (!d)
        return UI_IGNORED;
    const ui_drow *row = dv->cur < dv->n ? &dv->rows[dv->cur] : NULL;
    const lc_diff_file *f = row ? lc_diff_file_at(d, row->file) : NULL;
    lc_err err = {0};
    if (dv->line_mode && (a == UI_A_UP || a == UI_A_DOWN)) {
        move_line(app, a == UI_A_DOWN ? 1 : -1);
        keep_visible(app, p);
        return UI_HANDLED | UI_REDRAW;
    }
    if (dv->line_mode && a == UI_A_TOGGLE && row && row->line != NO_HUNK) {
        unmark(app, f->path);
        bool on = !lc_diff_line_selected(d, row->file, row->hunk, row->line);
        if (lc_diff_select_line(d, row->file, row->hunk, row->line, on, &err) != LC_OK)
            ui_flash(app, "%s", err.msg);
        move_line(app, 1);
        keep_visible(app, p);
        return UI_HANDLED | UI_REDRAW;
    }
    if (dv->line_mode && a != UI_A_LINE_MODE && a != UI_A_APPLY && a != UI_A_LEFT && a != UI_A_RIGHT &&
        a != UI_A_LINE_START) {
        line_mode(app, row, f); /* any other key leaves line mode first, the cursor on the hunk */
        row = dv->cur < dv->n ? &dv->rows[dv->cur] : NULL;
    }
    switch (a) {
    case UI_A_NEXT_HUNK:
    case UI_A_PREV_HUNK:
        move_item(app, a == UI_A_NEXT_HUNK ? 1 : -1, dv->files_only);
        break;
    case UI_A_NEXT_FILE:
    case UI_A_PREV_FILE:
        move_item(app, a == UI_A_NEXT_FILE ? 1 : -1, true);
        break;
    case UI_A_TOGGLE:
        if (!f)
            return UI_HANDLED;
        unmark(app, f->path);
        if (row->hunk == NO_HUNK || f->whole_only) {
            bool on = file_mark(d, row->file, f) != 'x';
            if (f->whole_only || f->nhunks == 0)
                lc_diff_select(d, row->file, LC_DIFF_WHOLE, on, &err);
            else
                for (size_t h = 0; h < f->nhunks; h++)
                    lc_diff_select(d, row->file, h, on, &err);
            if (dv->files_only)
                move_item(app, 1, true);
        } else {
            bool on = !lc_diff_selected(d, row->file, row->hunk);
            lc_diff_select(d, row->file, row->hunk, on, &err);
            move_item(app, 1, false); /* like a checklist: on to the next */
        }
        if (err.code)
            ui_flash(app, "%s", err.msg);
        break;
    case UI_A_LINE_MODE:
        line_mode(app, row, f);
        break;
    case UI_A_SPLIT: {
        if (!row || row->hunk == NO_HUNK || !f || f->whole_only) {
            ui_flash(app, "split works on a hunk: n goes to one");
            return UI_HANDLED | UI_REDRAW;
        }
        size_t pieces = 0;
        if (lc_diff_split(d, row->file, row->hunk, &pieces, &err) != LC_OK)
            ui_flash(app, "%s", err.msg);
        else if (pieces <= 1)
            ui_flash(app, "this hunk is one run of changes: v then Space picks single lines");
        else
            ui_flash(app, "split into %zu hunks", pieces);
        ui_diff_reload(app);
        break;
    }
    case UI_A_EDIT_HUNK:
        if (!row || row->hunk == NO_HUNK || !f || f->whole_only) {
            ui_flash(app, "E edits a hunk: n goes to one (a whole-file change cannot be edited)");
            return UI_HANDLED | UI_REDRAW;
        }
        do_edit(app, row->file, row->hunk);
        break;
    case UI_A_LIKE: {
        if (!row || row->hunk == NO_HUNK || !f || f->whole_only) {
            ui_flash(app, "= works on a hunk: it selects every hunk with the same change");
            return UI_HANDLED | UI_REDRAW;
        }
        bool on = !lc_diff_selected(d, row->file, row->hunk);
        /* Counted as what changed in view: hunks out of sight are unselected again. */
        size_t total = 0;
        for (size_t i = 0; i < lc_diff_count(d); i++)
            total += lc_diff_file_at(d, i)->nhunks;
        bool *was = lc_xcalloc(total + 1, 1);
        for (size_t i = 0, k = 0; i < lc_diff_count(d); i++)
            for (size_t h = 0; h < lc_diff_file_at(d, i)->nhunks; h++)
                was[k++] = lc_diff_selected(d, i, h);
        size_t *before = selection_before(app);
        lc_diff_select_like(d, row->file, row->hunk, on);
        size_t hidden = unselect_hidden(app), n = 0;
        unmark_reselected(app, before);
        for (size_t i = 0, k = 0; i < lc_diff_count(d); i++) {
            bool seen = in_view(app, i);
            for (size_t h = 0; h < lc_diff_file_at(d, i)->nhunks; h++, k++)
                n += seen && lc_diff_selected(d, i, h) == on && was[k] != on;
        }
        free(was);
        if (n == 0) {
            ui_flash(app, "every hunk in view with this change was already %s", on ? "selected" : "unselected");
            break;
        }
        ui_flash(app, "%s %zu hunk%s with this change%s", on ? "selected" : "unselected", n, n == 1 ? "" : "s",
                 hidden ? " (files outside the filter or skipped left out)" : "");
        break;
    }
    case UI_A_SELECT_ALL:
    case UI_A_SELECT_NONE:
    case UI_A_INVERT: {
        lc_diff_filter flt = filter_of(dv);
        size_t *before = selection_before(app);
        size_t n = lc_diff_select_bulk(d, &flt, a == UI_A_SELECT_ALL ? LC_DIFF_BULK_ALL
                                                : a == UI_A_SELECT_NONE ? LC_DIFF_BULK_NONE
                                                                        : LC_DIFF_BULK_INVERT);
        unselect_hidden(app);
        unmark_reselected(app, before);
        ui_flash(app, "%s %zu file%s%s", a == UI_A_SELECT_ALL ? "selected" : a == UI_A_SELECT_NONE ? "unselected"
                                                                                        : "inverted",
                 n, n == 1 ? "" : "s", a == UI_A_SELECT_NONE ? "" : ": A applies the selection");
        break;
    }
    case UI_A_FILTER: {
        char cur[160];
        snprintf(cur, sizeof cur, "Filter: path pattern, then status=AMDT (now: %s%s%s; empty: all): ",
                 dv->pattern ? dv->pattern : "*", dv->statuses[0] ? " status=" : "", dv->statuses);
        ask(app, PR_FILTER, cur);
        return UI_HANDLED | UI_REDRAW;
    }
    case UI_A_FILE_LIST:
        dv->files_only = !dv->files_only;
        ui_diff_reload(app);
        if (dv->files_only)
            ui_flash(app, "file list: Space picks a file, & filters, + - ~ select, f shows the hunks");
        break;
    case UI_A_REDO:
        do_redo(app);
        break;
    case UI_A_APPLY:
        do_apply(app);
        break;
    case UI_A_APPLY_FILE:
        if (!f)
            return UI_HANDLED;
        lc_diff_select_all(d, false);
        if (lc_diff_select(d, row->file, LC_DIFF_WHOLE, true, &err) != LC_OK)
            ui_flash(app, "%s", err.msg);
        else
            do_apply(app);
        break;
    case UI_A_SKIP_FILE:
        if (!f)
            return UI_HANDLED;
        free(dv->prompt_path);
        dv->prompt_path = lc_xstrdup(f->path);
        ask(app, PR_SKIP, "Why skip this file? The agent reads it (Enter skips, Esc cancels): ");
        return UI_HANDLED | UI_REDRAW;
    case UI_A_REVERT:
        if (count_selected(d) == 0) {
            ui_flash(app, "nothing selected: t selects the hunks to change back in the shadow");
            return UI_HANDLED | UI_REDRAW;
        }
        ask(app, PR_REVERT, "Why revert? The agent reads it (Enter reverts, Esc cancels): ");
        return UI_HANDLED | UI_REDRAW;
    case UI_A_UNDO:
        do_undo(app);
        break;
    case UI_A_REFRESH:
        ui_lines_clear(&dv->notes);
        ui_diff_refresh(app);
        break;
    case UI_A_LEFT:
    case UI_A_RIGHT:
    case UI_A_LINE_START:
        scroll_sideways(app, p, a);
        return UI_HANDLED | UI_REDRAW;
    default: {
        unsigned r = ui_scroll_key(&p->sc, dv->n, a);
        p->sc.follow = false;
        if (a == UI_A_BOTTOM) {
            size_t h = p->sc.height > 0 ? (size_t)p->sc.height : 1;
            p->sc.top = dv->n > h ? dv->n - h : 0;
        }
        /* The cursor follows the view to the first item on screen. */
        if (r && (dv->cur < p->sc.top || dv->cur >= p->sc.top + (size_t)(p->sc.height > 0 ? p->sc.height : 1))) {
            size_t k = item_index(dv, p->sc.top < dv->n ? p->sc.top : 0);
            if (k < dv->nitems)
                dv->cur = dv->items[k];
        }
        return r;
    }
    }
    keep_visible(app, p);
    return UI_HANDLED | UI_REDRAW;
}

static unsigned diff_key(lc_app *app, ui_pane *p, ui_action a, int key)
{
    (void)key;
    ui_diffview *dv = DV(app);
    if (!D(app))
        return UI_IGNORED;
    const lc_diff_file *f = dv->cur < dv->n ? lc_diff_file_at(D(app), dv->rows[dv->cur].file) : NULL;
    char *was = dv->left > 0 && f ? lc_xstrdup(f->path) : NULL;
    unsigned r = diff_action(app, p, a);
    if (was)
        reset_left_if_moved(app, was);
    free(was);
    return r;
}

/* The row's text as the search sees it: a path, a hunk header, a line. */
static const char *row_text(lc_app *app, const ui_drow *row, size_t *len)
{
    const lc_diff_file *f = lc_diff_file_at(D(app), row->file);
    const char *t = !f ? "" : row->hunk == NO_HUNK ? f->path : row->line == NO_HUNK ? f->hunks[row->hunk].header : NULL;
    if (t) {
        *len = strlen(t);
        return t;
    }
    const lc_diff_line *ln = &f->hunks[row->hunk].lines[row->line];
    *len = ln->len;
    return ln->text;
}

/* A match puts the cursor on its file or hunk and the row a third down the pane. */
static bool diff_search(lc_app *app, ui_pane *p, const char *pat, int dir)
{
    ui_diffview *dv = DV(app);
    if (!D(app) || dv->n == 0)
        return false;
    size_t start = dv->match < dv->n ? dv->match : dv->cur < dv->n ? dv->cur : 0;
    for (size_t k = 1; k <= dv->n; k++) {
        size_t i = dir > 0 ? (start + k) % dv->n : (start + dv->n - k % dv->n) % dv->n, len = 0;
        const char *t = row_text(app, &dv->rows[i], &len);
        if (!ui_text_find(t, len, pat))
            continue;
        dv->match = i;
        dv->cur = i;
        while (dv->cur > 0 && !is_item(&dv->rows[dv->cur]))
            dv->cur--;
        size_t third = p->sc.height > 3 ? (size_t)p->sc.height / 3 : 0;
        p->sc.top = i > third ? i - third : 0;
        if (dv->cur < p->sc.top)
            p->sc.top = dv->cur;
        p->sc.follow = false;
        return true;
    }
    return false;
}

/* The hunk under the cursor, or on a file's row all of its hunks, as a
 * unified diff (sanitized: the text is shown and copied, never run). */
static void diff_copy(lc_app *app, ui_pane *p, lc_buf *out, const char **what)
{
    (void)p;
    ui_diffview *dv = DV(app);
    const ui_drow *row = D(app) && dv->cur < dv->n ? &dv->rows[dv->cur] : NULL;
    const lc_diff_file *f = row ? lc_diff_file_at(D(app), row->file) : NULL;
    if (!f)
        return;
    lc_buf raw = LC_BUF_INIT;
    lc_buf_printf(&raw, "--- a/%s\n+++ b/%s\n", f->path, f->path);
    for (size_t h = 0; h < f->nhunks; h++) {
        if (row->hunk != NO_HUNK && h != row->hunk)
            continue;
        lc_buf_printf(&raw, "%s\n", f->hunks[h].header);
        for (size_t k = 0; k < f->hunks[h].nlines; k++) {
            const lc_diff_line *ln = &f->hunks[h].lines[k];
            lc_buf_putc(&raw, ln->origin);
            lc_buf_append(&raw, ln->text, ln->len);
            lc_buf_puts(&raw, ln->no_newline ? "\n\\ No newline at end of file\n" : "\n");
        }
    }
    lc_text_sanitize(raw.data, raw.len, LC_SAN_KEEP_NEWLINE | LC_SAN_KEEP_TAB, out);
    lc_buf_free(&raw);
    *what = row->hunk == NO_HUNK ? "the file's diff" : "the hunk";
}

/* A click puts the cursor on the file or hunk of the row clicked. */
static void diff_click(lc_app *app, ui_pane *p, int y)
{
    ui_diffview *dv = DV(app);
    if (!D(app) || y < dv->notes_rows)
        return;
    size_t ri = p->sc.top + (size_t)(y - dv->notes_rows);
    if (ri >= dv->n)
        return;
    while (ri > 0 && !is_item(&dv->rows[ri]))
        ri--;
    dv->cur = ri;
}

const ui_pane_ops ui_diff_ops = {
    .title = "Diffs",
    .scope = UI_SC_DIFF,
    .open = diff_open,
    .close = diff_close,
    .draw = diff_draw,
    .key = diff_key,
    .subtitle = diff_subtitle,
    .event = diff_event,
    .search = diff_search,
    .copy = diff_copy,
    .click = diff_click,
};
