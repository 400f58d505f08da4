/* The layout is data: a small tree of splits whose leaves are panes. Every
 * frame computes the rectangles from the tree and the screen size, so a
 * resize or a changed split needs no other bookkeeping.
 *
 *   +---------------+-------------+
 *   | Conversation  | Code        |
 *   |               +-------------+
 *   +---------------+ Output      |
 *   | Diffs         |             |
 *   +---------------+-------------+
 */
#include "ui/ui_int.h"

enum { LEAF = 0, SIDE = 1, STACK = 2 };
#define MIN_PCT 15
#define MAX_PCT 85

#define LEFT_PCT 55 /* the left column's share of the width */

static const struct {
    int column, share;
} places[UI_P_COUNT] = {
#define UI_PANE_PLACE(id, ops, column, share) {column, share},
    UI_PANES(UI_PANE_PLACE)
#undef UI_PANE_PLACE
};

/* Stacks the n panes ids[] under parent, each split giving the first pane
 * its share of what is left; returns the node made. */
static int stack(ui_layout *lo, int *used, const int *ids, int n, int parent)
{
    int me = (*used)++;
    if (n == 1) {
        lo->n[me] = (ui_node){LEAF, ids[0], -1, -1, parent, 0};
        return me;
    }
    int total = 0;
    for (int i = 0; i < n; i++)
        total += places[ids[i]].share;
    int pct = total > 0 ? places[ids[0]].share * 100 / total : 100 / n;
    lo->n[me] = (ui_node){STACK, -1, -1, -1, parent, pct};
    lo->n[me].a = stack(lo, used, ids, 1, me);
    lo->n[me].b = stack(lo, used, ids + 1, n - 1, me);
    return me;
}

/* The two columns side by side, each a stack of its panes (UI_PANES). */
void ui_layout_default(ui_layout *lo)
{
    int cols[2][UI_P_COUNT], n[2] = {0, 0};
    for (int i = 0; i < UI_P_COUNT; i++) {
        int c = places[i].column ? 1 : 0;
        cols[c][n[c]++] = i;
    }
    int used = 0;
    if (n[0] == 0 || n[1] == 0) {
        int c = n[0] ? 0 : 1;
        lo->root = stack(lo, &used, cols[c], n[c], -1);
        return;
    }
    lo->root = used++;
    lo->n[lo->root] = (ui_node){SIDE, -1, -1, -1, -1, LEFT_PCT};
    lo->n[lo->root].a = stack(lo, &used, cols[0], n[0], lo->root);
    lo->n[lo->root].b = stack(lo, &used, cols[1], n[1], lo->root);
}

static void compute(const ui_layout *lo, int i, ui_rect r, ui_rect out[UI_P_COUNT])
{
    const ui_node *nd = &lo->n[i];
    if (nd->kind == LEAF) {
        out[nd->pane] = r;
        return;
    }
    ui_rect a = r, b = r;
    if (nd->kind == SIDE) {
        /* One column between the two for the separator. */
        int wa = (r.w - 1) * nd->pct / 100;
        a.w = wa;
        b.x = r.x + wa + 1;
        b.w = r.w - wa - 1;
    } else {
        int ha = r.h * nd->pct / 100;
        a.h = ha;
        b.y = r.y + ha;
        b.h = r.h - ha;
    }
    compute(lo, nd->a, a, out);
    compute(lo, nd->b, b, out);
}

void ui_layout_compute(const ui_layout *lo, ui_rect area, ui_rect out[UI_P_COUNT])
{
    compute(lo, lo->root, area, out);
}

void ui_layout_resize(ui_layout *lo, int pane, int delta)
{
    /* Every split above the pane gives it room, so it grows both ways. */
    for (int i = 0; i < UI_NODES; i++) {
        if (lo->n[i].kind != LEAF || lo->n[i].pane != pane)
            continue;
        for (int c = i; lo->n[c].parent >= 0; c = lo->n[c].parent) {
            ui_node *parent = &lo->n[lo->n[c].parent];
            int pct = parent->pct + (parent->a == c ? delta : -delta);
            parent->pct = pct < MIN_PCT ? MIN_PCT : pct > MAX_PCT ? MAX_PCT : pct;
        }
        return;
    }
}
