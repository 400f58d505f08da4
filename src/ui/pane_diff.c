/* The diff review: the shadow's changed files, then each file's hunks. The
 * lc_diff is the model (the UI thread alone touches it); this pane keeps a
 * flat index of rows over it so a 100,000-line diff draws only the rows on
 * screen. Applied hunks leave the view because apply refreshes the model;
 * conflicts and refusals stay listed at the top of the pane until the next
 * action. Applies and undos go to the session log. */
#include <stdlib.h>
#include <string.h>

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
    size_t cur;        /* row of the cursor (a file or hunk header) */
    int left;          /* columns of the lines' text scrolled off to the left */
    lc_strv skipped;   /* paths the user skipped */
    lc_strv changed;   /* paths the agent changed after the user selected something of them */
    ui_lines notes;    /* results of the last apply/revert/undo, conflicts first */
    char *summary;     /* for the agent's workspace hook */
    lc_buf reverted;   /* reverted since the agent last asked */
    size_t match;      /* row of the last search match (search from there); SIZE_MAX: none */
    int notes_rows;    /* rows the notes took at the top at the last draw (for clicks) */
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
    dv->rows[dv->n++] = (ui_drow){f, h, l};
}

static bool is_item(const ui_drow *r) { return r->line == NO_HUNK; }

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
    dv->match = SIZE_MAX;
    size_t nf = d ? lc_diff_count(d) : 0;
    size_t newcur = 0;
    bool found = false;
    for (size_t i = 0; i < nf; i++) {
        const lc_diff_file *f = lc_diff_file_at(d, i);
        if (lc_strv_contains(&dv->skipped, f->path))
            continue;
        bool same = cur_path && strcmp(cur_path, f->path) == 0;
        if (same && !found) {
            newcur = dv->n;
            found = true;
        }
        push_row(dv, (uint32_t)i, NO_HUNK, NO_HUNK);
        for (size_t h = 0; h < f->nhunks; h++) {
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

static void remember_selection(lc_diff *d, lc_strv *keep, lc_strv *paths)
{
    lc_strv keys = LC_STRV_INIT;
    for (size_t i = 0; i < lc_diff_count(d); i++) {
        const lc_diff_file *f = lc_diff_file_at(d, i);
        bool whole = whole_item(f), any = false;
        for (size_t h = 0; h < (whole ? 1 : f->nhunks); h++)
            any = any || lc_diff_selected(d, i, whole ? LC_DIFF_WHOLE : h);
        if (!any)
            continue;
        lc_strv_clear(&keys);
        file_keys(d, i, &keys);
        for (size_t h = 0; h < keys.n; h++)
            if (lc_diff_selected(d, i, whole ? LC_DIFF_WHOLE : h))
                lc_strv_push(keep, keys.v[h]);
        lc_strv_push(paths, f->path);
    }
    lc_strv_free(&keys);
}

static void restore_selection(lc_app *app, lc_diff *d, const lc_strv *keep, const lc_strv *paths)
{
    lc_err err = {0};
    lc_strv keys = LC_STRV_INIT;
    for (size_t i = 0; paths->n && i < lc_diff_count(d); i++) {
        const lc_diff_file *f = lc_diff_file_at(d, i);
        if (!lc_strv_contains(paths, f->path))
            continue;
        bool whole = whole_item(f);
        size_t found = 0;
        lc_strv_clear(&keys);
        file_keys(d, i, &keys);
        for (size_t h = 0; h < keys.n; h++)
            if (lc_strv_contains(keep, keys.v[h]) &&
                lc_diff_select(d, i, whole ? LC_DIFF_WHOLE : h, true, &err) == LC_OK)
                found++;
        /* Something of this file was selected and not everything of it came back as it was. */
        size_t had = 0;
        size_t plen = strlen(f->path);
        for (size_t k = 0; k < keep->n; k++)
            had += strncmp(keep->v[k], f->path, plen) == 0 && keep->v[k][plen] == '\n';
        if (found < had && !lc_strv_contains(&DV(app)->changed, f->path)) {
            lc_strv_push(&DV(app)->changed, f->path);
            ui_lines_addf(&DV(app)->notes, UI_R_CONFLICT,
                          "!! %s: the agent changed it after you selected it; what changed is unselected, "
                          "look at it again", f->path);
        }
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
    lc_strv keep = LC_STRV_INIT, paths = LC_STRV_INIT;
    remember_selection(d, &keep, &paths);
    if (lc_diff_refresh(d, &err) != LC_OK)
        ui_lines_addf(&DV(app)->notes, UI_R_ERROR, "refreshing the diff: %s", err.msg);
    restore_selection(app, d, &keep, &paths);
    lc_strv_free(&keep);
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
    lc_strv_free(&dv->skipped);
    lc_strv_free(&dv->changed);
    ui_lines_free(&dv->notes);
    free(dv->summary);
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
    size_t on = 0;
    for (size_t h = 0; h < f->nhunks; h++)
        on += lc_diff_selected(d, fi, h);
    return on == 0 ? ' ' : on == f->nhunks ? 'x' : '~';
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
        bool sel = lc_diff_selected(d, row->file, f->whole_only ? LC_DIFF_WHOLE : row->hunk);
        attr_t at = cur ? A[UI_R_CURSOR] : sel ? A[UI_R_SELECTED] : A[UI_R_DIFF_HUNK];
        if (cur)
            ui_fill(app, y, r.x, r.w, at);
        ui_draw_fmt(app, y, r.x, r.w, at, "  [%c] %s", sel ? 'x' : ' ', h->header);
        return;
    }
    ui_diff_line_draw(app, y, r, f, &h->lines[row->line], DV(app)->left, ui_diff_line_pair(h, row->line));
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
        if (lc_strv_contains(&DV(app)->skipped, f->path))
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
    snprintf(out, outsz, "%s%zu file%s +%d -%d  %zu selected  undo %zu", col, nf, nf == 1 ? "" : "s", add, del,
             sel, lc_diff_undo_depth(d));
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
    size_t i = dv->cur;
    while (dir > 0 ? i + 1 < dv->n : i > 0) {
        i = dir > 0 ? i + 1 : i - 1;
        const ui_drow *r = &dv->rows[i];
        if (files_only ? r->hunk == NO_HUNK : is_item(r)) {
            dv->cur = i;
            return;
        }
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
        for (size_t h = 0; h < (whole ? 1 : f->nhunks); h++)
            n += lc_diff_selected(d, i, whole ? LC_DIFF_WHOLE : h);
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

static void do_revert(lc_app *app)
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
    for (size_t i = 0; i < rep.n; i++)
        if (rep.v[i].outcome == LC_DIFF_REVERTED)
            lc_buf_printf(&DV(app)->reverted, "%s: %s\n", rep.v[i].path ? rep.v[i].path : "?",
                          rep.v[i].message ? rep.v[i].message : "reverted");
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
    ui_flash(app, rc == LC_OK ? "undone: the files are back as they were" : "undo refused: see the Diffs pane");
    lc_diff_report_free(&rep);
    ui_diff_reload(app);
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
    switch (a) {
    case UI_A_NEXT_HUNK:
    case UI_A_PREV_HUNK:
        move_item(app, a == UI_A_NEXT_HUNK ? 1 : -1, false);
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
        } else {
            bool on = !lc_diff_selected(d, row->file, row->hunk);
            lc_diff_select(d, row->file, row->hunk, on, &err);
            move_item(app, 1, false); /* like a checklist: on to the next */
        }
        if (err.code)
            ui_flash(app, "%s", err.msg);
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
        lc_diff_select(d, row->file, LC_DIFF_WHOLE, false, &err);
        lc_strv_push(&dv->skipped, f->path);
        ui_flash(app, "skipped %s: it stays in the shadow, not applied", f->path);
        ui_diff_reload(app);
        break;
    case UI_A_REVERT:
        do_revert(app);
        break;
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
            size_t i = p->sc.top < dv->n ? p->sc.top : 0;
            while (i < dv->n && !is_item(&dv->rows[i]))
                i++;
            if (i < dv->n)
                dv->cur = i;
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
