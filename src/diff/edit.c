/* Edit before applying (`git add -p`'s `e`): the hunk as text for $EDITOR,
 * and the user's saved version applied to the original (through the same
 * journaled apply, so it merges and undoes like any other) and to the
 * shadow, so the agent goes on from the user's version and is told how it
 * differs from its own. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "diff/diff_int.h"

int lc_diff_hunk_text(const lc_diff *d, size_t file, size_t hunk, lc_buf *out, lc_err *err)
{
    if (!d || file >= d->nfiles)
        return lc_err_set(err, LC_EINVAL, "no changed file number %zu", file);
    const dfile *f = &d->files[file];
    if (f->pub.whole_only || hunk >= f->pub.nhunks)
        return lc_err_set(err, LC_EINVAL, "%s has no hunk number %zu that can be edited (whole file only)",
                          f->path, hunk);
    const lc_diff_hunk *hk = &f->hunks[hunk];
    lc_buf_puts(out, "# Edit this hunk of ");
    lc_text_sanitize(f->path, strlen(f->path), 0, out);
    lc_buf_puts(out, ", then save and quit; what you save is applied.\n"
                     "# To keep a line the agent removed, turn its '-' into ' ' (a space).\n"
                     "# To leave out a line the agent added, delete it. Change or add '+' lines at will.\n"
                     "# Leave ' ' and '-' lines as they are. Lines starting with # are removed.\n"
                     "# Save an empty file (or quit without saving) to apply nothing.\n");
    lc_buf_puts(out, hk->header);
    lc_buf_putc(out, '\n');
    for (size_t i = 0; i < hk->nlines; i++) {
        const lc_diff_line *l = &hk->lines[i];
        lc_buf_putc(out, l->origin);
        lc_buf_append(out, l->text, l->len);
        lc_buf_putc(out, '\n');
        if (l->no_newline)
            lc_buf_puts(out, "\\ No newline at end of file\n");
    }
    return LC_OK;
}

typedef struct eline {
    char origin;
    const char *text;
    size_t len;
    bool no_newline;
} eline;

/* Parses the user's text into lines; an error names the line. */
static int parse_edit(const char *text, size_t len, eline **out, size_t *n, lc_err *err)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0, lineno = 0;
    for (size_t s = 0; s < len;) {
        const char *nl = memchr(text + s, '\n', len - s);
        size_t e = nl ? (size_t)(nl - text) : len;
        const char *p = text + s;
        size_t l = e - s;
        s = nl ? e + 1 : len;
        lineno++;
        if (l && p[0] == '#')
            continue;
        if (l >= 2 && p[0] == '@' && p[1] == '@')
            continue; /* the header: counts are worked out again */
        if (l && p[0] == '\\') {
            if (!*n)
                return lc_err_set(err, LC_EINVAL, "line %zu of your edit: a \"\\ No newline\" marker "
                                  "before any line", lineno);
            (*out)[*n - 1].no_newline = true;
            continue;
        }
        char origin = l ? p[0] : ' '; /* an empty line is an empty context line, as for git */
        if (origin != ' ' && origin != '-' && origin != '+')
            return lc_err_set(err, LC_EINVAL, "line %zu of your edit starts with '%c': each line must "
                              "start with ' ', '-', '+' or '#'; nothing was applied", lineno,
                              (unsigned char)origin >= 0x20 && (unsigned char)origin < 0x7f ? origin : '?');
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            *out = lc_xrealloc(*out, cap * sizeof **out);
        }
        (*out)[(*n)++] = (eline){origin, l ? p + 1 : p, l ? l - 1 : 0, false};
    }
    return LC_OK;
}

static void put_eline(lc_buf *b, const char *text, size_t len, bool no_newline)
{
    lc_buf_append(b, text, len);
    if (!no_newline)
        lc_buf_putc(b, '\n');
}

/* Byte offset where line `line` (0-based) of buf starts; buf->len past the end. */
static size_t line_offset(const lc_buf *buf, size_t line)
{
    size_t off = 0;
    for (size_t i = 0; i < line && off < buf->len; i++) {
        const char *nl = memchr(buf->data + off, '\n', buf->len - off);
        off = nl ? (size_t)(nl - buf->data) + 1 : buf->len;
    }
    return off;
}

/* Appends lines [from, to) of buf; to may be (size_t)-1 for the end. */
static void put_range(lc_buf *b, const lc_buf *buf, size_t from, size_t to)
{
    size_t s = line_offset(buf, from), e = to == (size_t)-1 ? buf->len : line_offset(buf, to);
    if (e > s)
        lc_buf_append(b, buf->data + s, e - s);
}

