/* A small line diff for telling the model how the user edited its step.
 * Code steps are short, so a plain LCS table is enough; past a size cap the
 * whole text is shown as replaced rather than spending time or memory. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

typedef struct lines {
    const char **s;
    size_t *len;
    size_t n;
} lines;

static void split_lines(const char *t, lines *out)
{
    size_t cap = 16;
    out->s = lc_xmalloc(cap * sizeof *out->s);
    out->len = lc_xmalloc(cap * sizeof *out->len);
    out->n = 0;
    const char *p = t ? t : "";
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        if (out->n == cap) {
            cap *= 2;
            out->s = lc_xrealloc(out->s, cap * sizeof *out->s);
            out->len = lc_xrealloc(out->len, cap * sizeof *out->len);
        }
        out->s[out->n] = p;
        out->len[out->n++] = l;
        p += l + (nl ? 1 : 0);
    }
}

static bool same(const lines *a, size_t i, const lines *b, size_t j)
{
    return a->len[i] == b->len[j] && memcmp(a->s[i], b->s[j], a->len[i]) == 0;
}

typedef struct op {
    char tag; /* ' ', '-', '+' */
    size_t ai, bi;
} op;

#define DIFF_MAX_CELLS (4u * 1024u * 1024u)
#define DIFF_CONTEXT 3

static void emit_line(lc_buf *out, char tag, const lines *l, size_t i)
{
    lc_buf_putc(out, tag);
    lc_buf_append(out, l->s[i], l->len[i]);
    lc_buf_putc(out, '\n');
}

char *lc_text_unified_diff(const char *a, const char *b, const char *label_a, const char *label_b)
{
    lines la, lb;
    split_lines(a, &la);
    split_lines(b, &lb);
    lc_buf out = LC_BUF_INIT;
    lc_buf_printf(&out, "--- %s\n+++ %s\n", label_a ? label_a : "a", label_b ? label_b : "b");

    op *ops = lc_xmalloc((la.n + lb.n + 1) * sizeof *ops);
    size_t nops = 0;
    if ((la.n + 1) * (lb.n + 1) <= DIFF_MAX_CELLS) {
        size_t w = lb.n + 1;
        unsigned *t = lc_xcalloc((la.n + 1) * w, sizeof *t);
        for (size_t i = la.n; i-- > 0;)
            for (size_t j = lb.n; j-- > 0;)
                t[i * w + j] = same(&la, i, &lb, j) ? t[(i + 1) * w + j + 1] + 1
                                                     : (t[(i + 1) * w + j] > t[i * w + j + 1]
                                                            ? t[(i + 1) * w + j]
                                                            : t[i * w + j + 1]);
        size_t i = 0, j = 0;
        while (i < la.n || j < lb.n) {
            if (i < la.n && j < lb.n && same(&la, i, &lb, j))
                ops[nops++] = (op){' ', i++, j++};
            else if (i < la.n && (j == lb.n || t[(i + 1) * w + j] >= t[i * w + j + 1]))
                ops[nops++] = (op){'-', i++, j};
            else
                ops[nops++] = (op){'+', i, j++};
        }
        free(t);
    } else {
        for (size_t i = 0; i < la.n; i++)
            ops[nops++] = (op){'-', i, 0};
        for (size_t j = 0; j < lb.n; j++)
            ops[nops++] = (op){'+', la.n, j};
    }

    /* Hunks: runs of changes with DIFF_CONTEXT lines around them. */
    size_t k = 0;
    while (k < nops) {
        while (k < nops && ops[k].tag == ' ')
            k++;
        if (k == nops)
            break;
        size_t start = k > DIFF_CONTEXT ? k - DIFF_CONTEXT : 0;
        size_t end = k;
        size_t quiet = 0;
        while (end < nops) {
            if (ops[end].tag == ' ') {
                if (++quiet > 2 * DIFF_CONTEXT)
                    break;
            } else {
                quiet = 0;
            }
            end++;
        }
        /* Keep only DIFF_CONTEXT trailing context lines. */
        size_t trail = 0;
        while (end > k && ops[end - 1].tag == ' ' && trail < quiet) {
            end--;
            trail++;
        }
        size_t keep = trail < DIFF_CONTEXT ? trail : DIFF_CONTEXT;
        end += keep;
        size_t acount = 0, bcount = 0;
        for (size_t m = start; m < end; m++) {
            if (ops[m].tag != '+')
                acount++;
            if (ops[m].tag != '-')
                bcount++;
        }
        size_t astart = ops[start].ai + (acount ? 1 : 0);
        size_t bstart = ops[start].bi + (bcount ? 1 : 0);
        lc_buf_printf(&out, "@@ -%zu,%zu +%zu,%zu @@\n", astart, acount, bstart, bcount);
        for (size_t m = start; m < end; m++) {
            if (ops[m].tag == '+')
                emit_line(&out, '+', &lb, ops[m].bi);
            else
                emit_line(&out, ops[m].tag, &la, ops[m].ai);
        }
        k = end;
    }
    free(ops);
    free(la.s);
    free(la.len);
    free(lb.s);
    free(lb.len);
    return lc_buf_detach(&out);
}
