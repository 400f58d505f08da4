/* The one promise about symlinks: after any apply, no path of the project
 * resolves outside it through a link litecode wrote. Every link it writes
 * is relative without ".." (dfi_link_target_why), which alone keeps a chain
 * of litecode's links inside; what is left are links that were already in
 * the user's directory, which may point anywhere. So each planned link is
 * followed, component by component, through the tree as it will be after the
 * apply (planned writes first, then the original as it is, symlinks read,
 * never followed by the kernel), and so is every link already there (the
 * bases that are links: earlier applies of this session; the snapshot's
 * links: earlier sessions' and the user's), because a new link can turn an
 * old one's target into a path through the user's link to /etc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diff/diff_int.h"

#define MAX_HOPS 40 /* as the kernel's ELOOP limit */

typedef struct view {
    lc_diff *d;
    int ofd;
    dplanned *v;
    size_t n;
} view;

static int cmp_planned(const void *a, const void *b)
{
    return strcmp(((const dplanned *)a)->path, ((const dplanned *)b)->path);
}

static dplanned *planned_find(const view *w, const char *path)
{
    dplanned key = {.path = path};
    return w->n ? bsearch(&key, w->v, w->n, sizeof key, cmp_planned) : NULL;
}

/* What path will be: planned writes win over the original. '?' when it
 * cannot be looked at (a symlink or an error on the way). */
static char view_kind(const view *w, const char *path, lc_buf *target, size_t *idx)
{
    *idx = SIZE_MAX;
    dplanned *p = planned_find(w, path);
    if (p && !p->refused) {
        *idx = (size_t)(p - w->v);
        if (p->kind == DK_LINK)
            lc_buf_append(target, p->target, p->len);
        return p->kind;
    }
    char k;
    lc_err e = {0};
    return dfi_lookup(w->ofd, path, &k, target, &e) == LC_OK ? k : '?';
}

static void buf_cut(lc_buf *b, size_t len)
{
    b->len = len;
    if (b->data)
        b->data[len] = '\0';
}

/* Follows the link at linkpath (target text t) through the view. NULL when
 * it stays inside, else why not (owned). Planned links passed are marked in via. */
static char *resolve(const view *w, const char *linkpath, const char *t, size_t tlen, bool *via)
{
    lc_buf cur = LC_BUF_INIT, rest = LC_BUF_INIT, tgt = LC_BUF_INIT;
    const char *slash = strrchr(linkpath, '/');
    if (slash)
        lc_buf_append(&cur, linkpath, (size_t)(slash - linkpath));
    lc_buf_append(&rest, t, tlen);
    char *why = NULL;
    int hops = 0;
    size_t pos = 0;
    while (!why && pos < rest.len) {
        const char *c = rest.data + pos;
        const char *e = memchr(c, '/', rest.len - pos);
        size_t n = e ? (size_t)(e - c) : rest.len - pos;
        pos += n + (e ? 1 : 0);
        if (n == 0 || (n == 1 && c[0] == '.'))
            continue;
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            if (!cur.len) {
                why = lc_xstrdup("it would lead outside the directory (through \"..\" of a symlink on the way)");
                break;
            }
            size_t k = cur.len;
            while (k > 0 && cur.data[k - 1] != '/')
                k--;
            buf_cut(&cur, k ? k - 1 : 0);
            continue;
        }
        size_t mark = cur.len;
        if (cur.len)
            lc_buf_putc(&cur, '/');
        lc_buf_append(&cur, c, n);
        lc_buf_reset(&tgt);
        size_t idx;
        char k = view_kind(w, lc_buf_cstr(&cur), &tgt, &idx);
        if (k == '?') {
            why = lc_xasprintf("it would pass through %s, which litecode cannot check (a symlink or an "
                               "unreadable directory on the way)", lc_buf_cstr(&cur));
            break;
        }
        if (k != DK_LINK)
            continue;
        if (idx != SIZE_MAX)
            via[idx] = true;
        if (++hops > MAX_HOPS) {
            why = lc_xasprintf("it would go through more than %d symlinks", MAX_HOPS);
            break;
        }
        if (!tgt.len || tgt.data[0] == '/') {
            why = lc_xasprintf("it would lead outside the directory through the symlink %s, which points "
                               "to %s", lc_buf_cstr(&cur), lc_buf_cstr(&tgt));
            break;
        }
        /* the link's text replaces it, relative to the link's directory */
        buf_cut(&cur, mark);
        lc_buf nr = LC_BUF_INIT;
        lc_buf_append(&nr, tgt.data, tgt.len);
        if (pos < rest.len) {
            lc_buf_putc(&nr, '/');
            lc_buf_append(&nr, rest.data + pos, rest.len - pos);
        }
        lc_buf_free(&rest);
        rest = nr;
        pos = 0;
    }
    lc_buf_free(&cur);
    lc_buf_free(&rest);
    lc_buf_free(&tgt);
    return why;
}

/* Follows an existing link at path (unless this apply replaces it); when it
 * would lead outside through links of this apply, those are refused. */
static bool prior_escapes(view *w, const char *path, bool *via)
{
    dplanned *p = planned_find(w, path);
    if (p && !p->refused)
        return false; /* replaced by this apply: judged as one of its links */
    char k;
    lc_buf t = LC_BUF_INIT;
    lc_err e = {0};
    bool changed = false;
    if (dfi_lookup(w->ofd, path, &k, &t, &e) == LC_OK && k == DK_LINK) {
        memset(via, 0, w->n * sizeof *via);
        char *why = resolve(w, path, t.data, t.len, via);
        for (size_t j = 0; why && j < w->n; j++)
            if (via[j] && !w->v[j].refused) {
                w->v[j].refused = lc_xasprintf("refused: with this symlink, the symlink %s already in your "
                                               "directory would lead outside it: %s; nothing was written",
                                               path, why);
                changed = true;
            }
        free(why);
    }
    lc_buf_free(&t);
    return changed;
}

void dfi_links_check(lc_diff *d, int ofd, dplanned *v, size_t n)
{
    view w = {d, ofd, v, n};
    for (size_t i = 0; i < n; i++) {
        const char *why = v[i].kind == DK_LINK && !v[i].refused ? dfi_link_target_why(v[i].target, v[i].len) : NULL;
        if (why)
            v[i].refused = lc_xasprintf("refused: %s", why);
    }
    bool *via = lc_xcalloc(n + 1, sizeof *via);
    /* A refusal changes the view (the original stays there), so go again until nothing moves. */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            if (v[i].kind != DK_LINK || v[i].refused)
                continue;
            memset(via, 0, n * sizeof *via);
            char *why = resolve(&w, v[i].path, v[i].target, v[i].len, via);
            if (why) {
                v[i].refused = lc_xasprintf("refused: %s; nothing was written", why);
                free(why);
                changed = true;
            }
        }
        bool any_link = false;
        for (size_t i = 0; i < n; i++)
            any_link = any_link || (v[i].kind == DK_LINK && !v[i].refused);
        /* Links already in the directory: the ones earlier applies of this session wrote (bases)
         * and every link the snapshot saw (earlier sessions' and the user's). */
        for (size_t b = 0; any_link && b < d->nbases + d->nsnap; b++) {
            const char *path;
            if (b < d->nbases) {
                if (d->bases[b].st.kind != DK_LINK)
                    continue;
                path = d->bases[b].path;
            } else {
                const snap_ent *se = &d->snap[b - d->nbases];
                if (se->type != DK_LINK || dfi_base_find(d, se->path))
                    continue;
                path = se->path;
            }
            if (prior_escapes(&w, path, via))
                changed = true;
        }
    }
    free(via);
}