/* The diff from the agent's lines to the user's, for the model. */
static void describe_edit(const char *path, const lc_diff_hunk *hk, const lc_buf *agent, const lc_buf *user,
                          lc_buf *note)
{
    bool same = agent->len == user->len && (!agent->len || memcmp(agent->data, user->data, agent->len) == 0);
    if (same) {
        lc_buf_printf(note, "The user applied your change to %s (%s) as it was.\n", path, hk->header);
        return;
    }
    lc_buf_printf(note, "The user applied your change to %s (%s) with edits: the file in the workspace now "
                        "has their version. From your lines to theirs:\n", path, hk->header);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
    git_diff_options o = GIT_DIFF_OPTIONS_INIT;
#pragma GCC diagnostic pop
    o.flags |= GIT_DIFF_FORCE_TEXT;
    git_patch *patch = NULL;
    git_buf out = {0};
    if (git_patch_from_buffers(&patch, agent->data ? agent->data : "", agent->len, "yours",
                               user->data ? user->data : "", user->len, "theirs", &o) == 0 &&
        git_patch_to_buf(&out, patch) == 0 && out.ptr) {
        const char *at = strstr(out.ptr, "\n@@ ");
        if (at) {
            lc_buf_puts(note, "--- your version\n+++ the user's version\n");
            lc_buf_append(note, at + 1, out.size - (size_t)(at + 1 - out.ptr));
        }
    }
    git_buf_dispose(&out);
    git_patch_free(patch);
}

int lc_diff_apply_edited(lc_diff *d, size_t file, size_t hunk, const char *text, size_t len,
                         lc_diff_report *rep, lc_buf *note, lc_err *err)
{
    if (!d || file >= d->nfiles)
        return lc_err_set(err, LC_EINVAL, "no changed file number %zu", file);
    dfile *f = &d->files[file];
    if (f->pub.whole_only || f->unloaded || hunk >= f->pub.nhunks)
        return lc_err_set(err, LC_EINVAL, "%s has no hunk number %zu that can be edited (whole file only)",
                          f->path, hunk);
    const lc_diff_hunk *hk = &f->hunks[hunk];
    eline *ev;
    size_t en;
    int rc = parse_edit(text, len, &ev, &en, err);
    if (rc == LC_OK && !en)
        rc = lc_err_set(err, LC_EINVAL, "your edit is empty: nothing was applied");
    /* The old side must still be the hunk's: ' ' and '-' lines in order, byte for byte. */
    size_t oi = 0, k = 0;
    for (size_t i = 0; rc == LC_OK && i < en; i++) {
        if (ev[i].origin == '+')
            continue;
        while (oi < hk->nlines && hk->lines[oi].origin == '+')
            oi++;
        const lc_diff_line *l = oi < hk->nlines ? &hk->lines[oi++] : NULL;
        k++;
        if (!l || l->len != ev[i].len || (l->len && memcmp(l->text, ev[i].text, l->len) != 0) ||
            (l->no_newline != ev[i].no_newline && ev[i].origin == '-'))
            rc = lc_err_set(err, LC_EINVAL, "your edit changed the original's line %zu of this hunk (a ' ' or "
                            "'-' line): only '+' lines may be changed, added or deleted; nothing was applied", k);
    }
    while (rc == LC_OK && oi < hk->nlines && hk->lines[oi].origin == '+')
        oi++;
    if (rc == LC_OK && oi != hk->nlines)
        rc = lc_err_set(err, LC_EINVAL, "your edit deleted lines of the original (' ' or '-' lines); turn a "
                        "'-' into ' ' to keep a line instead; nothing was applied");
    /* The user's lines: context and '+'; only the file's last line may lack its newline. */
    lc_buf mine = LC_BUF_INIT, agents = LC_BUF_INIT;
    size_t nold_file = 0;
    for (size_t i = 0; i < f->old.len; i++)
        nold_file += f->old.data[i] == '\n';
    if (f->old.len && f->old.data[f->old.len - 1] != '\n')
        nold_file++;
    int ostart = hk->old_lines ? hk->old_start - 1 : hk->old_start;
    bool at_end = (size_t)(ostart + hk->old_lines) >= nold_file;
    for (size_t i = 0; rc == LC_OK && i < en; i++) {
        if (ev[i].origin == '-')
            continue;
        if (mine.len && mine.data[mine.len - 1] != '\n')
            rc = lc_err_set(err, LC_EINVAL, "your edit has a line without a newline before other lines; "
                            "nothing was applied");
        else
            put_eline(&mine, ev[i].text, ev[i].len, ev[i].no_newline);
    }
    if (rc == LC_OK && mine.len && mine.data[mine.len - 1] != '\n' && !at_end)
        rc = lc_err_set(err, LC_EINVAL, "your edit leaves a line without a newline before the rest of the "
                        "file; nothing was applied");
    for (size_t i = 0; i < hk->nlines; i++)
        if (hk->lines[i].origin != '-')
            put_eline(&agents, hk->lines[i].text, hk->lines[i].len, hk->lines[i].no_newline);
    free(ev);
    if (rc != LC_OK) {
        lc_buf_free(&mine);
        lc_buf_free(&agents);
        return rc;
    }
    /* The original's new text: the base with this hunk replaced by the user's lines. */
    lc_buf *res = lc_xcalloc(1, sizeof *res);
    put_range(res, &f->old, 0, (size_t)ostart);
    lc_buf_append(res, mine.data ? mine.data : "", mine.len);
    put_range(res, &f->old, (size_t)(ostart + hk->old_lines), (size_t)-1);
    if (!res->data)
        lc_buf_append(res, "", 0);
    /* The shadow's new text: the agent's file with the same hunk replaced. */
    int nstart = hk->new_lines ? hk->new_start - 1 : hk->new_start;
    lc_buf shadow = LC_BUF_INIT;
    put_range(&shadow, &f->new, 0, (size_t)nstart);
    lc_buf_append(&shadow, mine.data ? mine.data : "", mine.len);
    put_range(&shadow, &f->new, (size_t)(nstart + hk->new_lines), (size_t)-1);
    if (!shadow.data)
        lc_buf_append(&shadow, "", 0);
    char *path = lc_xstrdup(f->path);
    dstate expect = {DK_FILE, f->new_mode_full, ""};
    dfi_oid_of(f->new.data, f->new.len, expect.oid);
    unsigned mode = f->new_mode_full;
    lc_buf words = LC_BUF_INIT;
    describe_edit(path, hk, &agents, &mine, &words);

    /* Only this file, through the one apply path (journal, merge, undo). */
    lc_diff_select_all(d, false);
    f->edited = res;
    f->whole_sel = true;
    lc_diff_report mine_rep = LC_DIFF_REPORT_INIT;
    rc = lc_diff_apply(d, &mine_rep, err);
    for (size_t i = 0; i < d->nfiles; i++) /* when the apply stopped before its refresh */
        if (d->files[i].edited) {
            lc_buf_free(d->files[i].edited);
            free(d->files[i].edited);
            d->files[i].edited = NULL;
        }
    lc_diff_outcome o = mine_rep.n ? mine_rep.v[0].outcome : LC_DIFF_FAILED;
    if (o == LC_DIFF_APPLIED || o == LC_DIFF_MERGED || o == LC_DIFF_UNCHANGED) {
        int sfd = open(d->shadow, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        lc_err e = {0};
        int w = sfd < 0 ? lc_err_errno(&e, LC_EIO, errno, "opening the shadow copy %s", d->shadow)
                        : dfi_write(sfd, path, DK_FILE, shadow.data, shadow.len, mode, &expect, NULL, &e);
        if (sfd >= 0)
            close(sfd);
        if (w != LC_OK) {
            rc = lc_err_set(err, w, "your version was applied, but the shadow copy could not be brought to "
                            "it (%s): the agent still has its own version", e.msg);
            lc_buf_puts(&words, "(The workspace still has your version of this file: it could not be updated.)\n");
        }
        lc_err e2 = {0};
        int r = lc_diff_refresh(d, &e2);
        if (rc == LC_OK && r != LC_OK)
            rc = lc_err_set(err, r, "%s", e2.msg);
        if (note)
            lc_buf_append(note, words.data ? words.data : "", words.len);
    }
    for (size_t i = 0; i < mine_rep.n; i++) {
        const lc_diff_result *r = &mine_rep.v[i];
        if (r->outcome == LC_DIFF_APPLIED)
            dfi_report_add(rep, r->path, r->outcome, "applied with your edits");
        else if (r->outcome == LC_DIFF_MERGED)
            dfi_report_add(rep, r->path, r->outcome, "applied with your edits, %s", r->message);
        else
            dfi_report_add(rep, r->path, r->outcome, "%s", r->message);
    }
    lc_diff_report_free(&mine_rep);
    lc_buf_free(&words);
    lc_buf_free(&shadow);
    lc_buf_free(&mine);
    lc_buf_free(&agents);
    free(path);
    return rc;
}
